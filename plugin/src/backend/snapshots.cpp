// SPDX-License-Identifier: LGPL-2.1-or-later
// Snapshots of qcow2 volumes as chains of LVs (issue 18), offline: create, list, revert,
// delete, and vol-delete of a volume with its snapshots (a running domain's snapshot:
// live_snapshots.cpp). The chain on disk and the checks:
// backend/snapshot_chain.hpp; the tags: lvm/snapshot_tags.hpp; the facts from lvm2's and
// QEMU's sources: docs/architecture.md ("Snapshots as qcow2 chains").
//
// Every change runs under the volume's lock, the exclusive lock of its top's LV, taken with
// `lvchange -aey -K` (refused while any host has the volume active: a running domain, or
// another host's snapshot operation), and plans from a listing read under it, not from the
// one read before: another host may have taken a snapshot in between (its new top then
// carries the volume's name, and our first listing is stale).
#include <algorithm>
#include <set>

#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "backend/templates.hpp"
#include "backend/tool_messages.hpp"
#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/volume_tags.hpp"
#include "qemu/qemu_img.hpp"

namespace ilvm {
namespace {

Error active_here(const PoolDef &pool, const lvm::LvReport &top, const std::string &verb) {
    return conflict("cannot " + verb + " volume '" + top.name + "' of pool " + pool.name + ": it is " +
                        (top.device_open ? "open" : "active") + " on this host",
                    "stop the domain first (revert and delete are offline; vol-snapshot-create goes through libvirt "
                    "for a domain whose start the hook recorded here), or release it with ilvm vol-deactivate " +
                        top.name + " --pool " + pool.name);
}

}  // namespace

void Backend::release_lv(const PoolDef &pool, const std::string &name, const char *why) {
    continue_after(run_status(sys_, lvm::lv_deactivate(pool.vg_name, name), "releasing " + pool.vg_name + "/" + name), why);
}

Result<std::pair<lvm::LvsWithSpace, VolumeChain>> Backend::offline_chain(const PoolDef &pool, const std::string &volume,
                                                                          const char *verb) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_ASSIGN_OR_RETURN(auto listing, load_lvs_with_space(pool));
    // A template (raw or qcow2) is read-only for good: its clones read it as it is.
    for (const auto &lv : listing.lvs)
        if (lv.name == volume && !lvm::is_layer(lv)) ILVM_TRY(refuse_template(pool, lv, verb));
    ILVM_ASSIGN_OR_RETURN(auto chain, chain_of(pool, listing.lvs, volume));
    if (chain.top.active_locally) return active_here(pool, chain.top, verb);
    return std::make_pair(std::move(listing), std::move(chain));
}

Result<std::pair<lvm::LvsWithSpace, VolumeChain>> Backend::lock_chain(const PoolDef &pool, const VolumeChain &planned,
                                                                       const char *verb) {
    if (Status s = activate_lv(pool, planned.top, lvm::ActivationMode::exclusive, verb); !s.ok()) {
        // Between another host's lvrename of the volume's LV to its new layer and its
        // lvcreate of the new top, the volume's name names no LV.
        if (says(s.error().message, ToolMessage::lv_not_found))
            return conflict("cannot " + std::string(verb) + " volume '" + planned.top.name + "' of pool " + pool.name +
                                ": another host is taking a snapshot of it (its LV was renamed meanwhile)",
                            "try again in a moment");
        return s.error();
    }
    // Listed again under the lock: nobody changes the chain while we hold it (lvrename,
    // lvcreate of a new top and lvremove all need the top's lock), but anyone may have
    // changed it before we took it.
    auto again = [&]() -> Result<std::pair<lvm::LvsWithSpace, VolumeChain>> {
        ILVM_ASSIGN_OR_RETURN(auto listing, load_lvs_with_space(pool));
        ILVM_ASSIGN_OR_RETURN(auto chain, chain_of(pool, listing.lvs, planned.top.name));
        return std::make_pair(std::move(listing), std::move(chain));
    }();
    if (!again.ok()) release_lv(pool, planned.top.name, "the operation was refused and changed nothing");
    return again;
}

Result<VolumeChain> Backend::list_snapshots(const PoolDef &pool, const std::string &volume) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    return chain_of(pool, lvs, volume);
}

