// SPDX-License-Identifier: LGPL-2.1-or-later
// lvmlockd must outlive every lock it holds. Measured in the lab (lvm2 2.03.16, Debian 12):
// lvmlockd ignores SIGTERM while it has lockspaces, and Debian's unit has SendSIGKILL=no, so
// `systemctl restart lvmlockd` — which lvm2-lockd's postinst also runs on every upgrade —
// waits 90 s twice, fails ('left-over process'), and systemd deletes /run/lvmlockd.pid
// (PIDFile=) while the same lvmlockd keeps running with every lock. LVM decides whether
// lvmlockd runs by that file alone (lib/locking/lvmlockd.c, lvmlockd_init: access() of the
// pid file), so from then on every LVM command skips lvmlockd: `lvchange -an` removes the
// device and keeps the lock, and other hosts get "LV locked by other host" until a reboot.
//
// Two answers, one per moment:
//  * before: host-setup adds a drop-in with RefuseManualStop=yes, so a manual stop or restart
//    is refused at once (the upgrade's `deb-systemd-invoke restart … || true` goes on, and
//    the new lvmlockd runs from the next boot); shutdown still stops it (not a manual stop);
//  * after (a host set up without it): host-validate and doctor find the missing pid file,
//    and `ilvm doctor --fix` writes the running lvmlockd's pid back into it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/hostprep/host_root.hpp"
#include "cli/hostprep/host_validate.hpp"
#include "common/result.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

inline constexpr const char *kLvmlockdPidFile = "/run/lvmlockd.pid";
inline constexpr const char *kLvmlockdDropIn = "/etc/systemd/system/lvmlockd.service.d/50-iscsi-lvm.conf";
// The name of the check below whose failure doctor --fix repairs.
inline constexpr const char *kLvmlockdPidFileCheck = "lvmlockd pid file";

// The drop-in host-setup writes (mode 0644).
const std::string &lvmlockd_drop_in();

// The pids of the running processes named lvmlockd (/proc/PID/comm), lowest first.
Result<std::vector<long>> running_lvmlockd(System &sys, const HostRoot &root);

// "lvmlockd stop guard": the drop-in is there with RefuseManualStop=yes.
HostCheck lvmlockd_stop_guard_check(System &sys, const HostRoot &root);

// "lvmlockd pid file": when an lvmlockd runs, /run/lvmlockd.pid names it.
HostCheck lvmlockd_pid_file_check(System &sys, const HostRoot &root);

// doctor --fix: when exactly one lvmlockd runs and the pid file is missing, writes its pid
// there (mode 0644, as lvmlockd makes it) and returns that pid; nullopt when nothing was
// needed. Two lvmlockd processes, or a pid file naming another process, are left to a human.
Result<std::optional<long>> restore_lvmlockd_pid_file(System &sys, const HostRoot &root);

}  // namespace ilvm::cli
