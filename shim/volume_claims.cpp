// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/volume_claims.hpp"

#include <algorithm>
#include <ctime>

namespace ilvm::hook {
namespace {

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

Result<std::vector<host::VolumeLock>> lock_volumes(const host::PoolStore &store, const std::vector<host::DiskRef> &disks,
                                                   const std::string &operation, bool refuse_maintenance, Clock &clock,
                                                   std::chrono::milliseconds wait) {
    std::vector<host::VolumeRef> volumes;
    for (const auto &d : disks) volumes.push_back({d.pool, d.volume});
    std::sort(volumes.begin(), volumes.end());
    volumes.erase(std::unique(volumes.begin(), volumes.end()), volumes.end());

    std::vector<host::VolumeLock> held;
    const auto deadline = clock.now() + wait;
    for (const auto &v : volumes) {
        for (;;) {
            ILVM_ASSIGN_OR_RETURN(auto got, host::VolumeLock::try_acquire(store, v, operation, /*domain=*/true));
            if (auto *lock = std::get_if<host::VolumeLock>(&got)) {
                held.push_back(std::move(*lock));
                break;
            }
            const auto &holder = std::get<host::VolumeLockHolder>(got);
            if (refuse_maintenance && !holder.domain)
                return conflict("volume " + v.display() + " is busy on this host: " + holder.describe(unix_now()),
                                "start the domain when that is done");
            if (clock.now() >= deadline)
                return conflict("volume " + v.display() + " is still busy on this host: " + holder.describe(unix_now()),
                                "start the domain when that is done");
            clock.sleep_for(std::chrono::milliseconds(100));
        }
    }
    return held;
}

Status check_owners(const host::PoolStore &store, const std::string &domain, const std::vector<host::DiskRef> &disks) {
    for (const auto &d : disks) {
        const host::VolumeRef v{d.pool, d.volume};
        ILVM_ASSIGN_OR_RETURN(auto owners, host::read_volume_owners(store, v));
        for (const auto &o : owners) {
            if (o.domain == domain || (d.shared && o.shared)) continue;
            return conflict("volume '" + d.volume + "' of pool " + d.pool + " is in use by domain '" + o.domain +
                                "' on this host",
                            "mark the disk <shareable/> in both domains if that is intended");
        }
    }
    return {};
}

}  // namespace ilvm::hook
