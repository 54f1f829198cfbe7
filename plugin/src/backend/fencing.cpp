// SPDX-License-Identifier: LGPL-2.1-or-later
// Backend::fence_pool (fencing.hpp): one dmsetup info, then one dmsetup wipe_table per
// device of the pool's VG; a failed wipe does not stop the others.
#include "backend/backend.hpp"
#include "common/log.hpp"
#include "dm/dm_argv.hpp"
#include "dm/dm_report.hpp"

namespace ilvm {
namespace {

// lvmlockd's lease LV (lvmlockd(8)): sanlock's own I/O goes there, not the guests'.
constexpr std::string_view kLeaseLv = "lvmlock";

}  // namespace

Result<FenceResult> Backend::fence_pool(const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(CommandOutput listed, run_checked(sys_, dm::dmsetup_info_devices(), "dmsetup info"));
    ILVM_ASSIGN_OR_RETURN(std::vector<dm::DmDevice> devices, dm::parse_dm_info(listed.out));
    FenceResult result;
    for (const auto &d : devices) {
        const auto lv = dm::lv_of(d, pool.vg_name);
        if (!lv || *lv == kLeaseLv) continue;
        FencedDevice f{d.name, *lv, d.open_count, false, {}};
        auto wiped = run_checked(sys_, dm::dmsetup_wipe_table(d.name), "dmsetup wipe_table " + d.name);
        f.wiped = wiped.ok();
        if (!wiped.ok()) {
            f.error = wiped.error().message;
            // Not a warning of its own: it is in the result, which lease-lost's one error line
            // reports with its reason.
            spdlog::info("pool {}: the I/O to {} could not be stopped: {}", pool.name, d.name, f.error);
        } else {
            spdlog::info("pool {}: {} (open {} times) now fails every I/O", pool.name, d.name, d.open_count);
        }
        result.devices.push_back(std::move(f));
    }
    return result;
}

}  // namespace ilvm
