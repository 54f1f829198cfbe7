// SPDX-License-Identifier: LGPL-2.1-or-later
// Snapshots of a running domain's qcow2 volume (issue 18), the LVM half. `ilvm
// vol-snapshot-create` (host/libvirt/live_snapshot.hpp) calls them around libvirt's
// disk-only external snapshot:
//
//   begin   a new top LV N, created with its lock, tagged incomplete, an empty qcow2 overlay
//           on the volume's LV V; V itself is left as it is (QEMU writes it until libvirt's
//           switch);
//   (libvirt: virDomainSnapshotCreateXML(disk-only, reuse-external) switches the disk to N:
//    QEMU writes N from then on and reads V as N's backing)
//   commit  V becomes the read-only layer of snapshot S of volume N, V's layers become N's,
//           N complete;
//   abort   N removed (libvirt refused: nothing else was changed).
//
// Unlike the offline snapshot (snapshots.cpp) no LV is renamed: libvirt keeps the path of
// every image of the disk's chain in the domain's live and persistent XML, and a migration's
// destination opens the chain the XML names. So the volume takes its new top's name, as a
// file-backed disk does after libvirt's own external snapshot. The volume's lock is the one
// its domain holds: the top is active exclusively here (the hook took it at start), which
// no other host can take while the domain runs.
#include "backend/backend.hpp"
#include "backend/templates.hpp"
#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "lvm/snapshot_tags.hpp"

namespace ilvm {
namespace {

// The volume's chain for a running snapshot step: its top open here, exclusively.
Result<VolumeChain> running_chain(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &volume) {
    ILVM_ASSIGN_OR_RETURN(auto chain, chain_of(pool, lvs, volume));
    if (!chain.top.device_open || !chain.top.active_exclusively)
        return conflict("volume '" + volume + "' of pool " + pool.name + " is not open exclusively on this host " +
                            "(no running domain here writes it)",
                        "a volume no domain uses is snapshotted offline: ilvm vol-snapshot-create " + pool.name + " " +
                            volume + " NAME");
    return chain;
}

// The new top begin made for snapshot `name` of the chain: tagged incomplete and backed by
// the chain's top. Anything else under that name is not ours to change.
Result<lvm::LvReport> new_top(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const VolumeChain &chain,
                              const std::string &top_name) {
    for (const auto &lv : lvs) {
        if (lv.name != top_name) continue;
        if (lv.incomplete() && lvm::backing_of(lv) == chain.top.name) return lv;
        return conflict("LV " + pool.vg_name + "/" + top_name + " is not the new top of a running snapshot of volume '" +
                            chain.top.name + "' (it is complete, or backed by another LV)",
                        "lvs -o lv_name,lv_tags " + pool.vg_name + " shows it; see docs/troubleshooting.md (snapshot chains)");
    }
    return not_found("the new top " + pool.vg_name + "/" + top_name + " of volume '" + chain.top.name + "' does not exist",
                     "take the snapshot again: ilvm vol-snapshot-create");
}

}  // namespace

Result<std::string> Backend::begin_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                                 const std::string &description) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_TRY(lvm::validate_snapshot_name(pool.vg_name, volume, name));
    ILVM_TRY(lvm::validate_description(description));
    ILVM_ASSIGN_OR_RETURN(auto listing, load_lvs_with_space(pool));
    for (const auto &lv : listing.lvs)
        if (lv.name == volume && !lvm::is_layer(lv)) ILVM_TRY(refuse_template(pool, lv, "snapshot"));
    ILVM_ASSIGN_OR_RETURN(const auto chain, running_chain(pool, listing.lvs, volume));
    ILVM_ASSIGN_OR_RETURN(const std::string top, plan_live_snapshot(pool, listing.lvs, chain, name));
    ILVM_ASSIGN_OR_RETURN(const uint64_t size, new_top_size(pool, top, chain.capacity, listing));
    ILVM_TRY(make_overlay_top(pool, top, size, chain.capacity, volume));
    spdlog::info("snapshot {} of running volume {}/{}: new top {} made ({}), for libvirt to switch the disk to", name,
                 pool.vg_name, volume, top, human_size(size));
    return top;
}

Status Backend::commit_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                     const std::string &description) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_TRY(lvm::validate_snapshot_name(pool.vg_name, volume, name));
    ILVM_TRY(lvm::validate_description(description));
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    ILVM_ASSIGN_OR_RETURN(const auto chain, running_chain(pool, lvs, volume));
    ILVM_ASSIGN_OR_RETURN(const std::string top_name, plan_live_snapshot(pool, {}, chain, name));
    ILVM_ASSIGN_OR_RETURN(const auto top, new_top(pool, lvs, chain, top_name));
    const std::string &vg = pool.vg_name;
    // The domain writes the new top already: each step that fails says what is left to do.
    auto left = [&](Status s, const std::string &rest) -> Status {
        if (s.ok()) return s;
        Error e = s.take_error();
        e.message = "the domain writes " + top_name + " now, but snapshot '" + name + "' is not recorded: " + e.message;
        e.hint = "record it by hand: " + rest + " (docs/troubleshooting.md, snapshot chains)";
        return e;
    };
    // 1. The volume's LV becomes the snapshot's layer: read-only (QEMU reads it as a backing
    // only, since libvirt's switch) and tagged, in one metadata commit.
    const auto tags = lvm::layer_tags(top_name, name, unix_seconds(cfg_.wall_clock()), description);
    const Command layer = lvm::lv_change_layer(vg, volume, false, tags, {});
    std::vector<Command> retags;
    // 2. Its layers become the new top's.
    for (const auto &l : chain.layers)
        retags.push_back(lvm::lv_change_layer(vg, l.lv.name, std::nullopt, {lvm::kLayerOfTagPrefix + top_name},
                                              {lvm::kLayerOfTagPrefix + volume}));
    auto rest_from = [&](size_t i) {
        std::string out;
        for (; i < retags.size(); ++i) out += retags[i].display() + "; ";
        return out + "lvchange --deltag " + std::string(lvm::kIncompleteTag) + " " + vg + "/" + top_name;
    };
    ILVM_TRY(left(run_status(sys_, layer, "lvchange " + vg + "/" + volume), layer.display() + "; " + rest_from(0)));
    for (size_t i = 0; i < retags.size(); ++i)
        ILVM_TRY(left(run_status(sys_, retags[i], "lvchange " + vg + "/" + chain.layers[i].lv.name), rest_from(i)));
    // 3. The new top is the volume now.
    ILVM_TRY(left(mark_complete(pool, top.name), rest_from(retags.size())));
    spdlog::info("snapshot {} of running volume {}/{} taken: {} is its layer, {} the volume's top", name, vg, volume, volume,
                 top_name);
    return {};
}

Status Backend::abort_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name) {
    ILVM_TRY(validate_lv_name(volume));
    ILVM_TRY(lvm::validate_snapshot_name(pool.vg_name, volume, name));
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    ILVM_ASSIGN_OR_RETURN(const auto chain, chain_of(pool, lvs, volume));
    ILVM_ASSIGN_OR_RETURN(const std::string top_name, plan_live_snapshot(pool, {}, chain, name));
    ILVM_ASSIGN_OR_RETURN(const auto top, new_top(pool, lvs, chain, top_name));
    ILVM_TRY(run_status(sys_, lvm::lvremove(pool.vg_name, top.name), "removing the new top " + pool.vg_name + "/" + top.name));
    spdlog::info("snapshot {} of running volume {}/{} not taken: its new top {} removed", name, pool.vg_name, volume,
                 top.name);
    return {};
}

}  // namespace ilvm
