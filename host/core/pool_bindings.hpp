// SPDX-License-Identifier: LGPL-2.1-or-later
// The defined pools as the hook, the reconciler and the hand-over match a domain's disks
// against them: the pool's name and its volume group. libvirt's mirror pool carries the
// same name, so <disk type='volume' pool='NAME'> resolves to it too.
#pragma once

#include <string>
#include <vector>

#include "host/core/pool_store.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::host {

struct PoolBinding {
    std::string name;
    std::string vg;
};

// A defined pool: its name in the store and what its definition says.
struct DefinedPool {
    std::string name;
    PoolSummary def;
};

// Every defined pool whose definition reads, in name order; one that does not is logged
// and left out.
std::vector<DefinedPool> load_defined_pools(const PoolStore &store);
std::vector<PoolBinding> load_pool_bindings(const PoolStore &store);
// The same for a caller that must fail closed (the qemu hook, on a start): an error when the
// config dir or any definition in it cannot be read.
Result<std::vector<PoolBinding>> load_pool_bindings_or_fail(const PoolStore &store);

}  // namespace ilvm::host
