// SPDX-License-Identifier: LGPL-2.1-or-later
// Volumes (thin_growth.hpp) through the backend module, as ilvm's verbs reach it: its own
// instance of the module (loaded on first use), called only from the growth's thread (an
// instance is not shared between threads: the pool passes have theirs), the pool's
// run-state definition, the pool's lock shared and the volume's own lock for the growth (so
// that no maintenance verb and no hook changes the volume meanwhile), lvs without the VG
// lock for its size (a read that every threshold would otherwise make a sanlock round).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "agent/thin_growth.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::agent {

class BackendVolumes : public Volumes {
public:
    // `wait`: how long a growth waits for the pool's and the volume's locks (a verb or a
    // domain start holding them) before it is refused, to be tried again by the safety net.
    BackendVolumes(const host::PoolStore &store, std::map<std::string, std::string> module_options,
                   std::chrono::milliseconds wait = std::chrono::seconds(30))
        : store_(store), module_options_(std::move(module_options)), wait_(wait) {}

    Result<VolumeSpace> space(const std::string &pool, const std::string &volume) override;
    Result<uint64_t> grow(const std::string &pool, const std::string &volume, uint64_t target) override;

private:
    Result<const host::BackendClient *> module();

    const host::PoolStore &store_;
    std::map<std::string, std::string> module_options_;
    std::optional<host::BackendClient> client_;
    std::chrono::milliseconds wait_;
};

}  // namespace ilvm::agent
