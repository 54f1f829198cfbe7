// SPDX-License-Identifier: LGPL-2.1-or-later
// Typed views of the pool and volume XML the backend returns, for printing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct PoolSummary {
    std::string name, uuid, host, port, target, lun, initiator, vg, vg_uuid, lock_type, auth_user;
    bool has_status = false;
    uint64_t capacity = 0, allocation = 0, available = 0;
};

struct VolSummary {
    std::string name, key, path, activation, holder_name;
    std::string holder_mode;   // exclusive | shared; "" from a module without <holder mode>
    uint64_t capacity = 0, allocation = 0;
    bool open = false, skip = false, autoactivation = true, has_holder = false;
    bool incomplete = false;   // <incomplete/>: being made, or its making was interrupted
    uint32_t holder_id = 0;
};

Result<PoolSummary> summarize_pool(const std::string &xml);
Result<VolSummary> summarize_vol(const std::string &xml);
// The <volume> elements of refresh_pool's <volumes> document, of the pool `pool` describes
// (its live XML, with <capacity>): one parse and one walk, as long as the pool's size allows.
Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml, const PoolSummary &pool);
// How large that document may be: 1 MiB, plus 2 KiB per MiB of the pool's capacity. A volume
// takes one extent at least (pool-build's are 4 MiB) and its <volume> element ~400 bytes, so
// no pool reaches it; a fixed 1 MiB cap broke vol-list from ~2,870 volumes (issue 16).
std::size_t volumes_xml_limit(uint64_t pool_capacity);

// "inactive", "active here, exclusive, open", "held by host 2 (kvm-b), exclusive" ...
std::string describe_activation(const VolSummary &v);

// Where a volume is, for pool-info: "active-here", "held-elsewhere" (a <holder> was found,
// so refresh_vol must have been asked for it) or "free"; and the lock's mode: this host's
// when active here, the holder's when held elsewhere, "" when free or unknown.
const char *placement_state(const VolSummary &v);
std::string placement_mode(const VolSummary &v);

}  // namespace ilvm::host
