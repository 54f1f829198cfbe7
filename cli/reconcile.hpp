// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm reconcile` and the same pass run after every volume change the CLI makes
// (host/reconcile/reconcile_pass.hpp does the pass).
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "host/reconcile/reconcile_pass.hpp"
#include "host/reconcile/reconcile_wire.hpp"

namespace ilvm::cli {

// One pass over one active pool; the caller holds the pool's lock. A dry run changes
// neither LVM nor the idle bookkeeping.
Result<std::vector<host::ReconcileStepView>> reconcile_locked(Context &ctx, const std::string &pool, const std::string &pool_xml,
                                                              host::ReconcileOptions options);

// After vol-create*, vol-clone, vol-delete, vol-resize (lock held): refresh the libvirt
// mirror and reconcile this pool only. Handed to this host's ilvmd when it runs (it refreshes
// the mirror before answering, and reconciles once the verb has let go of the pool), done here
// otherwise. Failures are warnings: the change itself succeeded. `moved_domain`: a running
// domain whose disk the verb moved to another volume (the agent watches its disks again).
void after_volume_change(Context &ctx, const std::string &pool, const std::string &pool_xml,
                         const std::string &moved_domain = {});

}  // namespace ilvm::cli
