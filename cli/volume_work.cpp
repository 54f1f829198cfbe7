// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/volume_work.hpp"

#include <algorithm>

#include "cli/lookup.hpp"
#include "common/names.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/volume_owners.hpp"

namespace ilvm::cli {

Result<std::pair<std::string, std::string>> volume_arg(Context &ctx, const Args &args) {
    std::string vol = args.get("vol"), pool = args.get("pool");
    if (vol.rfind("/dev/", 0) == 0) {
        // /dev/<vg>/<lv>: find the pool whose VG it is.
        auto rest = vol.substr(5);
        auto slash = rest.find('/');
        if (slash == std::string::npos) return invalid_input("'" + vol + "' is not a volume path (/dev/<vg>/<volume>)");
        std::string vg = rest.substr(0, slash), lv = rest.substr(slash + 1);
        for (const auto &p : host::load_defined_pools(ctx.store)) {
            if (p.def.vg == vg && (pool.empty() || pool == p.name)) {
                pool = p.name;
                vol = lv;
                break;
            }
        }
        if (pool.empty() || vol.rfind("/dev/", 0) == 0) return not_found("no defined pool has volume group '" + vg + "'");
    } else {
        // virsh's second way: the volume's key (LV UUID), with or without --pool.
        ILVM_ASSIGN_OR_RETURN(auto by_key, volume_by_key(ctx, vol, pool));
        if (by_key) return *by_key;
        if (pool.empty() && validate_lvm_uuid(vol).ok())
            return not_found("no volume of a pool started here has key '" + vol + "'",
                             "list keys with ilvm vol-list POOL --json, or name the volume with --pool POOL");
    }
    if (pool.empty()) return invalid_input("which pool? pass --pool POOL (or the volume's /dev/<vg>/<name> path)");
    ILVM_TRY(validate_lv_name(vol));
    return std::make_pair(pool, vol);
}

Result<VolRef> resolve(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto pv, volume_arg(ctx, args));
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(pv.first));
    return VolRef{pv.first, xml, pv.second};
}

Result<VolumeWork> begin_work(Context &ctx, const Args &args, const std::string &pool, std::vector<std::string> volumes,
                              const std::string &operation, Owned owned) {
    for (const auto &v : volumes) ILVM_TRY(validate_lv_name(v));
    ILVM_TRY(ctx.pool_xml(pool));
    VolumeWork work;
    ILVM_ASSIGN_OR_RETURN(auto pool_lock, ctx.lock_pool(args, pool, LockMode::shared));
    work.pool_lock.emplace(std::move(pool_lock));
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(pool));
    work.ref = VolRef{pool, xml, volumes.front()};
    std::sort(volumes.begin(), volumes.end());
    for (const auto &v : volumes) {
        ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_volume(args, {pool, v}, operation));
        work.volume_locks.push_back(std::move(lock));
        if (owned == Owned::allow) continue;
        ILVM_ASSIGN_OR_RETURN(auto owners, host::read_volume_owners(ctx.store, {pool, v}));
        if (!owners.empty())
            return conflict("volume '" + v + "' of pool " + pool + " is in use by domain " + host::owner_names(owners) +
                                " on this host",
                            "stop the domain first (virsh shutdown/destroy)");
    }
    return work;
}

Result<VolumeWork> begin_work(Context &ctx, const Args &args, const std::string &operation, Owned owned) {
    ILVM_ASSIGN_OR_RETURN(auto pv, volume_arg(ctx, args));
    return begin_work(ctx, args, pv.first, {pv.second}, operation, owned);
}

}  // namespace ilvm::cli
