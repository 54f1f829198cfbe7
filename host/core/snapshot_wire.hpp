// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's side of the snapshot_vol callback's <snapshots> answer (plugin/include/
// iscsi-lvm/backend.h; the module's side is plugin/src/xml/snapshot_xml): a volume's snapshot
// chain as `ilvm vol-snapshot-list` shows it. A unit test reads what the module writes, so
// the two sides cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct SnapshotView {
    std::string name;
    std::string lv;                      // the layer's LV
    uint64_t capacity = 0;               // its image's virtual size
    uint64_t allocation = 0;             // its LV's size
    bool current = false;                // the volume's top reads through it
    std::optional<int64_t> created;      // unix seconds
    std::optional<std::string> backing;  // the snapshot below it
    std::string description;
};

struct SnapshotChainView {
    std::string pool;
    std::string volume;
    uint64_t capacity = 0;               // the volume's (its top's) virtual size
    uint64_t allocation = 0;             // the top's LV size
    std::optional<std::string> backing;  // the snapshot the top reads through
    std::vector<SnapshotView> snapshots;
};

Result<SnapshotChainView> parse_snapshots(const std::string &xml);

// The answer to a running domain's snapshot's first step (ILVM_SNAPSHOT_LIVE_BEGIN): the new
// top libvirt is to switch the domain's disk to.
struct LiveSnapshotTop {
    std::string volume;   // the volume as it was named before (its LV becomes the layer)
    std::string top;      // the new top's LV: the volume's name from the commit on
    std::string path;     // /dev/<vg>/<top>
};

Result<LiveSnapshotTop> parse_live_snapshot(const std::string &xml);

}  // namespace ilvm::host
