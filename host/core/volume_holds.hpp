// SPDX-License-Identifier: LGPL-2.1-or-later
// Volumes an administrator holds active on this host for a while (`ilvm vol-activate
// --hold DURATION`): the reconciler (ilvm reconcile, ilvmd) keeps them active until the hold
// ends, instead of releasing them as idle after 10 s. What it is for: virt-install and
// virt-manager pick existing volumes from the libvirt mirror, which lists only volumes active
// on this host; a hold keeps one listed while the wizard runs, and once the new domain starts
// on it the domain's own use keeps it. The hold is this host's bookkeeping only: the lock
// itself is lvmlockd's exclusive (or shared) lock, taken by the activation.
//
//   $ILVM_RUN_DIR/pools/<pool>.volumes/<volume>.hold    "<unix seconds the hold ends>\n"
//
// `ilvm vol-deactivate` ends a hold; the reconciler removes ended ones.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/result.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

// Holds `v` until `until` (unix seconds), replacing an earlier hold.
Status hold_volume(const PoolStore &store, const VolumeRef &v, int64_t until);
// Ends the hold of `v`, if any.
Status release_hold(const PoolStore &store, const VolumeRef &v);
// The volumes of `pool` held at `now`. An unreadable or damaged hold counts as held (what
// cannot be read must not release a volume someone asked to keep); ended holds are not
// returned.
std::set<std::string> held_volumes(const PoolStore &store, const std::string &pool, int64_t now);
// Removes the holds of `pool` that ended before `now`; returns the volumes they held.
std::set<std::string> remove_ended_holds(const PoolStore &store, const std::string &pool, int64_t now);

}  // namespace ilvm::host
