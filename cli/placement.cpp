// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/placement.hpp"

#include "host/core/volume_locks.hpp"

namespace ilvm::cli {

Result<std::vector<host::VolSummary>> placed_volumes(Context &ctx, const std::string &pool,
                                                     const std::string &volumes_xml) {
    ILVM_ASSIGN_OR_RETURN(auto vols, host::summarize_volumes(volumes_xml));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    host::ModuleVolumeLocks locks(*be, ctx.store);
    for (auto &v : vols) {
        ILVM_ASSIGN_OR_RETURN(v, locks.inspect({pool, v.name}, {.find_holder = true}));
    }
    return vols;
}

}  // namespace ilvm::cli
