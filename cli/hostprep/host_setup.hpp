// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm host-setup`: prepares this host for shared pools, idempotently. It plans every
// change first (reading files and unit states only), then writes the files and starts the
// daemons; a second run finds nothing to change and says so. --dry-run prints the plan.
//
// What it owns, one line or file each:
//  * lvm.conf       global/use_lvmlockd = 1 (the one commented example is uncommented);
//                   and global/lvmlockctl_kill_command = "<this build's ilvm> lease-lost"
//                   (cli/hostprep/kill_command.hpp; a different command there is replaced with a
//                   warning), unless --no-fence-on-lease-loss, which leaves it as it is
//                   (--fence-on-lease-loss, the default, is still accepted);
//  * lvmlocal.conf  local/host_id = N, sanlock's host id, unique per host (1..2000);
//  * /etc/default/sanlock  `-w 1` in sanlock_opts: Debian ships `-w 0`, which leaves
//    sanlock without the watchdog that makes a host that loses its lease reset;
//  * initiatorname.iscsi  InitiatorName, only when there is none;
//  * the libvirt qemu hook, copied into libvirt's hook directory with mode 0755;
//  * a drop-in that makes lvmlockd refuse a manual stop or restart (lvmlockd_guard.hpp),
//    then `systemctl daemon-reload`;
//  * softdog loaded and listed in /etc/modules-load.d/iscsi-lvm.conf, unless the host has a
//    hardware watchdog or already loads softdog at boot (watchdog.hpp);
//  * when multipath-tools is installed (multipath_conf.hpp): /etc/multipath/conf.d/iscsi-lvm.conf
//    (maps named by WWID, made for listed WWIDs only, queueing as long as a single session
//    would), then `multipathd reconfigure` if multipathd runs; without it, a note that pools
//    with several portals need it;
//  * `systemctl enable --now wdmd sanlock lvmlockd iscsid`, and multipathd when installed;
//  * `systemctl enable --now` of our own units: iscsi-lvm.service (autostart pools at boot,
//    stopped cleanly at shutdown), iscsi-lvm-mirror.service, iscsi-lvm-reconcile.timer,
//    ilvmd.service (the host agent).
//
// Guest PVs: with devices/scan_lvs = 0 (lvm2's built-in default since 2.03) LVM's own
// filter ignores every LV as a PV candidate, so a guest's PV inside one of our volumes is
// never seen, activated or changed by this host. That needs no setting, and host-validate
// checks it. We do not switch on the LVM devices file (use_devicesfile): it would hide the
// pool's LUN from every host until it is added to each host's devices file, a step the
// backend does not do; and a global_filter cannot name VGs that do not exist yet.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "cli/hostprep/host_root.hpp"
#include "common/command.hpp"
#include "common/result.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

struct HostSetupOptions {
    uint32_t host_id = 0;
    std::optional<std::string> initiator;
    bool dry_run = false;
    std::string hook_source;   // our hook binary, a path on this machine (not under the root)
    std::string hook_dir;      // libvirt's qemu hook directory, a host path
    // lvmlockctl runs `cli_path lease-lost VG` when a VG's lease is lost (the default; false
    // with --no-fence-on-lease-loss: the setting is then left as it is).
    bool fence_on_lease_loss = true;
    std::string cli_path;      // the installed ilvm, a full host path (ILVM_CLI_PATH)
};

// A whole-file replacement; `path` is a host path (the root is added when writing).
struct FileWrite {
    std::string path;
    std::string content;
    mode_t mode = 0644;
};

struct SetupStep {
    std::string what;                  // "global/use_lvmlockd = 1 in /etc/lvm/lvm.conf"
    std::optional<FileWrite> write;    // set when the file must change
    std::optional<Command> command;    // set when a command must run
    bool needed() const { return write.has_value() || command.has_value(); }
};

struct SetupPlan {
    std::vector<SetupStep> steps;      // files first, the daemons last
    std::vector<std::string> warnings; // what the admin must still do once the plan is applied
};

// "3" -> 3; anything but a whole number 1..2000 is invalid_input.
Result<uint32_t> parse_host_id(std::string_view text);

// /etc/default/sanlock with `-w 1` in sanlock_opts, or nullopt when sanlock already uses the
// watchdog (no `-w 0`; sanlock's own default is on). Other options are kept.
std::optional<std::string> sanlock_defaults_with_watchdog(std::string_view text);

// initiatorname.iscsi with `wanted` as InitiatorName, or nullopt when nothing changes: the
// name is there (and equals `wanted` if given), or Debian's GenerateName=yes will make one at
// iscsid's first start. A different existing name is a conflict (targets' ACLs name it);
// no name and no `wanted` is invalid_input.
Result<std::optional<std::string>> initiator_file_with(std::string_view text, const std::optional<std::string> &wanted);

Result<SetupPlan> plan_host_setup(System &sys, const HostRoot &root, const HostSetupOptions &opt);

// Plans, then per step applies it (unless opt.dry_run) and prints one line:
// "changed      <what>", "unchanged    <what>" or "would change <what>"; then a summary.
Status host_setup_run(System &sys, const HostRoot &root, const HostSetupOptions &opt, std::ostream &out);

}  // namespace ilvm::cli
