// SPDX-License-Identifier: LGPL-2.1-or-later
// What the kernel offers wdmd: loaded modules and the watchdog device behind /dev/watchdog.
//
// sanlock resets a host that loses its lease through wdmd, and wdmd needs a watchdog device.
// A machine with a hardware watchdog (iTCO_wdt, ipmi_watchdog, a hypervisor's i6300esb)
// needs nothing from us; one without gets softdog, which must also load at the next boot:
// otherwise wdmd, and with it sanlock and every pool, fails to start after a reboot. The
// kernel names each watchdog in /sys/class/watchdog/watchdogN/identity; softdog's is
// "Software Watchdog" (drivers/watchdog/softdog.c).
#pragma once

#include <optional>
#include <set>
#include <string>

#include "cli/hostprep/host_root.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

// The file host-setup writes when softdog must load at boot.
inline constexpr const char *kSoftdogBootFile = "/etc/modules-load.d/iscsi-lvm.conf";
inline constexpr const char *kSoftdogIdentity = "Software Watchdog";

// Loaded modules are listed in /proc/modules; a built-in one shows only in /sys/module.
class KernelModules {
public:
    KernelModules(System &sys, const HostRoot &root);
    bool present(const std::string &name) const;

private:
    System &sys_;
    const HostRoot &root_;
    std::set<std::string> loaded_;
};

struct WatchdogState {
    std::optional<std::string> identity;   // of watchdog0, when the kernel has one
    bool device = false;                   // /dev/watchdog exists
    bool softdog_loaded = false;
    // The modules-load.d file (or /etc/modules) that loads softdog at boot, if any.
    std::optional<std::string> softdog_at_boot;

    // A watchdog other than softdog drives /dev/watchdog.
    bool hardware() const { return identity && *identity != kSoftdogIdentity; }
};

WatchdogState read_watchdog_state(System &sys, const HostRoot &root, const KernelModules &modules);

// The content host-setup writes to kSoftdogBootFile.
std::string softdog_boot_file_content();

}  // namespace ilvm::cli
