// SPDX-License-Identifier: LGPL-2.1-or-later
// Where each volume of a started pool is, for pool-info and vol-list --json: this host's
// lock mode (lvmlockd) or the other host holding its lease, so that both report a volume
// the same way; and the plain list, for what needs no placement.
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::cli {

// A started pool as the module's inspect_pool sees it.
struct Placement {
    host::PoolSummary pool;                 // the live XML's: with capacity and allocation
    std::vector<host::VolSummary> volumes;  // each with this host's mode or the other host's lease
    host::MetadataArea metadata_area;       // known = false when vgs could not say
    std::vector<host::PathSummary> paths;   // a pool with several portals: each one's path
};

// The pool `running_xml` (its run-state XML) with every volume placed, from one inspect_pool:
// vgs, lvs, the metadata area's vgs, at most one lvmlockctl -i and one sanlock read of the
// whole lease area, whatever the number of volumes. Looking each volume up (refresh_vol with
// its holder) cost an lvs and lvmlockctl -i per volume, plus two 8 MiB reads per volume
// inactive here: minutes at thousands of volumes (issue 16).
Result<Placement> placed_volumes(Context &ctx, const std::string &running_xml);

// The same pool's volumes as refresh_pool's vgs and lvs see them: this host's view only
// (active here or not, flags), no holder, two commands; for what needs no placement
// (vol-list's tables, a volume looked up by key).
Result<std::vector<host::VolSummary>> listed_volumes(Context &ctx, const std::string &running_xml);

}  // namespace ilvm::cli
