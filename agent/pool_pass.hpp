// SPDX-License-Identifier: LGPL-2.1-or-later
// One pool's pass as the agent runs it (on its worker thread): the reconcile pass that
// `ilvm reconcile` runs (host/reconcile/reconcile_pass.hpp) under the pool's shared lock,
// then a refresh of the libvirt mirror so that `virsh vol-list` shows what is active now.
// A pool an ilvm verb holds is not waited for (the verb asks this agent for a pass when it is
// done, agent/mirror_requests.hpp, or reconciles the pool itself without an agent;
// the scheduler looks again shortly). Changes are logged one line each, as the reconcile
// service logs them.
#pragma once

#include <string>

#include "agent/pass_scheduler.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::agent {

// `mirror` may be null (no libvirt URI to refresh: tests, or a host without the mirror).
PassOutcome run_pool_pass(const host::PoolStore &store, const host::BackendClient &client, host::MirrorPool *mirror,
                          const std::string &pool);

}  // namespace ilvm::agent
