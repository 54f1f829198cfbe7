// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/placement.hpp"

namespace ilvm::cli {

Result<Placement> placed_volumes(Context &ctx, const std::string &running_xml) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto live, be->inspect_pool(running_xml));   // a read: nothing is recorded
    Placement out;
    ILVM_ASSIGN_OR_RETURN(out.pool, host::summarize_pool(live.pool_xml));
    // The pool's capacity bounds the volume document (summarize_volumes): the live XML's.
    ILVM_ASSIGN_OR_RETURN(out.volumes, host::summarize_volumes(live.volumes_xml, out.pool, &out.metadata_area, &out.paths));
    return out;
}

Result<std::vector<host::VolSummary>> listed_volumes(Context &ctx, const std::string &running_xml) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto r, be->refresh_pool(running_xml));   // a read: nothing is recorded
    ILVM_ASSIGN_OR_RETURN(auto live, host::summarize_pool(r.pool_xml));
    return host::summarize_volumes(r.volumes_xml, live);
}

}  // namespace ilvm::cli
