// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/pool_bindings.hpp"

#include "common/log.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::host {

std::vector<DefinedPool> load_defined_pools(const PoolStore &store) {
    std::vector<DefinedPool> out;
    for (const auto &name : store.names()) {
        auto xml = store.load(name);
        auto p = xml.ok() ? summarize_pool(*xml) : Result<PoolSummary>(xml.error());
        if (!p.ok()) {
            spdlog::warn("pool {} left out: its definition does not read: {}", name, p.error().message);
            continue;
        }
        out.push_back({name, std::move(*p)});
    }
    return out;
}

Result<std::vector<PoolBinding>> load_pool_bindings_or_fail(const PoolStore &store) {
    ILVM_ASSIGN_OR_RETURN(auto names, store.list());
    std::vector<PoolBinding> out;
    for (const auto &name : names) {
        auto xml = store.load(name);
        auto p = xml.ok() ? summarize_pool(*xml) : Result<PoolSummary>(xml.error());
        if (!p.ok())
            return system_error("cannot read the definition of pool " + name + ": " + p.error().message,
                                "repair or remove " + store.definition_path(name));
        out.push_back({p->name, p->vg});
    }
    return out;
}

std::vector<PoolBinding> load_pool_bindings(const PoolStore &store) {
    std::vector<PoolBinding> out;
    for (const auto &p : load_defined_pools(store)) out.push_back({p.def.name, p.def.vg});
    return out;
}

}  // namespace ilvm::host
