// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sanlock/lease_table.hpp"

#include <algorithm>

namespace ilvm::sanlock {

LeaseRange lease_range(const std::vector<uint64_t> &lease_offsets) {
    if (lease_offsets.empty()) return {};
    const auto [first, last] = std::minmax_element(lease_offsets.begin(), lease_offsets.end());
    return {*first, *last + kLeaseReadSize - *first};
}

LeaseTable::LeaseTable(std::vector<LeaseRecord> leases, std::vector<LeaseRecord> delta)
    : leases_(std::move(leases)), delta_(std::move(delta)) {
    // The first record wins, as in lease_owner(): a resource listed twice (a stale copy) is
    // answered the same way by the per-volume read and by this table.
    for (size_t i = 0; i < leases_.size(); ++i) {
        const auto &r = leases_[i];
        first_.try_emplace(r.resource, i);
        if (r.timestamp != 0 && r.owner_id != 0) owned_.try_emplace(r.resource, i);
    }
}

LeaseTable LeaseTable::from_whole_dump(std::string_view text) {
    auto records = parse_direct_dump(text);
    // The delta leases are the first lease-sized area of the LV: what the per-volume path
    // reads as `dump <lvmlock>:0:kLeaseReadSize`. Beyond it a resource lease owned by host N
    // must not be taken for host N's name.
    std::vector<LeaseRecord> delta;
    for (const auto &r : records)
        if (r.offset < kLeaseReadSize) delta.push_back(r);
    return LeaseTable(std::move(records), std::move(delta));
}

std::optional<uint32_t> LeaseTable::owner(std::string_view resource) const {
    auto it = owned_.find(std::string(resource));
    if (it == owned_.end()) return std::nullopt;
    return leases_[it->second].owner_id;
}

const LeaseRecord *LeaseTable::record(std::string_view resource) const {
    auto it = first_.find(std::string(resource));
    return it == first_.end() ? nullptr : &leases_[it->second];
}

std::vector<uint32_t> LeaseTable::shared_holders(std::string_view resource) const {
    auto it = first_.find(std::string(resource));
    if (it == first_.end()) return {};
    return leases_[it->second].shared_holders;
}

std::string LeaseTable::host_name(uint32_t host_id) const { return host_name_for(delta_, host_id); }

std::optional<Holder> LeaseTable::holder(std::string_view resource, std::optional<uint32_t> self) const {
    if (auto id = owner(resource)) return Holder{*id, host_name(*id), false};
    auto shared = shared_holders(resource);
    if (self) std::erase(shared, *self);
    if (shared.empty()) return std::nullopt;
    return Holder{shared.front(), host_name(shared.front()), true};
}

}  // namespace ilvm::sanlock
