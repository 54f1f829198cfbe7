// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/lookup.hpp"

#include "common/names.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::cli {

std::string pool_by_name_or_uuid(const host::PoolStore &store, const std::string &given) {
    // A name first: a pool may be named like another pool's UUID, and its name is what
    // the user sees in pool-list.
    if (!validate_uuid(given).ok() || store.exists(given)) return given;
    for (const auto &p : host::load_defined_pools(store))
        if (p.def.uuid == given) return p.name;
    return given;
}

Result<std::optional<std::pair<std::string, std::string>>> volume_by_key(Context &ctx, const std::string &key,
                                                                          const std::string &pool) {
    using Found = std::optional<std::pair<std::string, std::string>>;
    if (!validate_lvm_uuid(key).ok()) return Found{};
    std::vector<std::string> pools;
    if (!pool.empty()) pools.push_back(pool);
    else
        for (const auto &name : ctx.store.names())
            if (ctx.store.active(name)) pools.push_back(name);
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    for (const auto &name : pools) {
        ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(name));
        ILVM_ASSIGN_OR_RETURN(auto r, be->refresh_pool(xml));   // a read: nothing is recorded
        ILVM_ASSIGN_OR_RETURN(auto vols, host::summarize_volumes(r.volumes_xml));
        for (const auto &v : vols)
            if (v.key == key) return Found{std::make_pair(name, v.name)};
    }
    return Found{};
}

}  // namespace ilvm::cli
