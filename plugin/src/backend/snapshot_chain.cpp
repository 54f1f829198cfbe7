// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/snapshot_chain.hpp"

#include <set>

#include "common/numbers.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/volume_tags.hpp"

namespace ilvm {

const ChainLayer *VolumeChain::snapshot(const std::string &name) const {
    for (const auto &l : layers)
        if (l.snapshot == name) return &l;
    return nullptr;
}

const ChainLayer *VolumeChain::layer_lv(const std::string &lv_name) const {
    for (const auto &l : layers)
        if (l.lv.name == lv_name) return &l;
    return nullptr;
}

std::vector<const lvm::LvReport *> VolumeChain::children_of(const std::string &lv_name) const {
    std::vector<const lvm::LvReport *> out;
    if (backing == lv_name) out.push_back(&top);
    for (const auto &l : layers)
        if (l.backing == lv_name) out.push_back(&l.lv);
    return out;
}

std::vector<const ChainLayer *> VolumeChain::below(const std::optional<std::string> &from) const {
    std::vector<const ChainLayer *> out;
    for (auto next = from; next;) {
        const ChainLayer *l = layer_lv(*next);
        // chain_of() checked that every backing names a layer and that no chain loops.
        if (!l || out.size() > layers.size()) break;
        out.push_back(l);
        next = l->backing;
    }
    return out;
}

std::string VolumeChain::snapshot_names() const {
    std::string out;
    for (const auto &l : layers) out += (out.empty() ? "" : ", ") + l.snapshot;
    return out;
}

Result<VolumeChain> chain_of(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &volume) {
    VolumeChain chain;
    bool found = false;
    for (const auto &lv : lvs) {
        if (lv.name == volume && !lvm::is_layer(lv)) {
            chain.top = lv;
            found = true;
        } else if (lvm::layer_of(lv) == volume) {
            ChainLayer l;
            l.lv = lv;
            l.snapshot = lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or(lv.name);
            l.backing = lvm::backing_of(lv);
            if (auto c = lvm::tag_value(lv, lvm::kCreatedTagPrefix)) {
                if (auto n = parse_digits(*c)) l.created = static_cast<int64_t>(*n);
            }
            l.description = lvm::decode_description(lvm::tag_value(lv, lvm::kDescriptionTagPrefix).value_or(""));
            auto image = lvm::image_of(lv);
            l.capacity = image.ok() ? image->capacity : lv.size;
            chain.layers.push_back(std::move(l));
        }
    }
    // Layers without a top: between another host's lvrename of the volume's LV to a new
    // layer and its lvcreate of the new top, or a snapshot interrupted there.
    if (!found && !chain.layers.empty())
        return conflict("volume '" + volume + "' of pool " + pool.name +
                            " has snapshot layers but no LV of its own: another host is taking a snapshot of it, "
                            "or one was interrupted",
                        "try again in a moment; if it stays so, see docs/troubleshooting.md (Snapshot chains)");
    if (!found) {
        // A running domain's snapshot leaves the volume's LV as the snapshot's layer and the
        // volume under its new top's name (backend/live_snapshots.cpp).
        for (const auto &lv : lvs)
            if (lv.name == volume && lvm::is_layer(lv))
                return not_found("'" + volume + "' is no volume of pool " + pool.name + " any more: it holds snapshot '" +
                                     lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or("?") + "' of volume '" +
                                     lvm::layer_of(lv).value_or("?") + "'",
                                 "ilvm vol-snapshot-list " + pool.name + " " + lvm::layer_of(lv).value_or(""));
        return not_found("volume '" + volume + "' not found in pool " + pool.name,
                         "list the pool's volumes with ilvm vol-list " + pool.name);
    }
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(chain.top));
    if (image.format != VolFormat::qcow2)
        return invalid_input("volume '" + volume + "' of pool " + pool.name + " is raw: snapshots are qcow2 chains",
                             "snapshots need a qcow2 volume (ilvm vol-create-as --format qcow2); copy a raw disk into "
                             "one with qemu-img convert -O qcow2 while both are active here");
    if (chain.top.incomplete())
        return conflict("volume '" + volume + "' of pool " + pool.name +
                            " is being made (tagged incomplete): another host's snapshot or vol-create is under way, "
                            "or one was interrupted",
                        "try again in a moment; ilvm reconcile lists an interrupted one");
    chain.capacity = image.capacity;
    chain.backing = lvm::backing_of(chain.top);
    // A linked clone reads its template, a volume of its own, not a layer: its chain would
    // end on another volume's image (snapshots of a clone are not built; a full copy of it,
    // vol-clone without --linked, is a standalone qcow2 volume that can have them).
    if (chain.backing && !chain.layer_lv(*chain.backing))
        for (const auto &lv : lvs)
            if (lv.name == *chain.backing && !lvm::is_layer(lv))
                return invalid_input("volume '" + volume + "' of pool " + pool.name + " is a linked clone of template '" +
                                         lv.name + "': it has no snapshots of its own",
                                     "snapshots of a linked clone are not built yet; a full copy of it (ilvm vol-clone " +
                                         pool.name + " " + volume + " COPY, without --linked) can have them");
    // Every backing names a layer of this volume, and no chain loops: what the operations rely on.
    std::vector<std::optional<std::string>> starts{chain.backing};
    for (const auto &l : chain.layers) starts.push_back(l.backing);
    for (const auto &start : starts) {
        std::set<std::string> seen;
        for (auto next = start; next;) {
            const ChainLayer *l = chain.layer_lv(*next);
            if (!l)
                return system_error("the snapshot chain of volume '" + volume + "' names LV " + *next +
                                         " as a backing, which is not one of its layers",
                                     "lvs -o lv_name,lv_tags " + pool.vg_name + " shows the chain's tags; see "
                                     "docs/troubleshooting.md (snapshot chains)");
            if (!seen.insert(*next).second)
                return system_error("the snapshot chain of volume '" + volume + "' loops at LV " + *next,
                                    "lvs -o lv_name,lv_tags " + pool.vg_name + " shows the chain's tags");
            next = l->backing;
        }
    }
    return chain;
}