Status Backend::create_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                const std::string &description) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_TRY(lvm::validate_snapshot_name(pool.vg_name, volume, name));
    ILVM_TRY(lvm::validate_description(description));
    ILVM_ASSIGN_OR_RETURN(auto found, offline_chain(pool, volume, "snapshot"));
    ILVM_TRY(plan_snapshot_create(pool, found.first.lvs, found.second, name));

    ILVM_ASSIGN_OR_RETURN(auto locked, lock_chain(pool, found.second, "snapshot"));
    const auto &[listing, chain] = locked;
    const std::string &vg = pool.vg_name;
    auto refused = [&](const Error &e) -> Status {
        release_lv(pool, volume, "the snapshot failed or was refused, and what it did is undone");
        return e;
    };
    // Planned again from what the lock shows: another host's snapshot of the same name may
    // have come first (or its vol-resize: the capacity is the one read now).
    auto layer_name = plan_snapshot_create(pool, listing.lvs, chain, name);
    if (!layer_name.ok()) return refused(layer_name.error());
    const std::string layer = *layer_name;
    auto size = new_top_size(pool, volume, chain.capacity, listing);
    if (!size.ok()) return refused(size.error());

    // 1. The top becomes the layer: the same LV, data and lock (keyed by its UUID), renamed.
    if (Status s = run_status(sys_, lvm::lvrename(vg, volume, layer), "lvrename " + vg + "/" + volume); !s.ok())
        return refused(s.error());
    const auto tags = lvm::layer_tags(volume, name, unix_seconds(cfg_.wall_clock()), description);
    // Undoes 1 (and 2): the volume's LV gets its name back, writable and untagged.
    auto undo_layer = [&](bool tagged) {
        continue_after(run_status(sys_, lvm::lvrename(vg, layer, volume), "renaming " + layer + " back to " + volume),
                       "the snapshot failed and says so; lvrename it back by hand (docs/troubleshooting.md)");
        if (tagged)
            continue_after(run_status(sys_, lvm::lv_change_layer(vg, volume, true, {}, tags),
                                      "making " + volume + " writable and untagged again"),
                           "lvchange --permission rw and --deltag by hand (docs/troubleshooting.md)");
    };
    // 2. Read-only (nothing writes a layer but a rebase of it) and tagged as the snapshot:
    // one metadata commit (lvchange groups --permission and tags), so a failure changed none.
    if (Status s = run_status(sys_, lvm::lv_change_layer(vg, layer, false, tags, {}), "lvchange " + vg + "/" + layer);
        !s.ok()) {
        undo_layer(false);
        return refused(s.error());
    }
    // 3. The new top, under the volume's name, backed by the layer.
    Status made = make_overlay_top(pool, volume, *size, chain.capacity, layer);
    if (made.ok()) {
        made = mark_complete(pool, volume);
        if (!made.ok())
            continue_after(run_status(sys_, lvm::lvremove(vg, volume), "removing the half-made top " + vg + "/" + volume),
                           "the snapshot failed and says so; lvremove it by hand if it is still listed");
    }
    if (!made.ok()) {
        undo_layer(true);
        return refused(made.error());
    }
    release_lv(pool, volume, "the snapshot is made; the reconciler releases a volume nothing uses");
    release_lv(pool, layer, "the snapshot is made; a layer active here is released with its chain");
    spdlog::info("snapshot {} of {}/{} taken: layer {}, new top {}", name, vg, volume, layer, human_size(*size));
    return {};
}

Result<uint64_t> Backend::new_top_size(const PoolDef &pool, const std::string &volume, uint64_t capacity,
                                       const lvm::LvsWithSpace &listing) {
    // The new top starts as a new qcow2 volume of its capacity does (one chunk, at most what
    // the image can ever need: qemu-img measure, which reads no file) and is grown by ilvmd
    // like any thin volume.
    VolDef overlay;
    overlay.name = volume;
    overlay.capacity = capacity;
    overlay.format = VolFormat::qcow2;
    ILVM_ASSIGN_OR_RETURN(const uint64_t wanted, qcow2_lv_size(overlay));
    ILVM_ASSIGN_OR_RETURN(const uint64_t size, round_up_to_extent(wanted, listing.space->extent_size));
    if (size > listing.space->free)
        return conflict("not enough free space in pool " + pool.name + " for the new top of volume '" + volume +
                            "': it needs " + human_size(size) + ", " + human_size(listing.space->free) + " available",
                        "delete unused volumes or snapshots");
    return size;
}

