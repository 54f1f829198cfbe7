// SPDX-License-Identifier: LGPL-2.1-or-later
// Joining a pool's lvmlockd lockspace on this host (`vgchange --lock-start`) and asking
// sanlock whether the join happened: pool-start (backend/pool_ops.cpp) and pool-rejoin, after
// a lease loss (backend/rejoin.cpp), start it the same way.
#pragma once

#include "common/system.hpp"
#include "model/pool_def.hpp"

namespace ilvm::lockspace {

// vgchange --lock-start of the pool's VG, run again (kLockStartAttempts in all) while lvmlockd
// did not find the lease LV's device node yet; any other failure is returned at once, with a
// hint naming the daemons.
Status start_lockspace(System &sys, const PoolDef &pool);

// Whether sanlock has joined the pool's lockspace ("lvm_<vg>"); unknown when it cannot be
// asked.
enum class Join { joined, in_progress, absent, unknown };
Join lockspace_join(System &sys, const PoolDef &pool);

// A system error unless sanlock has joined the lockspace of a sanlock pool (nothing to ask
// for other lock types): vgchange --lock-start exits 0 even when the join failed.
Status check_joined(System &sys, const PoolDef &pool);

}  // namespace ilvm::lockspace
