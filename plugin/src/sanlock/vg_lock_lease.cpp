// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sanlock/vg_lock_lease.hpp"

#include <array>

namespace ilvm::sanlock {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// sanlock's align sizes (SANLK_RES_ALIGN1M … ALIGN8M), largest first: the lab's LUN and
// every 4 KiB-sector LUN use 8 MiB.
constexpr std::array<uint64_t, 4> kAlignSizes{8 * kMiB, 4 * kMiB, 2 * kMiB, 1 * kMiB};
constexpr uint64_t kVgLockSlot = 66;
constexpr uint64_t kFirstLvLockSlot = 67;

}  // namespace

std::vector<uint64_t> vg_lock_offsets(std::optional<uint64_t> lv_lease_offset) {
    std::vector<uint64_t> offsets;
    for (uint64_t align : kAlignSizes) {
        const bool fits = !lv_lease_offset || (*lv_lease_offset % align == 0 && *lv_lease_offset / align >= kFirstLvLockSlot);
        if (fits) offsets.push_back(kVgLockSlot * align);
    }
    // An offset no layout explains (lock_args from another lock manager's version): try all.
    if (offsets.empty()) return vg_lock_offsets(std::nullopt);
    return offsets;
}

}  // namespace ilvm::sanlock
