// SPDX-License-Identifier: LGPL-2.1-or-later
// Removing an empty pool's volume group (pool-delete): with LVM's own `vgremove`, which for a
// shared VG also checks through lvmlockd that no other host has its lockspace started; or,
// where that vgremove never ends (lvm2 2.03.31/2.03.32 with sanlock, lvm/lvm_version.hpp),
// with the same check made here and lvmlockd(8)'s forced way out of the shared lock type.
#pragma once

#include "common/system.hpp"
#include "model/pool_def.hpp"

namespace ilvm::vg_removal {

// The pool must be started here and hold no LV (delete_pool checks). A conflict, with nothing
// changed, while another host is in the VG's lockspace.
Status remove_vg(System &sys, const PoolDef &pool);

}  // namespace ilvm::vg_removal
