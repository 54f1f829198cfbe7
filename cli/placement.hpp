// SPDX-License-Identifier: LGPL-2.1-or-later
// Where each volume of a started pool is, for pool-info and vol-list --json: this host's
// lock mode (lvmlockd) or the other host holding its lease, so that both report a volume
// the same way.
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::cli {

// The volumes of refresh_pool's `volumes_xml`, each inspected with its holder looked up.
// refresh_pool's one lvs can tell neither this host's mode nor another host's lease, so
// one refresh_vol per volume: an lvs and lvmlockctl -i, plus two 8 MiB sanlock reads for a
// volume inactive here.
Result<std::vector<host::VolSummary>> placed_volumes(Context &ctx, const std::string &pool,
                                                     const std::string &volumes_xml);

}  // namespace ilvm::cli
