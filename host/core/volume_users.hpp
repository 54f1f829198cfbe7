// SPDX-License-Identifier: LGPL-2.1-or-later
// Which domains on this host use some of a pool's volumes, as the hook and the reconciler
// tell: the domains libvirt runs here (its status files, status_files.hpp: running, paused,
// starting up or migrating), and those the hook let start (owner records,
// volume_owners.hpp: libvirt writes a domain's status file only after the hook's prepare).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "host/core/pool_store.hpp"
#include "host/core/status_files.hpp"

namespace ilvm::host {

struct VolumeUsers {
    std::set<std::string> domains;
    // Per domain, which of the volumes asked about it uses (pool-rejoin decides per domain).
    std::map<std::string, std::set<std::string>> volumes_of;
    std::set<std::string> paused;   // domains whose status file says paused (for any reason)
    // What could not be read (a status file, an owner record): a domain it names may use
    // the volumes too. One line each.
    std::vector<std::string> problems;
};

VolumeUsers domains_using(const PoolStore &store, const StatusDir &status, const std::string &pool,
                          const std::set<std::string> &volumes);

}  // namespace ilvm::host
