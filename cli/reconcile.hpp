// `ilvm reconcile` and the same pass run after every volume change the CLI makes: the
// backend's reconcile_pool (one lvs; skip flag / autoactivation repairs; deactivation of
// idle volumes) fed with the volumes of running domains (libvirt's status files, read the
// way the qemu hook reads them) and the idle bookkeeping (idle_tracker.hpp).
#pragma once

#include <string>
#include <vector>

#include "context.hpp"

namespace ilvm::cli {

struct ReconcileStepView {
    std::string pool, volume, action, result, reason, error;
};

// One pass over one active pool; the caller holds the pool's lock. A dry run changes
// neither LVM nor the idle bookkeeping.
Result<std::vector<ReconcileStepView>> reconcile_locked(Context &ctx, const std::string &pool, const std::string &pool_xml,
                                                        bool dry_run);

// After vol-create*, vol-clone, vol-delete, vol-resize (lock held): refresh the libvirt
// mirror and reconcile this pool only. Failures are warnings: the change itself succeeded.
void after_volume_change(Context &ctx, const std::string &pool, const std::string &pool_xml);

}  // namespace ilvm::cli
