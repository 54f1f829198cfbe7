// SPDX-License-Identifier: LGPL-2.1-or-later
// What udevadm and multipathd print about a pool's LUN (multipath_argv.hpp): the LUN's WWID
// from a path's udev properties, and the maps of `multipathd show maps json` (multipath-tools
// 0.9.4 libmultipath/print.c, the PRINT_JSON_* templates and snprint_multipath_topology_json;
// tests/data/multipath/ holds outputs rendered from them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ilvm::multipath {

// The WWID multipath names the LUN's map by: udev's ID_SERIAL (multipath-tools' default
// uid_attribute for SCSI disks) from `udevadm info --query=property` output, checked with
// validate_wwid. `dev` ("sdb") is for the message only. No ID_SERIAL (a disk udev could not
// identify, no scsi_id answer) is a not_found error with a hint.
Result<std::string> wwid_from_udev_properties(std::string_view out, std::string_view dev);

struct MultipathPath {
    std::string dev;       // "sdb"
    std::string dev_t;     // "8:16"
    std::string dm_st;     // the kernel's view of the path: "active", "failed" ("undef")
    std::string dev_st;    // the SCSI device: "running", "offline" ("unknown")
    // multipathd's checker: "ready", "faulty", "shaky", "ghost", "i/o pending",
    // "i/o timeout", "delayed", "undef" (print.c snprint_chk_state).
    std::string chk_st;
    uint32_t group = 0;    // its path group's number, 1-based, in the map's order

    bool operator==(const MultipathPath &) const = default;
};

struct MultipathMap {
    std::string name;      // the map's name: its WWID with user_friendly_names no
    std::string uuid;      // the WWID
    std::string dm_st;     // "active", "suspend", "undef"
    // "off", "on", "-" (no no_path_retry), "13 chk" (13 retries, a path active), "65 sec"
    // (seconds of queueing left, no path active), "off" again once they ran out.
    std::string queueing;
    uint32_t active_paths = 0;          // "paths": the paths the kernel has active
    std::vector<MultipathPath> paths;   // every path group's, in order

    bool operator==(const MultipathMap &) const = default;
};

// Whether I/O can go down this path now: the kernel has it active and multipathd's checker
// finds it ready (or ghost: a standby path of an active/passive array, which answers).
bool path_usable(const MultipathPath &p);

// Every map of `multipathd show maps json`, in multipathd's order; {"maps": []} is none.
// Unknown members are skipped; a missing required one (a map's name, uuid, dm_st, queueing,
// path_groups; a path's dev, dev_t, dm_st, dev_st, chk_st), another JSON type, a major_version
// other than 0 or text that is not JSON is a system error naming what is wrong.
Result<std::vector<MultipathMap>> parse_multipath_maps(std::string_view json);

// The map named `wwid` among `maps`, or nullptr.
const MultipathMap *find_map(const std::vector<MultipathMap> &maps, std::string_view wwid);

}  // namespace ilvm::multipath
