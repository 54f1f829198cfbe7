// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading the sanlock leases of several volumes of a pool at once (backend-internal): pool-info
// names the hosts holding its volumes from them (backend/placement.cpp), pool-rejoin tells
// from them which volumes nobody took while this host was cut off (backend/rejoin.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "common/system.hpp"
#include "model/pool_def.hpp"
#include "sanlock/lease_table.hpp"

namespace ilvm {

// The leases at `offsets` (not empty) and the delta leases naming the hosts, in two reads of
// the VG's lvmlock LV (never the gap between them: lease_table.hpp, lease_range); a system
// error "cannot read the sanlock leases of VG (why)" when sanlock cannot read either.
Result<sanlock::LeaseTable> read_leases(System &sys, const PoolDef &pool, const std::vector<uint64_t> &offsets);

}  // namespace ilvm
