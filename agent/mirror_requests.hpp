// SPDX-License-Identifier: LGPL-2.1-or-later
// What ilvm verbs on this host ask their agent about a pool's libvirt mirror, over the local
// socket, so that they need not load libvirt themselves (issue 16: loading it and connecting
// was most of a verb's own cost; the agent has it loaded). Each answer uses a fresh libvirt
// connection, as a pass does. Never asked by the hook: these call the local libvirtd.
//   * pool-changed: a verb changed the pool's volumes (vol-create, vol-delete, …): the mirror
//     is refreshed at once, on the socket's thread, and the answer comes when it shows the
//     change; the reconcile follows as a pass once the verb has let go of the pool (agent.cpp).
//   * mirror-state: pool-info's line about the mirror (absent, defined, active, foreign).
#pragma once

#include <string>

#include "host/core/agent_wire.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::agent {

// The mirror of `pool` refreshed, or why not: not started here (not_found), its run-state
// definition unreadable, libvirt's refusal.
host::AgentAnswer refresh_changed_pool(const host::PoolStore &store, const std::string &libvirt_uri, const std::string &pool);

// How the mirror of the defined pool `pool` is, in mirror_state/mirror_detail; not_found for
// a pool not defined here.
host::AgentAnswer inspect_pool_mirror(const host::PoolStore &store, const std::string &libvirt_uri, const std::string &pool);

}  // namespace ilvm::agent
