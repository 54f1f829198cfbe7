// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/lease_reading.hpp"

#include "lvm/lvm_argv.hpp"

namespace ilvm {

Result<sanlock::LeaseTable> read_leases(System &sys, const PoolDef &pool, const std::vector<uint64_t> &offsets) {
    const std::string area = lvm::dm_path(pool.vg_name, "lvmlock");
    auto read = [&](uint64_t offset, uint64_t size) -> Result<std::vector<sanlock::LeaseRecord>> {
        auto res = sys.run(sanlock::direct_dump(area, offset, size));
        if (res.ok() && res->succeeded()) return sanlock::parse_direct_dump(res->out);
        return system_error("cannot read the sanlock leases of " + pool.vg_name + " (" +
                            (res.ok() ? res->first_error_line() : res.error().message) + ")");
    };
    ILVM_ASSIGN_OR_RETURN(auto delta, read(0, sanlock::kLeaseReadSize));
    const auto range = sanlock::lease_range(offsets);
    ILVM_ASSIGN_OR_RETURN(auto leases, read(range.offset, range.size));
    return sanlock::LeaseTable(std::move(leases), std::move(delta));
}

}  // namespace ilvm
