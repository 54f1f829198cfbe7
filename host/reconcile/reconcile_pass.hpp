// SPDX-License-Identifier: LGPL-2.1-or-later
// One reconcile pass over one started pool, as `ilvm reconcile`, the CLI after each volume
// change, and the coming host agent run it: the backend's reconcile_pool (one lvs; skip
// flag / autoactivation repairs; deactivation of idle volumes) fed with the volumes of
// running domains (libvirt's status files, read the way the qemu hook reads them) and the
// idle bookkeeping (idle_tracker.hpp), then the hand-over guard's restore steps
// (host/handover/handover_guard.hpp).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/status_files.hpp"
#include "host/reconcile/reconcile_wire.hpp"

namespace ilvm::host {

// Volumes of `pool` that domains on this host use (every status file: running, paused,
// or being migrated in or out).
std::set<std::string> volumes_in_use(const std::vector<LocalDomain> &domains, const std::string &pool);

// 10 s: longer than a domain start takes from the hook's activation to libvirt's status
// file, shorter than the 15 s timer period, so an idle volume goes within two passes.
// $ILVM_RECONCILE_GRACE_SECONDS overrides it (tests).
Result<int64_t> reconcile_grace_seconds();

struct ReconcileOptions {
    bool dry_run = false;             // change neither LVM, the owner records nor the idle bookkeeping
    bool remove_incomplete = false;   // lvremove volumes tagged incomplete that nobody here works on
};

// An owner record of a domain that has no status file (libvirtd never ran its release hook)
// is removed once it is this old: a starting domain gets its status file within seconds.
constexpr int64_t kStaleOwnerSeconds = 60;

// The caller holds the pool's lock (shared). Volumes whose host lock is held (an ilvm verb
// or the hook works on them) are left alone; volumes with owner records count as used.
Result<std::vector<ReconcileStepView>> reconcile_pass(const PoolStore &store, const BackendClient &client,
                                                      const std::string &pool, const std::string &pool_xml,
                                                      ReconcileOptions options);

// The steps that change something (set-flags, deactivate, restore-exclusive) and their
// one-line descriptions, as `ilvm reconcile` prints them.
bool is_change(const ReconcileStepView &s);
std::string describe(const ReconcileStepView &s);

// A volume the pass saw idle and left active: not deactivated yet (its grace runs) or its
// deactivation failed. The idle bookkeeping keeps its first sighting; the agent comes back
// after the grace.
bool still_idle(const ReconcileStepView &s);

// The changes of a pass as log lines ("reconcile: …"), failures as warnings: what the CLI
// logs after its own volume changes and the agent after each pass.
void log_changes(const std::vector<ReconcileStepView> &steps);

}  // namespace ilvm::host
