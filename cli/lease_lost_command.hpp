// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm lease-lost VG` (issue 19): the storage-loss fencing command. `ilvm host-setup` names
// it in lvm.conf's global/lvmlockctl_kill_command (its default; not with
// --no-fence-on-lease-loss); when the VG's
// sanlock lease can no longer be renewed (the LUN is gone), lvmlockd runs `lvmlockctl --kill
// VG`, which runs it with the VG's name appended and drops the VG's locks only if it exits 0
// (lvm2 2.03.16 daemons/lvmlockd/lvmlockctl.c do_kill). Without that the watchdog resets the
// whole host.
//
// For the defined pool whose VG it is (its run-state copy when started here):
//  1. the backend's fence_pool: every device of the VG but lvmlockd's lease LV gets the
//     error target, so this host's I/O to the volumes fails at once (plugin/src/backend/
//     fencing.hpp);
//  2. each domain using those volumes here (host/core/volume_users.hpp) is suspended or
//     destroyed as the pool's <on_lockfailure> says (cli/virsh_argv.hpp, 10 s each);
//  3. what it did is appended to RUN_DIR/pools/POOL.fenced (host/core/fence_record.hpp),
//     which `ilvm doctor` reports and `pool-rejoin` removes;
//  4. one line on stdout says it all. Exit 0 only when every device was wiped: a domain action
//     that fails is a warning (its disks fail every I/O already). An unknown VG is not_found
//     (exit 3): lvmlockctl then keeps the locks, as without fencing.
// The way back once the LUN returns is `ilvm pool-rejoin` (cli/pool_rejoin_command.hpp).
#pragma once

#include "cli/context.hpp"

namespace ilvm::cli {

Status lease_lost(Context &ctx, const Args &args);

}  // namespace ilvm::cli
