// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/volume_users.hpp"

#include "host/core/volume_owners.hpp"

namespace ilvm::host {

VolumeUsers domains_using(const PoolStore &store, const StatusDir &status, const std::string &pool,
                          const std::set<std::string> &volumes) {
    VolumeUsers users;
    for (const auto &d : status.domains) {
        if (d.run != DomainRun::active && d.run != DomainRun::transitional) continue;   // its qemu is not running
        for (const auto &disk : d.disks)
            if (disk.pool == pool && volumes.count(disk.volume)) {
                users.domains.insert(d.name);
                users.volumes_of[d.name].insert(disk.volume);
                if (d.paused) users.paused.insert(d.name);
            }
    }
    for (const auto &u : status.unreadable)
        users.problems.push_back("cannot read libvirt status file " + u.path + ": " + u.why);
    for (const auto &volume : volumes) {
        auto owners = read_volume_owners(store, {pool, volume});
        if (!owners.ok()) {
            users.problems.push_back(owners.error().message);
            continue;
        }
        for (const auto &o : *owners) {
            users.domains.insert(o.domain);
            users.volumes_of[o.domain].insert(volume);
        }
    }
    return users;
}

}  // namespace ilvm::host
