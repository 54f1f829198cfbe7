// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/lookup.hpp"

#include "cli/placement.hpp"
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
    for (const auto &name : pools) {
        ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(name));
        ILVM_ASSIGN_OR_RETURN(auto vols, listed_volumes(ctx, xml));
        for (const auto &v : vols)
            if (v.key == key) return Found{std::make_pair(name, v.name)};
    }
    return Found{};
}

}  // namespace ilvm::cli