Status Backend::make_overlay_top(const PoolDef &pool, const std::string &name, uint64_t size, uint64_t capacity,
                                 const std::string &backing) {
    const std::string &vg = pool.vg_name;
    // Created with its lock taken (no other host can grab it in between), tagged incomplete
    // until its image is written.
    auto tags = lvm::image_tags(VolFormat::qcow2, capacity);
    tags.push_back(lvm::backing_tag(backing));
    ILVM_TRY(run_status(sys_, lvm::lvcreate_locked(vg, name, size, tags), "lvcreate " + vg + "/" + name));
    // Its image: an empty overlay on the backing (cleared as a new volume is, so the LV never
    // shows an earlier volume's bytes).
    const std::string dev = lvm::lv_path(vg, name);
    Status made = pool.wipe_on_create ? device::zero_fill(sys_, dev, size) : device::clear_edges(sys_, dev, size);
    if (made.ok()) made = run_status(sys_, qemu::create_overlay(dev, backing, capacity), "qemu-img create (overlay) on " + dev);
    if (!made.ok())
        continue_after(run_status(sys_, lvm::lvremove(vg, name), "removing the half-made top " + vg + "/" + name),
                       "the snapshot failed and says so; lvremove it by hand if it is still listed");
    return made;
}

Result<LockedSnapshot> Backend::lock_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                              const char *verb) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_TRY(lvm::validate_snapshot_name(pool.vg_name, volume, name));
    ILVM_ASSIGN_OR_RETURN(auto found, offline_chain(pool, volume, verb));
    ILVM_TRY(snapshot_named(pool, found.second, name));
    ILVM_ASSIGN_OR_RETURN(auto locked, lock_chain(pool, found.second, verb));
    // Another host may have deleted it before we took the lock.
    auto target = snapshot_named(pool, locked.second, name);
    if (!target.ok()) {
        release_lv(pool, volume, "the operation was refused and changed nothing");
        return target.error();
    }
    return LockedSnapshot{std::move(locked.first), std::move(locked.second), std::move(*target)};
}

Status Backend::revert_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name) {
    ILVM_ASSIGN_OR_RETURN(const auto locked, lock_snapshot(pool, volume, name, "revert"));
    const VolumeChain &chain = locked.chain;
    const ChainLayer *target = &locked.target;
    const std::string &vg = pool.vg_name;
    // The top's LV stays (its name and lock never leave this host during the revert): an
    // empty image on the layer is written over it, which discards what the top held. Its LV
    // is large enough: a snapshot's capacity is at most the volume's (qcow2 volumes only grow).
    const std::string dev = lvm::lv_path(vg, volume);
    Status made = run_status(sys_, qemu::create_overlay(dev, target->lv.name, target->capacity),
                             "qemu-img create (overlay) on " + dev);
    if (made.ok()) {
        std::vector<std::string> del, add{lvm::backing_tag(target->lv.name)};
        if (chain.backing) del.push_back(lvm::backing_tag(*chain.backing));
        if (target->capacity != chain.capacity) {
            del.push_back(lvm::capacity_tag(chain.capacity));
            add.push_back(lvm::capacity_tag(target->capacity));
        }
        const Command retag = lvm::lv_change_layer(vg, volume, std::nullopt, add, del);
        made = run_status(sys_, retag, "lvchange " + vg + "/" + volume);
        if (!made.ok()) {
            Error e = made.take_error();
            e.hint = "the image is reverted already; record it: " + retag.display();
            made = e;
        }
    }
    release_lv(pool, volume, "the revert is over; the reconciler releases a volume nothing uses");
    if (!made.ok()) return made;
    spdlog::info("volume {}/{} reverted to snapshot {} ({})", vg, volume, name, target->lv.name);
    return {};
}

