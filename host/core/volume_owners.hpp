// SPDX-License-Identifier: LGPL-2.1-or-later
// Which domains on this host use a volume: written by the qemu hook under the volume's lock
// (volume_lock.hpp) when it lets a domain start (prepare, restore, an accepted incoming
// migration) and removed when the domain is released. libvirt writes a domain's status file
// only after the hook's `prepare`, so without this record two domains preparing at the same
// moment on one volume would both pass. Maintenance verbs refuse a volume that has owners.
//
//   $ILVM_RUN_DIR/pools/<pool>.volumes/<volume>.owners    one "domain <TAB> mode <TAB> since" line each
//
// A record outlives its domain only if libvirtd never ran the release hook (libvirtd killed
// mid-start); the reconciler removes records of domains without a status file after a grace.
// libvirt deletes a stopping domain's status file before it runs `release`, so a pass may
// find the record stale first: it then releases the volume itself, and keeps the record while
// the volume stays active, so that `release` still deactivates it (reconcile_pass.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

struct VolumeOwner {
    std::string domain;
    bool shared = false;   // the domain's disk is <shareable/> or <readonly/>
    int64_t since = 0;     // unix seconds

    bool operator==(const VolumeOwner &) const = default;
};

// The volume's owners; none when there is no record. A record that cannot be read or parsed
// is an error (the hook then refuses a start: it cannot tell who uses the volume).
Result<std::vector<VolumeOwner>> read_volume_owners(const PoolStore &store, const VolumeRef &v);
// Adds `owner` (replacing an earlier entry of the same domain). The caller holds the lock.
Status add_volume_owner(const PoolStore &store, const VolumeRef &v, const VolumeOwner &owner);
// Removes `domain`'s entry (the file goes with the last one) and returns the owners left;
// nullopt when `domain` had no entry (nothing written). The caller holds the lock.
Result<std::optional<std::vector<VolumeOwner>>> remove_volume_owner(const PoolStore &store, const VolumeRef &v,
                                                                    const std::string &domain);

// Every volume of `pool` with an owner record, in name order.
std::vector<std::string> volumes_with_owners(const PoolStore &store, const std::string &pool);

// "web1 (since 10:02:03)" lists for messages: "web1, web2".
std::string owner_names(const std::vector<VolumeOwner> &owners);

}  // namespace ilvm::host
