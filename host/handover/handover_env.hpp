// SPDX-License-Identifier: LGPL-2.1-or-later
// What the live-migration hand-over works with on one host, bundled for the state
// machines of migrate_out.hpp (source), migrate_in.hpp (destination) and the reconciler's
// handover_guard.hpp. Every member is replaceable in tests.
#pragma once

#include <vector>

#include "common/clock.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/handover_files.hpp"
#include "host/core/volume_locks.hpp"
#include "host/libvirt/domains.hpp"

namespace ilvm::host {

struct HandoverEnv {
    Domains &domains;                       // this host's libvirt
    VolumeLocks &locks;                     // the module
    const HandoverFiles &files;             // $ILVM_RUN_DIR/migrate
    Clock &clock;
    std::vector<PoolBinding> pools;   // to map disks to volumes, as the hook does
};

}  // namespace ilvm::host
