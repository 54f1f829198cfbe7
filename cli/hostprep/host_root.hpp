// SPDX-License-Identifier: LGPL-2.1-or-later
// Where host-setup and host-validate find the host's files: "/" normally, or the directory
// in ILVM_HOST_ROOT, so tests and dry runs work on a copy of /etc in a temporary directory.
// Only file paths move; commands (systemctl, lvmconfig, sanlock) always ask the running host.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/system.hpp"

namespace ilvm::cli {

// The host files host-setup edits and host-validate reads.
inline constexpr const char *kLvmConf = "/etc/lvm/lvm.conf";
inline constexpr const char *kLvmLocalConf = "/etc/lvm/lvmlocal.conf";
inline constexpr const char *kSanlockDefaults = "/etc/default/sanlock";
inline constexpr const char *kInitiatorNameFile = "/etc/iscsi/initiatorname.iscsi";
inline constexpr const char *kHookName = "50-iscsi-lvm";

class HostRoot {
public:
    explicit HostRoot(std::string root = "/");
    // ILVM_HOST_ROOT, or "/" when unset or empty.
    static HostRoot from_environment();

    // "/etc/lvm/lvm.conf" -> "<root>/etc/lvm/lvm.conf"
    std::string at(std::string_view host_path) const;

private:
    std::string prefix_;   // the root without its trailing '/': "" for "/"
};

// The file's content, or nullopt when it does not exist (other read errors are errors).
Result<std::optional<std::string>> read_if_exists(System &sys, const std::string &path);

// "/etc/lvm/lvm.conf" -> "/etc/lvm"
std::string parent_directory(const std::string &path);

}  // namespace ilvm::cli
