// SPDX-License-Identifier: LGPL-2.1-or-later
// The hook's VolumeControl on this host: the pool store and the backend module, through
// host/core's ModuleVolumeLocks.
#pragma once

#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_locks.hpp"
#include "shim/hook.hpp"

namespace ilvm::hook {

class ModuleControl final : public VolumeControl {
public:
    ModuleControl(const host::BackendClient &client, const host::PoolStore &store)
        : store_(store), locks_(client, store, /*started_only=*/false, /*reuse_report=*/true) {}

    bool pool_started(const std::string &pool) override { return store_.active(pool); }
    Result<bool> active_here(const std::string &pool, const std::string &volume) override;
    Result<Activated> activate(const std::string &pool, const std::string &volume, bool shared) override;
    Status deactivate(const std::string &pool, const std::string &volume) override;

private:
    const host::PoolStore &store_;
    host::ModuleVolumeLocks locks_;
};

}  // namespace ilvm::hook
