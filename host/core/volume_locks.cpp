// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/volume_locks.hpp"

namespace ilvm::host {

Result<std::string> ModuleVolumeLocks::pool_xml(const std::string &pool) {
    if (auto it = cache_.find(pool); it != cache_.end()) return it->second;
    if (started_only_ && !store_.active(pool))
        return conflict("pool " + pool + " is not started on this host", "ilvm pool-start " + pool);
    ILVM_ASSIGN_OR_RETURN(std::string xml, store_.load(pool));
    cache_[pool] = xml;
    return xml;
}

Result<VolSummary> ModuleVolumeLocks::inspect(const VolumeRef &v, InspectOptions how) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(v.pool));
    const unsigned flags =
        (how.find_holder ? ILVM_REFRESH_VOL_FIND_HOLDER : 0u) | (how.polling ? ILVM_REFRESH_VOL_NO_VG_LOCK : 0u);
    ILVM_ASSIGN_OR_RETURN(std::string vol, client_.refresh_vol(xml, v.volume, flags));
    return summarize_vol(vol);
}

Status ModuleVolumeLocks::activate(const VolumeRef &v, bool shared) {
    ILVM_TRY(activate_from(v, shared));
    return {};
}

Status ModuleVolumeLocks::poll_exclusive(const VolumeRef &v) {
    ILVM_TRY(activate_from(v, false, ILVM_ACTIVATE_NO_LEASE_READ));
    return {};
}

Result<VolSummary> ModuleVolumeLocks::activate_from(const VolumeRef &v, bool shared, unsigned extra_flags) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(v.pool));
    const unsigned flags =
        (shared ? ILVM_ACTIVATE_SHARED : 0u) | (reuse_report_ ? ILVM_REUSE_LVS_REPORT : 0u) | extra_flags;
    ILVM_ASSIGN_OR_RETURN(std::string before, client_.activate_vol(xml, v.volume, flags));
    return summarize_vol(before);
}

Status ModuleVolumeLocks::deactivate(const VolumeRef &v, unsigned extra_flags) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(v.pool));
    ILVM_TRY(client_.deactivate_vol(xml, v.volume, (reuse_report_ ? ILVM_REUSE_LVS_REPORT : 0u) | extra_flags));
    return {};
}

}  // namespace ilvm::host
