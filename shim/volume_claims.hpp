// SPDX-License-Identifier: LGPL-2.1-or-later
// The qemu hook's use of the host-wide volume records (host/core/volume_lock.hpp and
// volume_owners.hpp): while it checks and activates a domain's volumes it holds their locks,
// and a domain it lets start is recorded as the owner of each volume until its release.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_lock.hpp"
#include "host/core/volume_owners.hpp"

namespace ilvm::hook {

// The locks of a domain's volumes, taken in volume order (two hooks never wait for each
// other in a circle). Held by maintenance (a vol-* verb): a conflict at once, naming it: the
// domain must not start on a volume being wiped, copied or uploaded to. Held by another
// domain's hook: waits for it up to `wait`, then a conflict.
// `refuse_maintenance` false (a release): waits for maintenance too.
Result<std::vector<host::VolumeLock>> lock_volumes(const host::PoolStore &store, const std::vector<host::DiskRef> &disks,
                                                   const std::string &operation, bool refuse_maintenance, Clock &clock,
                                                   std::chrono::milliseconds wait);

// The first conflict between this domain's disks and the volumes' recorded owners: another
// domain owns a volume and the two do not both use it shareable/readonly. An owner record
// that cannot be read is a conflict too (fail closed).
Status check_owners(const host::PoolStore &store, const std::string &domain, const std::vector<host::DiskRef> &disks);

}  // namespace ilvm::hook