Status Backend::delete_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name) {
    ILVM_ASSIGN_OR_RETURN(const auto locked, lock_snapshot(pool, volume, name, "delete a snapshot of"));
    const lvm::LvsWithSpace &listing = locked.listing;
    const VolumeChain &chain = locked.chain;
    const ChainLayer &target = locked.target;
    const std::string &vg = pool.vg_name;
    // What this operation activated, released in reverse order at the end, whatever happens;
    // the layers made writable for their rebase are made read-only again first.
    std::vector<std::string> activated{volume};
    std::vector<std::string> writable;
    auto finish = [&](Status s) -> Status {
        for (auto it = writable.rbegin(); it != writable.rend(); ++it)
            continue_after(run_status(sys_, lvm::lv_change_layer(vg, *it, false, {}, {}), "making layer " + *it + " read-only again"),
                           "lvchange --permission r " + vg + "/" + *it + " by hand");
        for (auto it = activated.rbegin(); it != activated.rend(); ++it)
            release_lv(pool, *it, "the snapshot's deletion is over (or failed and says so)");
        return s;
    };
    const auto children = chain.children_of(target.lv.name);
    const std::optional<std::string> parent = target.backing;

    // Each child is rebased onto the layer's parent: qemu-img copies into it every cluster
    // the layer holds that the child does not. So the child's LV grows first by the layer's
    // size (all the layer can hold), at most to what its image can ever need: a rebase never
    // meets a full LV.
    struct Growth {
        const lvm::LvReport *lv;
        uint64_t size;
        bool layer;
    };
    std::vector<Growth> plan;
    uint64_t needed = 0;
    for (const auto *child : children) {
        const bool is_layer = child->name != volume;
        const uint64_t capacity = is_layer ? chain.layer_lv(child->name)->capacity : chain.capacity;
        auto need = measure_qcow2(capacity);
        if (!need.ok()) return finish(need.error());
        auto ceiling = round_up_to_extent(need->fully_allocated, listing.space->extent_size);
        if (!ceiling.ok()) return finish(ceiling.error());
        auto size = round_up_to_extent(std::min(child->size + target.lv.size, std::max(*ceiling, child->size)),
                                       listing.space->extent_size);
        if (!size.ok()) return finish(size.error());
        needed += *size - child->size;
        plan.push_back({child, *size, is_layer});
    }
    if (needed > listing.space->free)
        return finish(conflict("not enough free space in pool " + pool.name + " to delete snapshot '" + name + "' of volume '" +
                                   volume + "': its children need " + human_size(needed) + " more to take in its data, " +
                                   human_size(listing.space->free) + " available",
                               "delete unused volumes or snapshots first"));

    // The chain the children read today (the layer and everything under it) active shared:
    // read, never written. The children exclusively and writable: the rebase writes them.
    if (!children.empty()) {
        std::vector<const ChainLayer *> readers{&target};
        for (const auto *l : chain.below(parent)) readers.push_back(l);
        for (const auto *l : readers) {
            if (l->lv.active_locally) continue;
            if (Status s = activate_lv(pool, l->lv, lvm::ActivationMode::shared, "read"); !s.ok()) return finish(s);
            activated.push_back(l->lv.name);
        }
        for (const auto &g : plan) {
            if (!g.layer) continue;
            if (Status s = activate_lv(pool, *g.lv, lvm::ActivationMode::exclusive, "rebase"); !s.ok()) return finish(s);
            activated.push_back(g.lv->name);
            if (Status s = run_status(sys_, lvm::lv_change_layer(vg, g.lv->name, true, {}, {}), "lvchange " + vg + "/" + g.lv->name);
                !s.ok())
                return finish(s);
            writable.push_back(g.lv->name);
        }
    }
    for (const auto &g : plan) {
        if (g.size > g.lv->size) {
            auto out = sys_.run(lvm::lvextend(vg, g.lv->name, g.size));
            if (!out.ok()) return finish(out.error());
            if (!out->succeeded()) return finish(activation_error(pool, *g.lv, *out, "grow"));
        }
        // A rebase that fails leaves the child as it was (readable through its old chain).
        if (Status s = run_status(sys_, qemu::rebase_qcow2(lvm::lv_path(vg, g.lv->name), parent.value_or("")),
                                  "qemu-img rebase of " + g.lv->name + " onto " + parent.value_or("nothing"));
            !s.ok())
            return finish(s);
        std::vector<std::string> add;
        if (parent) add.push_back(lvm::backing_tag(*parent));
        const bool was_writable = std::find(writable.begin(), writable.end(), g.lv->name) != writable.end();
        const Command retag = lvm::lv_change_layer(vg, g.lv->name, g.layer ? std::optional<bool>(false) : std::nullopt, add,
                                                   {lvm::backing_tag(target.lv.name)});
        if (Status s = run_status(sys_, retag, "recording the new backing of " + g.lv->name); !s.ok()) {
            Error e = s.take_error();
            e.hint = g.lv->name + "'s image is rebased already; record it: " + retag.display();
            return finish(e);
        }
        if (was_writable) writable.erase(std::find(writable.begin(), writable.end(), g.lv->name));
    }
    // The layer goes: released here first (lvremove takes its lock exclusively itself).
    if (auto it = std::find(activated.begin(), activated.end(), target.lv.name); it != activated.end()) {
        activated.erase(it);
        release_lv(pool, target.lv.name, "lvremove refuses it below if it is still active");
    }
    auto out = sys_.run(lvm::lvremove(vg, target.lv.name));
    if (!out.ok()) return finish(out.error());
    if (!out->succeeded()) return finish(activation_error(pool, target.lv, *out, "delete"));
    spdlog::info("snapshot {} of {}/{} deleted ({} rebased onto {})", name, vg, volume, children.size(),
                 parent.value_or("nothing"));
    return finish({});
}

