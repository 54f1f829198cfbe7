// SPDX-License-Identifier: LGPL-2.1-or-later
// The LVM tags that say what an LV holds, so that every host reads a volume's format and
// virtual size from one `lvs` (which it runs anyway), without activating the LV to look
// inside it:
//
//   ilvm_qcow2               the LV holds a qcow2 image (no tag: raw)
//   ilvm_capacity_<bytes>    that image's virtual size, the volume's capacity
//
// Tags are LVM metadata: written under the VG lock by the command that changes the volume,
// the same on every host. LVM allows [A-Za-z0-9_+.-/=!:&#] in tags; these use letters,
// digits and '_' only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lvm/lvm_report.hpp"
#include "model/vol_def.hpp"

namespace ilvm::lvm {

inline constexpr const char *kQcow2Tag = "ilvm_qcow2";
inline constexpr const char *kCapacityTagPrefix = "ilvm_capacity_";

// The tags lvcreate adds for a new volume: none for raw.
std::vector<std::string> image_tags(VolFormat format, uint64_t capacity);
// ilvm_capacity_<bytes>
std::string capacity_tag(uint64_t capacity);

struct ImageInfo {
    VolFormat format = VolFormat::raw;
    uint64_t capacity = 0;   // the guest's disk size: the LV's size for raw, the tag for qcow2
};

// What `lv`'s tags say. A qcow2 LV without one well-formed capacity tag is an error: its
// size cannot be told without opening it (someone changed the tags by hand).
Result<ImageInfo> image_of(const LvReport &lv);

}  // namespace ilvm::lvm
