// SPDX-License-Identifier: LGPL-2.1-or-later
// The defined pools as the hook, the reconciler and the hand-over match a domain's disks
// against them: the pool's name and its volume group. libvirt's mirror pool carries the
// same name, so <disk type='volume' pool='NAME'> resolves to it too.
#pragma once

#include <string>
#include <vector>

#include "host/core/pool_store.hpp"

namespace ilvm::host {

struct PoolBinding {
    std::string name;
    std::string vg;
};

// Every defined pool whose definition reads; one that does not is logged and left out.
std::vector<PoolBinding> load_pool_bindings(const PoolStore &store);

}  // namespace ilvm::host
