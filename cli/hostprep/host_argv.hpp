// SPDX-License-Identifier: LGPL-2.1-or-later
// Commands host-setup and host-validate run besides sanlock's (sanlock/client_status.hpp):
// systemd unit state and LVM's merged configuration.
#pragma once

#include <string>
#include <vector>

#include "common/command.hpp"

namespace ilvm::cli {

// The daemons a host needs: the watchdog multiplexer, sanlock, lvmlockd, the iSCSI daemon.
const std::vector<std::string> &host_daemons();

// This product's units, enabled and started by host-setup: the boot service (starts
// autostart pools at boot and, being active, stops them at shutdown before the daemons
// above), the reconciler's timer (the timer, not its service, is what runs; now the slow
// safety net), the mirror that shows volumes to libvirt, and ilvmd, the host agent.
const std::vector<std::string> &product_units();

// One line per unit, in order: "active", "inactive", "failed", ...
Command systemctl_is_active(const std::vector<std::string> &units);
// One line per unit: "enabled", "disabled", "masked", ...
Command systemctl_is_enabled(const std::vector<std::string> &units);
Command systemctl_enable_now(const std::vector<std::string> &units);
Command systemctl_daemon_reload();
Command modprobe(const std::string &module);

// `lvmconfig --typeconfig full` prints `key=value` per setting: the value LVM uses, from
// lvm.conf, lvmlocal.conf and the built-in defaults together.
Command lvmconfig_full(const std::vector<std::string> &settings);


}  // namespace ilvm::cli
