// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm migrate`, the source's side of a live migration hand-over (docs/migration.md):
//
//   1. the domain must run here; take its hand-over lock (handover_files.hpp);
//   2. its exclusive volumes (disks neither readonly nor shareable) go ex -> sh here, so
//      the destination's hook can take them shared at `migrate begin`; if one fails, those
//      already converted go back to ex and nothing is migrated;
//   3. virDomainMigrate3, exactly as `virsh migrate --live` (so the destination's hook
//      sees what it sees with virsh); libvirt's Confirm phase stops the domain here and our
//      `release end` hook deactivates the volumes here;
//   4. success: poll each volume's lease until the destination holds it exclusively
//      (`ilvm migrate-finish` there converts sh -> ex once we have let go), and measure
//      the window during which it was not exclusive anywhere;
//      failure: if the domain still runs here, convert its volumes back to ex, retrying
//      while the destination still holds them shared (its release hook drops them when
//      libvirt tears the incoming domain down).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "host/handover/handover_env.hpp"

namespace ilvm::host {

struct MigrateOutOptions {
    std::string domain;
    MigrateRequest request;
    std::chrono::milliseconds poll_timeout{60'000};      // --timeout
    std::chrono::milliseconds poll_interval{200};
    std::chrono::milliseconds convert_back_timeout{60'000};
    std::chrono::milliseconds convert_back_interval{500};
    // After a failed migration, how long to keep asking libvirt whether the domain still
    // runs here: a libvirtd restarted during the migration drops our connection (that is
    // often why it failed) and answers again a few seconds later.
    std::chrono::milliseconds state_retry_timeout{60'000};
    std::chrono::milliseconds state_retry_interval{2'000};
    // A reconcile pass may hold the domain's lock for a moment; another migrate holds it
    // for the whole migration and is refused after this.
    std::chrono::milliseconds lock_wait{3'000};
};

struct HandedOverVolume {
    VolumeRef volume;
    // Monotonic milliseconds from just before this volume's ex -> sh here to the first
    // poll that saw the destination's exclusive lease; unset when not seen in time.
    std::optional<int64_t> window_ms;
    uint32_t holder_id = 0;      // the destination's sanlock host_id, once seen
    std::string holder_name;
    std::string last_seen;       // unconfirmed: what the last poll found
};

struct MigrateOutReport {
    std::vector<HandedOverVolume> volumes;
    // How long libvirt's migration call took (memory copy included): the part of each
    // window that is libvirt's, the rest is our lock conversions and the poll.
    int64_t migration_ms = 0;
    // How long the ex -> sh conversions before it took (all volumes): under lvmlockd each
    // waits for the VG lock, which another host's lvs/lvchange can delay by seconds.
    int64_t share_ms = 0;
    // Every volume was seen held exclusively by another host within poll_timeout.
    bool confirmed() const;
};

// Refusals before anything changed: not_found (no such domain), conflict (not running,
// another hand-over of it in progress), invalid_input (name, unreadable disks), system
// (libvirt or the destination unreachable). A failed migration is a system error whose
// hint says where the domain runs and whether its volumes are exclusive again.
Result<MigrateOutReport> migrate_out(const MigrateOutOptions &opt, HandoverEnv &env);

}  // namespace ilvm::host
