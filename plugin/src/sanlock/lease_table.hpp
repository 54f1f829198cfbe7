// SPDX-License-Identifier: LGPL-2.1-or-later
// The leases of a pool's lockspace from two reads of the lvmlock LV - its delta leases (the
// hosts' names) and its LV leases from the first to the last asked about (lease_range) -
// parsed once and indexed by resource. pool-info asks it where each of thousands of volumes
// is; two 8 MiB dumps per volume made that 4,003 commands at 2,000 volumes (issue 16).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sanlock/lease_dump.hpp"

namespace ilvm::sanlock {

// The part of the lease LV that holds the leases at `lease_offsets` (each one lease long):
// from the first to the end of the last. Not from offset 0: lvmlockd puts the LV leases far
// from the delta leases (528 MiB and up in the lab, with sanlock's 8 MiB alignment), and a
// dump from 0 read that whole gap on every vol-list --json (~570 MiB for four volumes);
// sanlock's own lease reads then timed out behind it ("aio timeout", lock failures: the CI
// set failed on it). The delta leases are read on their own: [0, kLeaseReadSize).
struct LeaseRange {
    uint64_t offset = 0;
    uint64_t size = 0;
};
LeaseRange lease_range(const std::vector<uint64_t> &lease_offsets);   // not empty

class LeaseTable {
public:
    // `leases`: the resource leases (any dump that holds them); `delta`: the lockspace's delta
    // leases. A whole-area dump is both: delta() takes its first kLeaseReadSize bytes.
    LeaseTable(std::vector<LeaseRecord> leases, std::vector<LeaseRecord> delta);
    // One dump from offset 0 over the whole lease area (a recorded dump; pool-info reads the
    // two parts apart, see lease_range).
    static LeaseTable from_whole_dump(std::string_view text);

    // As lease_owner() / shared_holders() / host_name_for() of lease_dump.hpp, in constant time.
    std::optional<uint32_t> owner(std::string_view resource) const;
    // Whether the dump holds a record of `resource` at all (a free lease has one too).
    bool has(std::string_view resource) const { return first_.count(std::string(resource)) != 0; }
    // The first record of `resource`, owned or free (its leader as sanlock last wrote it:
    // owner, generation, lver); nullptr when the dump holds none. pool-rejoin tells from it
    // whether anyone acquired the lease since this host lost its lockspace.
    const LeaseRecord *record(std::string_view resource) const;
    std::vector<uint32_t> shared_holders(std::string_view resource) const;
    std::string host_name(uint32_t host_id) const;

    // Who holds `resource` for a host that is not `self`: the exclusive owner, else the first
    // shared holder other than `self` (exclusive use is refused all the same); nullopt when
    // free. host_name is left empty when the delta leases do not name the host.
    std::optional<Holder> holder(std::string_view resource, std::optional<uint32_t> self = std::nullopt) const;

private:
    std::vector<LeaseRecord> leases_;
    std::vector<LeaseRecord> delta_;
    std::unordered_map<std::string, size_t> first_;   // resource -> its first record
    std::unordered_map<std::string, size_t> owned_;   // resource -> its first record with a live owner
};

}  // namespace ilvm::sanlock
