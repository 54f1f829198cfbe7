// SPDX-License-Identifier: LGPL-2.1-or-later
// What a virsh-style argument names, as virsh looks it up: a pool by name or UUID, a volume
// by name (with its pool), key or path (docs/man/ilvm.8, "Naming pools and volumes").
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "cli/context.hpp"

namespace ilvm::cli {

// The defined pool's name: `given` itself when a pool has that name, else the pool whose
// UUID it is, else `given` unchanged (the verb then says it is not defined).
std::string pool_by_name_or_uuid(const host::PoolStore &store, const std::string &given);

// The (pool, volume name) of the volume whose key (its LV UUID) is `key`, looked for in
// `pool` or, when that is empty, in every pool started here; nullopt when `key` is not
// shaped like a key or no volume has it.
Result<std::optional<std::pair<std::string, std::string>>> volume_by_key(Context &ctx, const std::string &key,
                                                                          const std::string &pool);

}  // namespace ilvm::cli
