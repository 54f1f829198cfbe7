// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/volume_growth.hpp"

#include "common/clock.hpp"
#include "host/core/summaries.hpp"
#include "host/core/volume_lock.hpp"

namespace ilvm::agent {

Result<const host::BackendClient *> BackendVolumes::module() {
    if (!client_) {
        ILVM_ASSIGN_OR_RETURN(auto loaded, host::BackendClient::load(module_options_));
        client_.emplace(std::move(loaded));
    }
    return &*client_;
}

Result<VolumeSpace> BackendVolumes::space(const std::string &pool, const std::string &volume) {
    ILVM_ASSIGN_OR_RETURN(const auto *client, module());
    ILVM_ASSIGN_OR_RETURN(std::string xml, store_.load_runtime(pool));
    ILVM_ASSIGN_OR_RETURN(std::string vol, client->refresh_vol(xml, volume, ILVM_REFRESH_VOL_NO_VG_LOCK));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(vol));
    return VolumeSpace{v.format == "qcow2", v.allocation, v.activation == "shared"};
}

Result<uint64_t> BackendVolumes::grow(const std::string &pool, const std::string &volume, uint64_t target) {
    ILVM_ASSIGN_OR_RETURN(const auto *client, module());
    SystemClock clock;
    ILVM_ASSIGN_OR_RETURN(auto pool_lock, store_.lock(pool, LockMode::shared, clock, wait_));
    ILVM_ASSIGN_OR_RETURN(auto volume_lock, host::VolumeLock::acquire(store_, {pool, volume}, "growth by ilvmd", false,
                                                                      clock, wait_));
    ILVM_ASSIGN_OR_RETURN(std::string xml, store_.load_runtime(pool));
    ILVM_ASSIGN_OR_RETURN(std::string vol, client->resize_vol(xml, volume, target, ILVM_RESIZE_ALLOCATION));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(vol));
    return v.allocation;
}

}  // namespace ilvm::agent
