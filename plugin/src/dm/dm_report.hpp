// SPDX-License-Identifier: LGPL-2.1-or-later
// What `dmsetup info -c --noheadings --separator : -o name,uuid,open` prints
// (dm_argv.hpp dmsetup_info_devices), and which of those devices are a VG's LVs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ilvm::dm {

struct DmDevice {
    std::string name;          // dmsetup's device name, /dev/mapper/<name>
    std::string uuid;          // the dm UUID; "" for a device made without one
    uint32_t open_count = 0;   // processes (QEMU, a mount) holding it open

    bool operator==(const DmDevice &) const = default;
};

// One device per line, in dmsetup's order; "No devices found" (what dmsetup prints on a host
// without any) is none. A line is cut at its first ':' (the name) and its last (the open
// count): LVM's names and UUIDs hold no ':', so a device of ours is always read right, and
// a name of someone else's device that holds one cannot make it look like ours (its UUID
// part would hold a ':', see lv_of). A line without two ':' or whose open count is not a
// number is a system error: the output is not what this command prints.
Result<std::vector<DmDevice>> parse_dm_info(std::string_view out);

// The LV of volume group `vg` that `d` is, or nullopt: LVM's devices carry a dm UUID
// "LVM-<VG UUID><LV UUID>" (layers of an LV add a suffix, "-real", "-cow", …, and a name of
// three parts, which common/dm_name.hpp does not split) and the name VG-LV.
std::optional<std::string> lv_of(const DmDevice &d, std::string_view vg);

}  // namespace ilvm::dm
