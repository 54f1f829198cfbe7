// SPDX-License-Identifier: LGPL-2.1-or-later
// Where the VG lock's lease lies in a shared VG's lvmlock LV. lvmlockd names nobody when it
// refuses the VG lock ("VG vg_san lock skipped: held by other host."), and a host that lost
// power while one of its LVM commands held that lock keeps it until its host lease expires:
// every activation elsewhere fails meanwhile. The lease names the host.
//
// lvmlockd's layout (lvm2 daemons/lvmlockd/lvmlockd-sanlock.c, 2.03.16 and later): the delta
// leases at 0, the global lock at 65, the VG lock ("VGLK") at 66 and the LV locks from 67 x
// the lockspace's align size. sanlock picks the align from the LUN (1 MiB on 512-byte
// sectors, 8 MiB on 4 KiB ones: the lab's recorded dump has VGLK at 528 MiB), and no
// lock_args carries it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ilvm::sanlock {

inline constexpr std::string_view kVgLockResource = "VGLK";

// Where the VG lock may lie, most likely first: 66 x each align size sanlock uses (8, 4, 2,
// 1 MiB) that `lv_lease_offset` (any LV's, from its lock_args) is a multiple >= 67 of; every
// size when no LV lease is known, or none explains its offset. A dump at each, in turn, finds the record named VGLK.
std::vector<uint64_t> vg_lock_offsets(std::optional<uint64_t> lv_lease_offset);

}  // namespace ilvm::sanlock
