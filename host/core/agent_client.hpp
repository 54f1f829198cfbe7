// SPDX-License-Identifier: LGPL-2.1-or-later
// The local side of ilvmd's unix socket ($ILVM_RUN_DIR/ilvmd.sock, root only): what the qemu
// hook uses to ask its host's agent for a hand-over (agent_wire.hpp). One request, one
// answer, bounded by a timeout. No libvirt here: the hook links it.
#pragma once

#include <chrono>
#include <string>

#include "common/result.hpp"
#include "host/core/agent_wire.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::host {

inline constexpr size_t kMaxAgentLine = 64 * 1024;

// $ILVM_RUN_DIR/ilvmd.sock
std::string agent_socket_path(const std::string &run_dir);
// The same for the pool store's run directory ($ILVM_RUN_DIR/pools): the agent and the verbs.
std::string agent_socket_path(const PoolStore &store);

// not_found when no agent listens there (no socket, or nobody accepts on it): ilvmd is not
// running on this host. Any other failure to talk is a system error; the agent's own refusal
// comes back as the answer's status.
Result<AgentAnswer> call_local_agent(const std::string &socket_path, const AgentRequest &request,
                                     std::chrono::seconds timeout);

}  // namespace ilvm::host
