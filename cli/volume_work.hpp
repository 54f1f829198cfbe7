// SPDX-License-Identifier: LGPL-2.1-or-later
// How a volume verb names its volume and holds it: VOL (+ --pool), its key or its
// /dev/<vg>/<lv> path; a read resolves it, a change begins work on it (the pool's lock
// shared, the volume's lock). Shared by the vol-* and vol-snapshot-* verbs.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/context.hpp"
#include "common/file_lock.hpp"
#include "common/result.hpp"
#include "host/core/volume_lock.hpp"

namespace ilvm::cli {

struct VolRef {
    std::string pool;
    std::string pool_xml;
    std::string name;
};

// What a volume verb that changes something holds for its whole length: the pool's lock,
// shared (volume work runs in parallel; the pool cannot be stopped, deleted or redefined
// meanwhile), and the lock of each volume it works on (host/core/volume_lock.hpp: the qemu
// hook refuses to start a domain on them, naming the operation, and no other verb on this
// host touches them).
struct VolumeWork {
    VolRef ref;                                // the verb's volume, on the definition the pool runs with
    std::optional<FileLock> pool_lock;
    std::vector<host::VolumeLock> volume_locks;
};

// Whether a volume some domain on this host is recorded to use may be worked on.
enum class Owned { refuse, allow };

// The volume named by VOL (+ --pool), by its key, or by its /dev/<vg>/<lv> path: the pool and LV name.
Result<std::pair<std::string, std::string>> volume_arg(Context &ctx, const Args &args);

// A read: the started pool's definition, no lock.
Result<VolRef> resolve(Context &ctx, const Args &args);

// A change: the locks of `volumes` (the first is the verb's own volume) of `pool`, taken in
// order: the pool's, then the volumes' in name order; the pool checked to be started under
// its lock. A volume a domain here is recorded to use is refused unless `owned` allows it.
Result<VolumeWork> begin_work(Context &ctx, const Args &args, const std::string &pool, std::vector<std::string> volumes,
                              const std::string &operation, Owned owned);
// The same for the volume the verb's arguments name.
Result<VolumeWork> begin_work(Context &ctx, const Args &args, const std::string &operation, Owned owned = Owned::refuse);

}  // namespace ilvm::cli
