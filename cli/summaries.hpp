// Typed views of the pool and volume XML the backend returns, for printing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "output.hpp"

namespace ilvm::cli {

struct PoolSummary {
    std::string name, uuid, host, port, target, lun, initiator, vg, vg_uuid, lock_type, auth_user;
    bool has_status = false;
    uint64_t capacity = 0, allocation = 0, available = 0;
};

struct VolSummary {
    std::string name, key, path, activation, holder_name;
    uint64_t capacity = 0, allocation = 0;
    bool open = false, skip = false, autoactivation = true, has_holder = false;
    uint32_t holder_id = 0;
};

Result<PoolSummary> summarize_pool(const std::string &xml);
Result<VolSummary> summarize_vol(const std::string &xml);
// The <volume> elements of refresh_pool's <volumes> document.
Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml);

JsonValue to_json_value(const VolSummary &v);
// "inactive", "exclusive (this host)", "held by host 2 (kvm-b)" ...
std::string describe_activation(const VolSummary &v);

}  // namespace ilvm::cli
