// SPDX-License-Identifier: LGPL-2.1-or-later
// A qcow2 volume's snapshot chain activated and released as a unit (issue 18): whenever the
// volume is activated (the qemu hook at prepare, vol-activate, a migration hand-over), its
// top as asked (exclusive, or shared during a hand-over) and then every layer under it
// shared (`lvchange -asy -K`), or nothing stays active: a layer refused rolls back the
// layers activated before it, in reverse order, then the top. Released after the top: each
// layer no other chain active on this host reads.
//
// Layers shared, not exclusive: nothing writes a layer while any host reads it. Its only
// writer, the deletion of an older snapshot rebasing it (backend/snapshots.cpp), takes it
// exclusively, which lvmlockd refuses while any host holds it shared; and linked clones (a
// later step) read one template layer from several hosts at once.
//
// A volume without an ilvm_backing tag (raw, or qcow2 without snapshots) costs nothing
// more; a chain's top one `lvs --nolocking` of the VG, for the layers' rows.
#include <map>
#include <set>

#include "backend/backend.hpp"
#include "common/log.hpp"
#include "lvm/snapshot_tags.hpp"

namespace ilvm {
namespace {

// The LVs under `lv` (its backing, that one's backing, …), nearest first, from the backing
// tags of `lvs`; it stops at a loop.
std::vector<std::string> chain_below(const std::vector<lvm::LvReport> &lvs, const std::string &lv) {
    std::map<std::string, std::string> backing;
    for (const auto &l : lvs)
        if (auto b = lvm::backing_of(l)) backing[l.name] = *b;
    std::vector<std::string> out;
    std::set<std::string> seen{lv};
    for (auto it = backing.find(lv); it != backing.end() && seen.insert(it->second).second; it = backing.find(it->second))
        out.push_back(it->second);
    return out;
}

const lvm::LvReport *row(const std::vector<lvm::LvReport> &lvs, const std::string &name) {
    for (const auto &l : lvs)
        if (l.name == name) return &l;
    return nullptr;
}

}  // namespace

Status Backend::activate_layers(const PoolDef &pool, const lvm::LvReport &top) {
    if (!lvm::backing_of(top)) return {};
    ILVM_ASSIGN_OR_RETURN(const auto lvs, load_lvs(pool, VgLock::none));
    std::vector<std::string> activated;
    auto roll_back = [&] {
        for (auto it = activated.rbegin(); it != activated.rend(); ++it)
            release_lv(pool, *it, "the chain's activation failed and says so; the reconciler does not release layers");
    };
    for (const auto &name : chain_below(lvs, top.name)) {
        const lvm::LvReport *layer = row(lvs, name);
        if (!layer) {
            roll_back();
            return system_error("the snapshot chain of volume '" + top.name + "' names LV " + name +
                                    " as a backing, which does not exist",
                                "lvs -o lv_name,lv_tags " + pool.vg_name + " shows the chain's tags");
        }
        if (layer->active_locally) continue;   // another chain here reads it already: its release keeps it
        forget_lv(pool, name);
        if (Status s = activate_lv(pool, *layer, lvm::ActivationMode::shared, "activate the snapshot layer"); !s.ok()) {
            roll_back();
            return s;
        }
        activated.push_back(name);
    }
    if (!activated.empty())
        spdlog::info("activated {} snapshot layer(s) of {}/{} (shared)", activated.size(), pool.vg_name, top.name);
    return {};
}

void Backend::release_layers(const PoolDef &pool, const lvm::LvReport &top) {
    if (!lvm::backing_of(top)) return;
    auto lvs = load_lvs(pool, VgLock::none);
    if (!lvs.ok()) {
        spdlog::warn("cannot list {} to release the snapshot layers of {}: {} (they stay active here, locked shared; "
                     "deactivate them with lvchange -an)",
                     pool.vg_name, top.name, lvs.error().message);
        return;
    }
    // What the other chains active here read: their layers stay.
    std::set<std::string> read;
    for (const auto &lv : *lvs)
        if (lv.name != top.name && lv.active_locally && !lvm::is_layer(lv))
            for (const auto &name : chain_below(*lvs, lv.name)) read.insert(name);
    for (const auto &name : chain_below(*lvs, top.name)) {
        const lvm::LvReport *layer = row(*lvs, name);
        if (!layer || !layer->active_locally) continue;
        if (read.count(name)) {
            spdlog::info("snapshot layer {}/{} stays active: another chain active here reads it", pool.vg_name, name);
            continue;
        }
        if (layer->device_open) {
            spdlog::warn("snapshot layer {}/{} is still open here: left active (a process other than the stopped "
                         "domain reads it)", pool.vg_name, name);
            continue;
        }
        forget_lv(pool, name);
        release_lv(pool, name, "the volume is released; a layer left active only holds a shared lock");
    }
}

}  // namespace ilvm
