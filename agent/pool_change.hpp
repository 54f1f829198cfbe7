// SPDX-License-Identifier: LGPL-2.1-or-later
// An ilvm verb on this host changed a pool's volumes (vol-create, vol-delete, …) and asks its
// agent, over the local socket, to make libvirt show it: the agent refreshes the pool's libvirt
// mirror at once, on the socket's thread, and answers when the mirror shows the change; the
// verb then needs neither libvirt nor a reconcile of its own (issue 16: loading libvirt was
// most of a verb's own cost). The reconcile follows as a pass, after the verb has released the
// pool (agent.cpp). Never asked by the hook: the mirror refresh calls the local libvirtd.
#pragma once

#include <string>

#include "host/core/agent_wire.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::agent {

// The mirror of `pool` refreshed with a fresh connection to `libvirt_uri`, or why not: not
// started here (not_found), its run-state definition unreadable, libvirt's refusal.
host::AgentAnswer refresh_changed_pool(const host::PoolStore &store, const std::string &libvirt_uri, const std::string &pool);

}  // namespace ilvm::agent
