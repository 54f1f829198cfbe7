// SPDX-License-Identifier: LGPL-2.1-or-later
// What `ilvm reconcile` does about live-migration hand-overs (docs/migration.md), apart
// from the backend's pass:
//
//   * hold: while a hand-over is in flight for a domain that has no libvirt status file
//     yet (the destination's hook has activated its volumes shared at `migrate begin`,
//     libvirt writes the status file only later), no idle volume is released in this pass:
//     its volumes are active, not open, and in no status file, i.e. they look idle.
//     (Once the status file exists its volumes count as used, like any domain's.)
//     In flight = the domain's hand-over lock is held, or its marker is fresh.
//   * restore: a running domain with a hand-over trace (a lock file left behind, or an
//     abandoned marker) whose hand-over is not in flight gets every volume it uses through
//     a disk neither readonly nor shareable back to exclusive, if it is active shared here.
//     Only such domains are looked at: one refresh_vol (an lvs and an lvmlockctl -i) per
//     volume, so a pass over a host without failed hand-overs costs nothing extra.
//     "locked by other host" is not an error: the other host still holds it too.
//   * leftovers: the marker (older than the grace) and lock file of a domain that is not
//     running here, with no hand-over in flight, are removed: libvirt writes a domain's
//     status file seconds after `migrate begin`, and the hook's `prepare` would otherwise
//     take the volumes shared at the domain's next ordinary start.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/core/handover_files.hpp"
#include "host/core/status_files.hpp"
#include "host/core/volume_locks.hpp"

namespace ilvm::host {

// A marker this young without a running finisher may still get one (systemd is starting
// it) and a domain without a status file may still get one: 60 s, like the finisher's
// wait for the incoming domain to appear.
constexpr int64_t kMarkerGraceSeconds = 60;

struct HandoverTrace {
    std::string domain;
    bool lock_file = false;
    bool lock_held = false;
    std::optional<int64_t> marker_age;   // seconds; unset: no marker
};
std::vector<HandoverTrace> read_handover_traces(const HandoverFiles &files, std::chrono::system_clock::time_point now);

struct RestoreDomain {
    std::string domain;
    std::vector<DiskRef> disks;   // all of its iscsi-lvm disks (every pool)
    bool marker = false;
};

struct GuardPlan {
    std::string hold;                          // non-empty: why no idle volume is released this pass
    std::vector<RestoreDomain> restore;        // domains to check (using a volume of the pool)
    std::vector<std::string> leftovers;        // domains not here: remove their marker and lock file
};

GuardPlan plan_handover_guard(const std::string &pool, const std::vector<LocalDomain> &domains,
                              const std::vector<HandoverTrace> &traces, int64_t grace_seconds = kMarkerGraceSeconds);

// One "restore-exclusive" step per volume of `pool` found active shared here:
// result done | planned (dry run) | conflict (another host holds it too) | failed.
struct RestoreStep {
    std::string volume, domain, result, reason, error;
};

// Runs the restore part of a plan for `pool`, each domain under its hand-over lock (a
// domain whose lock is taken meanwhile is skipped: in flight). When all of a domain's
// exclusive volumes (in every pool) are exclusive here, its trace and marker are removed.
// A dry run inspects only.
std::vector<RestoreStep> restore_exclusive(const std::string &pool, const std::vector<RestoreDomain> &domains,
                                           VolumeLocks &locks, const HandoverFiles &files, Clock &clock, bool dry_run);

}  // namespace ilvm::host
