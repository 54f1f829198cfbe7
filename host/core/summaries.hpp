// SPDX-License-Identifier: LGPL-2.1-or-later
// Typed views of the pool and volume XML the backend returns, for printing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct PoolSummary {
    // host, port: the first <source><host>; portals: "host:port" of each, in order (several:
    // a multipath pool).
    std::string name, uuid, host, port, target, lun, initiator, vg, vg_uuid, lock_type, auth_user;
    std::vector<std::string> portals;
    // pause | poweroff: what `ilvm lease-lost` does to the pool's domains here (a definition
    // stored before <on_lockfailure> existed has the default, pause).
    std::string on_lockfailure;
    bool has_status = false;
    uint64_t capacity = 0, allocation = 0, available = 0;
};

struct VolSummary {
    std::string name, key, path, activation, holder_name;
    std::string holder_mode;   // exclusive | shared; "" from a module without <holder mode>
    std::string format = "raw";   // raw | qcow2 (<target><format type=…/>)
    uint64_t capacity = 0, allocation = 0;
    bool open = false, skip = false, autoactivation = true, has_holder = false;
    bool incomplete = false;   // <incomplete/>: being made, or its making was interrupted
    std::string backing;       // <backingStore><path>: the image a qcow2 overlay reads (a linked clone's template)
    bool read_only = false;    // <target><permissions><mode>0444: a template of linked clones
    uint32_t holder_id = 0;
};

Result<PoolSummary> summarize_pool(const std::string &xml);
// Whether two pools name one portal of one target: its session and node record are theirs
// together (portals as the module writes them, in one spelling each).
bool shares_portal(const PoolSummary &a, const PoolSummary &b);
Result<VolSummary> summarize_vol(const std::string &xml);
// The VG's LVM metadata area, as inspect_pool's <volumes metadata_size= metadata_free=> says.
struct MetadataArea {
    bool known = false;
    uint64_t size = 0, free = 0;   // vg_mda_size, vg_mda_free (LVM uses at most half the area)
};

// One portal's path to a multipath pool's LUN, as inspect_pool's <volumes><path …/> says
// (issue 19): the session's state, the disk, the kernel's and multipathd's view of it.
struct PathSummary {
    std::string portal, session, disk, dm_state, checker;
    bool usable = false;
};
// "2 of 2 usable: 10.0.2.2:3260 sdb active/ready, 10.0.2.2:3261 sdc failed/faulty"
std::string describe_paths(const std::vector<PathSummary> &paths);

// The <volume> elements of refresh_pool's <volumes> document, of the pool `pool` describes
// (its live XML, with <capacity>): one parse and one walk, as long as the pool's size allows.
// `area`, if given, gets the metadata area the document carries; `paths`, the paths of a pool
// with several portals (none for a pool with one).
Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml, const PoolSummary &pool,
                                                  MetadataArea *area = nullptr, std::vector<PathSummary> *paths = nullptr);
// "64.00 MiB, 29.11 MiB free (room for about 86000 more volumes)": the volumes the free part
// holds at the pool's own bytes per volume (~355 measured; that, for a pool without any).
std::string describe_metadata_area(const MetadataArea &area, size_t volumes);
// How large that document may be: 1 MiB, plus 2 KiB per MiB of the pool's capacity. A volume
// takes one extent at least (pool-build's are 4 MiB) and its <volume> element ~400 bytes, so
// no pool reaches it; a fixed 1 MiB cap broke vol-list from ~2,870 volumes (issue 16).
std::size_t volumes_xml_limit(uint64_t pool_capacity);

// "inactive", "active here, exclusive, open", "held by host 2 (kvm-b), exclusive" ...
std::string describe_activation(const VolSummary &v);

// Where a volume is, for pool-info: "active-here", "held-elsewhere" (a <holder> was found,
// so refresh_vol must have been asked for it) or "free"; and the lock's mode: this host's
// when active here, the holder's when held elsewhere, "" when free or unknown.
const char *placement_state(const VolSummary &v);
std::string placement_mode(const VolSummary &v);

}  // namespace ilvm::host
