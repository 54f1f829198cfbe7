// SPDX-License-Identifier: LGPL-2.1-or-later
// A HandoverEnv with everything it refers to, for one hand-over on this host: its own libvirt
// connection (each hand-over thread of ilvmd has one), the module's volume locks, the
// hand-over files and the real clock. `ilvm migrate`/`migrate-finish` and ilvmd use it.
#pragma once

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/pool_store.hpp"
#include "host/handover/handover_env.hpp"
#include "host/libvirt/libvirt_domains.hpp"

namespace ilvm::host {

struct LocalHandover {
    std::unique_ptr<Domains> domains;
    ModuleVolumeLocks locks;
    HandoverFiles files;
    SystemClock clock;
    HandoverEnv env;

    LocalHandover(const std::string &libvirt_uri, const BackendClient &module, const PoolStore &store)
        : domains(make_libvirt_domains(libvirt_uri)),
          locks(module, store),
          files(HandoverFiles::for_store(store)),
          env{*domains, locks, files, clock, load_pool_bindings(store)} {}
    LocalHandover(const LocalHandover &) = delete;
    LocalHandover &operator=(const LocalHandover &) = delete;
};

}  // namespace ilvm::host
