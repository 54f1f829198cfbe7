// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm migrate-finish`, the destination's side of a live migration hand-over, run by
// iscsi-lvm-migrate-finish@<domain>.service, which the qemu hook starts at `migrate begin`
// after taking the domain's volumes shared and writing its .incoming marker
// (docs/migration.md). It takes the domain's hand-over lock, then every tick:
//
//   * domain not there yet, or paused for the migration / starting up: wait (libvirt's
//     Finish phase resumes it once the memory is copied);
//   * running (or paused for another reason, e.g. `virsh migrate --suspend`): convert each
//     exclusive volume sh -> ex; "locked by other host" means the source has not let go
//     yet (its release hook runs ~0.6 s after our `started`): retry next tick;
//   * gone again, or shut off, after it was seen (a failed or cancelled migration: libvirt
//     killed the incoming qemu and our release hook deactivated the volumes), or never
//     seen within `appear_within`: nothing to finish.
//
// The marker is removed on every way out (including the timeout, from when on
// `ilvm reconcile` restores the exclusive locks: the lock file stays behind as the sign),
// except when libvirt could not be asked at all before the domain was ever seen.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "host/handover/handover_env.hpp"

namespace ilvm::host {

struct MigrateInOptions {
    std::string domain;
    std::chrono::milliseconds timeout{600'000};         // --timeout
    std::chrono::milliseconds tick{250};
    std::chrono::milliseconds appear_within{60'000};    // capped by timeout
};

struct FinishedVolume {
    VolumeRef volume;
    double seconds = 0;   // from the marker's mtime (the hook's `migrate begin`) to the exclusive lock
};

struct MigrateInReport {
    bool finished = false;          // false: nothing to finish (see why)
    std::string why;
    bool since_marker = true;       // false: no marker, seconds count from our own start
    std::vector<FinishedVolume> volumes;
};

// A timeout is a system error naming the volumes still shared.
Result<MigrateInReport> migrate_in(const MigrateInOptions &opt, HandoverEnv &env);

// What `ilvm migrate-finish` prints (to the journal under systemd): per volume
// "san/vm1: exclusive on this host 3.4 s after the migration began", then
// "Hand-over of web1 finished"; or "Nothing to finish for web1: <why>".
std::string format_finish_report(const MigrateInOptions &opt, const MigrateInReport &r);

}  // namespace ilvm::host
