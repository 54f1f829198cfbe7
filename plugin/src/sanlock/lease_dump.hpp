// SPDX-License-Identifier: LGPL-2.1-or-later
// Finding which host holds an LV lock. lvmlockd only says "LV locked by other host"; the
// answer is on disk: the LV's sanlock resource lease (at the offset in its lock_args, in
// the VG's hidden lvmlock LV) names the owner host_id, and the lockspace's delta leases
// (offset 0) map host_ids to the host names sanlock runs under.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command.hpp"
#include "common/result.hpp"

namespace ilvm::sanlock {

// One line of `sanlock direct dump`.
struct LeaseRecord {
    uint64_t offset = 0;
    std::string lockspace;
    std::string resource;
    uint64_t timestamp = 0;   // 0 on a released (free) paxos lease
    uint32_t owner_id = 0;
    uint64_t generation = 0;
    uint64_t lver = 0;
    // Shared (SH) holders of a resource lease, from the continuation lines sanlock prints
    // under it ("<host_id> <generation> SH"); the leader then has timestamp 0.
    std::vector<uint32_t> shared_holders;
};

// How much of the lease LV to read for one lease or for the delta-lease area: sanlock aligns
// leases to 1 MiB on 512-byte-sector LUNs and to 8 MiB on 4 KiB ones (measured in the lab);
// 8 MiB of delta leases cover host_ids 1..2000 on either.
inline constexpr uint64_t kLeaseReadSize = 8ULL * 1024 * 1024;

struct Holder {
    uint32_t host_id = 0;
    std::string host_name;    // empty when the delta lease could not be read
    bool shared = false;      // a shared (SH) holder, not the exclusive owner
};

// `sanlock direct dump <path>:<offset>:<size>`
Command direct_dump(const std::string &path, uint64_t offset, uint64_t size);

std::vector<LeaseRecord> parse_direct_dump(std::string_view text);

// The current exclusive owner of the resource lease named `resource` (an LV UUID).
std::optional<uint32_t> lease_owner(const std::vector<LeaseRecord> &resource_dump, std::string_view resource);
// Hosts holding it shared (lvchange -asy), if any.
std::vector<uint32_t> shared_holders(const std::vector<LeaseRecord> &resource_dump, std::string_view resource);
// The host name that host_id registered in the lockspace's delta leases. sanlock's
// default name is "<random uuid>.<hostname>"; the uuid part is dropped.
std::string host_name_for(const std::vector<LeaseRecord> &delta_dump, uint32_t host_id);
// The host name in a sanlock owner name: "e7bd3cc0-….hosta" -> "hosta"; other names as they are.
std::string host_name_from_owner(std::string_view owner_name);

// "host 2 (kvm-b)" / "host 2" / "another host"
std::string describe_holder(const std::optional<Holder> &holder);

}  // namespace ilvm::sanlock