namespace {

// Snapshot `name` is new to the chain, and LV `lv` (what it makes: `role`) is free in the VG.
Status name_free(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const VolumeChain &chain,
                 const std::string &name, const std::string &lv, const std::string &role) {
    if (chain.snapshot(name))
        return conflict("volume '" + chain.top.name + "' of pool " + pool.name + " already has a snapshot '" + name + "'",
                        "choose another name (ilvm vol-snapshot-list " + pool.name + " " + chain.top.name + ")");
    for (const auto &other : lvs)
        if (other.name == lv)
            return conflict("LV " + pool.vg_name + "/" + lv + ", " + role + " snapshot '" + name + "' of volume '" +
                                chain.top.name + "' needs, already exists",
                            "choose another snapshot name");
    return {};
}

}  // namespace

Result<std::string> plan_snapshot_create(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                         const VolumeChain &chain, const std::string &name) {
    const std::string layer = lvm::layer_lv_name(chain.top.name, name);
    ILVM_TRY(name_free(pool, lvs, chain, name, layer, "the name"));
    return layer;
}

Result<std::string> plan_live_snapshot(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                       const VolumeChain &chain, const std::string &name) {
    std::string base = chain.top.name;
    if (const ChainLayer *below = chain.backing ? chain.layer_lv(*chain.backing) : nullptr;
        below && chain.top.name == below->lv.name + "." + below->snapshot)
        base = below->lv.name;
    const std::string top = base + "." + name;
    ILVM_TRY(name_free(pool, lvs, chain, name, top, "the new top"));
    if (!lvm::lv_name_fits(pool.vg_name, top))
        return invalid_input("snapshot name '" + name + "' makes the running domain's new top " + top +
                                 ", a name that does not fit as an LV of volume group " + pool.vg_name,
                             "choose a shorter snapshot name");
    return top;
}

Result<ChainLayer> snapshot_named(const PoolDef &pool, const VolumeChain &chain, const std::string &name) {
    if (const ChainLayer *l = chain.snapshot(name)) return *l;
    return not_found("volume '" + chain.top.name + "' of pool " + pool.name + " has no snapshot '" + name + "'",
                     chain.layers.empty() ? std::string("it has no snapshot")
                                          : "its snapshots: " + chain.snapshot_names());
}

}  // namespace ilvm
