// SPDX-License-Identifier: LGPL-2.1-or-later
// Where every volume of a pool is (pool-info): one vgs (refresh_pool's fields and the VG's
// metadata area) and lvs, then at most one `lvmlockctl -i` for the lock modes of the volumes
// active here and two `sanlock direct dump`s for the hosts holding the others (the delta
// leases, then the LV leases from the first to the last of the volumes inactive here). Five
// commands whatever the number of volumes: refresh_vol per volume cost two 8 MiB reads each.
#include <algorithm>
#include <map>

#include "backend/backend.hpp"
#include "backend/lease_reading.hpp"
#include "common/log.hpp"
#include "lvm/snapshot_tags.hpp"
#include "sanlock/lease_table.hpp"

namespace ilvm {
namespace {

// The LV lock modes lvmlockd holds here for the pool's VG; nullopt when it cannot be asked.
std::optional<std::map<std::string, lvm::LockMode>> local_lock_modes(System &sys, const PoolDef &pool) {
    auto res = sys.run(lvm::lockctl_info());
    if (!res.ok() || !res->succeeded()) {
        spdlog::warn("lvmlockctl -i failed: cannot tell whether the volumes active here in {} are locked shared or "
                     "exclusive",
                     pool.vg_name);
        return std::nullopt;
    }
    return lvm::parse_lockctl_lv_modes(res->out, pool.vg_name);
}

}  // namespace

Result<PoolSnapshot> Backend::inspect_pool(const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto vg_and_area, load_vg_with_metadata_area(pool));
    ILVM_ASSIGN_OR_RETURN(auto all_lvs, load_lvs(pool));
    // Snapshot layers are not volumes (refresh_pool); the VG's allocation counts them.
    const auto lvs = lvm::volumes_only(std::move(all_lvs));
    PoolSnapshot snap = snapshot_of(pool, vg_and_area.first, lvs);
    snap.metadata_area = vg_and_area.second;
    // A pool with several portals: each path's state, two commands more (pool-info's "Paths").
    if (pool.multipath()) {
        auto paths = multipath_lun::path_health(sys_, pool);
        if (paths.ok()) snap.paths = std::move(*paths);
        else spdlog::warn("{}: the pool's paths are not shown", paths.error().message);
    }

    // This host's lock modes: one question to lvmlockd, only when a volume is active here.
    const bool any_here = std::any_of(lvs.begin(), lvs.end(), [](const auto &lv) { return lv.active_locally; });
    if (pool.shared() && any_here) {
        if (auto modes = local_lock_modes(sys_, pool)) {
            for (size_t i = 0; i < lvs.size(); ++i) {
                if (!lvs[i].active_locally) continue;
                auto it = modes->find(lvs[i].uuid);
                set_activation_mode(snap.volumes[i], it == modes->end() ? lvm::LockMode::none : it->second);
            }
        }
    }

    // The other hosts' leases: of the volumes inactive here that have one.
    if (pool.lock_type != LockType::sanlock) return snap;
    std::vector<uint64_t> offsets;
    for (const auto &lv : lvs) {
        if (lv.active_locally) continue;
        if (auto offset = lvm::sanlock_offset_from_lock_args(lv.lock_args); offset.ok()) offsets.push_back(*offset);
    }
    if (offsets.empty()) return snap;
    auto leases = read_leases(sys_, pool, offsets);
    if (!leases.ok()) {
        spdlog::warn("{}: volumes held by other hosts are shown as free", leases.error().message);
        return snap;
    }
    for (size_t i = 0; i < lvs.size(); ++i) {
        if (lvs[i].active_locally || !lvm::sanlock_offset_from_lock_args(lvs[i].lock_args).ok()) continue;
        if (auto h = leases->holder(lvs[i].uuid)) {
            snap.volumes[i].status.holder_host_id = h->host_id;
            snap.volumes[i].status.holder_host_name = h->host_name;
            snap.volumes[i].status.holder_shared = h->shared;
        }
    }
    return snap;
}

}  // namespace ilvm
