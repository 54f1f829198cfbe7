// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm pool-rejoin POOL` (issue 19): the way back after `ilvm lease-lost` fenced the pool
// on this host and the LUN is reachable again. The pool stays "started" meanwhile (its
// record RUN_DIR/pools/POOL.fenced says what lease-lost did); pool-rejoin makes it whole:
//
//  1. the backend's rejoin_pool (plugin/src/backend/rejoin.hpp): the VG's lockspace is joined
//     again (lvmlockctl --drop, vgchange --lock-start) unless it already is; each volume
//     lease-lost found a device of that a domain here uses is taken back — exclusive lock,
//     its table reloaded — only if its lease still names this host from before the loss
//     (nobody else acquired it meanwhile); the others' devices are removed;
//  2. a domain here whose volumes all came back is resumed (virsh resume) if it is paused;
//     one with a volume another host had meanwhile is destroyed here: its disks' content may
//     have changed under it, and the other host may run it now;
//  3. a second pass removes the devices those destroyed domains held open, and releases the
//     volumes taken back for them;
//  4. once every volume is settled the record is removed (ilvm doctor is clean again); else
//     the command fails, naming what is left, and can be run again: what it took back is
//     noted in the record (a second run resumes those domains instead of asking again).
// Never run by a hook; it calls libvirtd (virsh), which does not wait on us.
#pragma once

#include "cli/context.hpp"

namespace ilvm::cli {

Status pool_rejoin(Context &ctx, const Args &args);

}  // namespace ilvm::cli
