// SPDX-License-Identifier: LGPL-2.1-or-later
// A qcow2 volume's snapshot chain as one `lvs` of its VG shows it (lvm/snapshot_tags.hpp),
// and the checks every snapshot operation makes on it. Pure: the backend lists, this plans,
// the backend runs. Every operation that changes a chain plans twice: before it takes the
// volume's lock (a quick refusal, nothing taken) and again from a listing read under it
// (backend/snapshots.cpp): another host may have changed the chain in between.
//
// The volume's own LV (its name never changes, so neither does any domain's XML) is the
// chain's top: a qcow2 image backed by the newest layer it was made or reverted on. Each
// layer is a read-only LV holding the image the top had when its snapshot was taken, backed
// by the layer below it. After a revert the layers newer than the one reverted to stay, each
// still a valid image: the layers form a tree whose root has no backing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lvm/lvm_report.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

struct ChainLayer {
    lvm::LvReport lv;
    std::string snapshot;                 // ilvm_snapshot:<name>
    std::optional<std::string> backing;   // the LV below it; none for the tree's root
    std::optional<int64_t> created;       // ilvm_created:<unix>, when it parses
    std::string description;              // decoded
    uint64_t capacity = 0;                // its image's virtual size (ilvm_capacity_)
};

struct VolumeChain {
    lvm::LvReport top;
    uint64_t capacity = 0;                // the top's virtual size
    std::optional<std::string> backing;   // the layer the top reads through
    std::vector<ChainLayer> layers;       // every layer of the volume, in the listing's order

    const ChainLayer *snapshot(const std::string &name) const;
    const ChainLayer *layer_lv(const std::string &lv_name) const;
    // The LVs whose image is backed by `lv_name`: the top and layers.
    std::vector<const lvm::LvReport *> children_of(const std::string &lv_name) const;
    // The layers under `lv_name` (its backing, that one's backing, …), nearest first.
    std::vector<const ChainLayer *> below(const std::optional<std::string> &backing) const;
    // The snapshot names of every layer, for a refusal that names them.
    std::string snapshot_names() const;
};

// What a revert or a delete works on, read under the volume's lock: the VG's listing (with
// its free space), the volume's chain, the snapshot's layer.
struct LockedSnapshot {
    lvm::LvsWithSpace listing;
    VolumeChain chain;
    ChainLayer target;
};

// The chain of `volume` in `lvs` (one listing of the VG). not_found: no such volume (or the
// name is a layer's); invalid_input: a raw volume (snapshots are qcow2 chains); conflict: a
// top still being made (tagged incomplete: another host's snapshot, or an interrupted one),
// or layers of the volume without a top (another host between its rename and its lvcreate);
// system: a layer whose backing tag names nothing or a loop.
Result<VolumeChain> chain_of(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &volume);

// A new snapshot `name` of the chain: refused (conflict) when the volume has a snapshot of
// that name or the layer's LV name is taken in the VG. The layer's LV name.
Result<std::string> plan_snapshot_create(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                         const VolumeChain &chain, const std::string &name);
// A new snapshot `name` of the chain while a domain runs on its top: the new top's LV name,
// <base>.<name>, where <base> is the volume's name, or the name it had before a running
// snapshot named it <base>.<s> (its top then reads through the layer <base> of snapshot
// s): successive running snapshots of web1 make web1.s1, web1.s2, … rather than
// web1.s1.s2. Refused (conflict) when the volume has a snapshot of that name or the LV name
// is taken; invalid_input when the name does not fit (lvm/snapshot_tags.hpp lv_name_fits).
Result<std::string> plan_live_snapshot(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                       const VolumeChain &chain, const std::string &name);
// The layer of snapshot `name`, else not_found naming the volume's snapshots.
Result<ChainLayer> snapshot_named(const PoolDef &pool, const VolumeChain &chain, const std::string &name);

}  // namespace ilvm
