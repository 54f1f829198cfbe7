// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/module_options.hpp"

#include "common/env.hpp"

namespace ilvm::host {

std::map<std::string, std::string> module_options_from_env() {
    std::map<std::string, std::string> o;
    auto env = [&](const char *var, const char *key) {
        if (std::string v = env_or(var, ""); !v.empty()) o[key] = v;
    };
    env("ILVM_LIBVIRT_URI", "libvirt_uri");
    env("ILVM_ISCSI_NODES_DIR", "iscsi_nodes_dir");
    env("ILVM_DEVICE_TIMEOUT_MS", "device_timeout_ms");
    env("ILVM_COMMAND_WRAPPER", "command_wrapper");
    return o;
}

}  // namespace ilvm::host
