// SPDX-License-Identifier: LGPL-2.1-or-later
// The migration destination's side of a stock `virsh migrate` (docs/agent.md, "Hand-over"),
// run by ilvmd when its qemu hook asks at `migrate begin`, before libvirt starts the incoming
// QEMU (so before any memory is copied): each volume of the domain that another host holds
// exclusively must be shared by that host first. The holder is named by the volume's sanlock
// lease (as `ilvm vol-info` names it); its agent is asked, and agrees only when that domain
// runs there with an outgoing migration job (share_out.hpp). After a yes, the hook activates
// the volumes shared here, as it did after `ilvm migrate`.
//
// Nothing here calls libvirt: the local libvirtd is waiting for the hook that asked.
#pragma once

#include <functional>
#include <string>

#include "common/result.hpp"
#include "host/core/agent_wire.hpp"
#include "host/core/volume_locks.hpp"

namespace ilvm::host {

// Sends `request` to the agent of `holder` (a host name from a lease) and returns its answer;
// an error when it cannot be reached or gives no readable answer.
using AskHolder = std::function<Result<AgentAnswer>(const std::string &holder, const AgentRequest &request)>;

// `incoming` is the hook's request (op incoming). On success, one line for the logs: which
// hosts shared what, or that no volume needed it. Refusals (fail closed): a lock that cannot be
// read (system), a holder without a name or whose agent cannot be reached (system, the hint
// names the host and what to start there), a holder's refusal (its class and message), an
// answer that leaves out a volume (conflict).
Result<std::string> share_in(const AgentRequest &incoming, VolumeLocks &locks, const AskHolder &ask,
                             const std::string &self_name);

}  // namespace ilvm::host
