// SPDX-License-Identifier: LGPL-2.1-or-later
// Parsing of `vgs/lvs/pvs --reportformat json --units b --nosuffix --binary` output
// (simdjson's on-demand parser). One vgs and one lvs call describe a whole pool, whatever its size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ilvm::lvm {

struct VgReport {
    std::string name;
    std::string uuid;
    uint64_t size = 0;
    uint64_t free = 0;
    uint64_t extent_size = 0;
    uint64_t extent_count = 0;
    uint64_t free_count = 0;
    uint64_t lv_count = 0;
    std::string lock_type;   // "sanlock", "dlm", or "" / "none" for a local VG
    std::string lock_args;
};

struct LvReport {
    std::string name;
    std::string uuid;
    std::string path;
    uint64_t size = 0;
    bool active_locally = false;
    bool active_exclusively = false;
    bool device_open = false;
    bool skip_activation = false;
    bool autoactivation = true;
    std::string lock_args;
    std::vector<std::string> tags;   // lv_tags
    bool incomplete() const;         // tagged ilvm_incomplete (lvm_argv.hpp)
};

// The smallest metadata area of a VG's PVs, free and in all (vgs vg_mda_free, vg_mda_size).
struct VgMdaReport {
    std::string name;
    uint64_t mda_free = 0;
    uint64_t mda_size = 0;
};

struct PvReport {
    std::string pv_name;
    std::string pv_uuid;
    std::string vg_name;
    std::string vg_uuid;
};

Result<std::vector<VgReport>> parse_vgs_json(std::string_view json);
// lvmlockd's internal lease LV ("lvmlock") is dropped: it is not a volume.
Result<std::vector<VgMdaReport>> parse_vgs_mda_json(std::string_view json);
Result<std::vector<LvReport>> parse_lvs_json(std::string_view json);

// What vol-create checks before lvcreate, from one lvs (lvs_report_with_space()): the VG's
// LVs, and its free space and extent size, which LVM repeats on every LV's row. A VG with no
// LV has no row: then `space` is empty and vgs tells.
struct VgSpace {
    uint64_t free = 0;
    uint64_t extent_size = 0;
};
struct LvsWithSpace {
    std::vector<LvReport> lvs;
    std::optional<VgSpace> space;
};
Result<LvsWithSpace> parse_lvs_with_space_json(std::string_view json);
Result<std::vector<PvReport>> parse_pvs_json(std::string_view json);

// The sanlock lease offset from an LV's lock_args ("1.0.0:70254592"), if any.
Result<uint64_t> sanlock_offset_from_lock_args(std::string_view lock_args);

}  // namespace ilvm::lvm