Result<bool> Backend::delete_chain(const PoolDef &pool, const lvm::LvReport &top, DeleteVolOptions opts) {
    // This host's view without the VG lock (delete_vol's own listing); the plan is made again
    // under the volume's lock below.
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool, VgLock::none));
    std::string names;
    for (const auto &lv : lvs)
        if (lvm::layer_of(lv) == top.name)
            names += (names.empty() ? "" : ", ") + lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or(lv.name);
    if (names.empty()) return false;
    if (!opts.snapshots)
        return conflict("volume '" + top.name + "' of pool " + pool.name + " has snapshots: " + names,
                        "delete them first (ilvm vol-snapshot-delete), or the volume with all of them: ilvm vol-delete " +
                            top.name + " --pool " + pool.name + " --snapshots");
    ILVM_ASSIGN_OR_RETURN(auto planned, chain_of(pool, lvs, top.name));
    ILVM_ASSIGN_OR_RETURN(auto locked, lock_chain(pool, planned, "delete"));
    const VolumeChain &chain = locked.second;
    const std::string &vg = pool.vg_name;
    const bool wipe = opts.wipe.value_or(pool.wipe_on_delete);
    if (wipe) {
        if (Status s = device::zero_fill(sys_, lvm::lv_path(vg, top.name), chain.top.size); !s.ok()) {
            release_lv(pool, top.name, "the deletion failed and says so");
            return s.error();
        }
    }
    // The top first (we hold it; lvremove --yes removes an active LV it may lock), then the
    // layers from the leaves down, so that what is left is always a valid chain.
    auto out = sys_.run(lvm::lvremove(vg, top.name));
    if (!out.ok() || !out->succeeded()) {
        release_lv(pool, top.name, "the deletion failed and says so");
        return out.ok() ? activation_error(pool, chain.top, *out, "delete") : out.error();
    }
    std::vector<const ChainLayer *> left;
    for (const auto &l : chain.layers) left.push_back(&l);
    std::optional<Error> first;
    while (!left.empty()) {
        auto leaf = std::find_if(left.begin(), left.end(), [&](const ChainLayer *l) {
            return std::none_of(left.begin(), left.end(), [&](const ChainLayer *o) { return o->backing == l->lv.name; });
        });
        if (leaf == left.end()) leaf = left.begin();   // chain_of() rules out loops
        const ChainLayer &l = **leaf;
        left.erase(leaf);
        Status removed = wipe ? with_volume_active(
                                    pool, l.lv, [&] { return device::zero_fill(sys_, lvm::lv_path(vg, l.lv.name), l.lv.size); },
                                    "delete")
                              : Status{};
        if (removed.ok()) {
            auto r = sys_.run(lvm::lvremove(vg, l.lv.name));
            if (!r.ok()) removed = r.error();
            else if (!r->succeeded()) removed = activation_error(pool, l.lv, *r, "delete");
        }
        if (!removed.ok() && !first) {
            Error e = removed.take_error();
            e.message = "volume '" + top.name + "' is deleted, but not its snapshot '" + l.snapshot + "': " + e.message;
            if (e.hint.empty()) e.hint = "lvremove " + vg + "/" + l.lv.name;
            first = e;
        }
    }
    if (first) return *first;
    spdlog::info("deleted volume {}/{} and its {} snapshot(s){}", vg, top.name, chain.layers.size(), wipe ? " (zeroed first)" : "");
    return true;
}

}  // namespace ilvm
