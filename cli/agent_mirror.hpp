// SPDX-License-Identifier: LGPL-2.1-or-later
// A verb's business with the libvirt mirror, through this host's ilvmd when it runs
// (agent/mirror_requests.hpp: it has libvirt loaded, which costs a verb most of its own time,
// issue 16), else in this process as before. Nothing here is asked by the hook.
#pragma once

#include <string>

#include "cli/context.hpp"
#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::cli {

// True when the agent refreshed the mirror of `pool` and reconciles the pool once this verb
// lets go of it; false when no agent runs or it could not (the verb then does both itself).
// `moved_domain`: a running domain whose disk the verb moved to another volume (a running
// domain's snapshot), whose qcow2 disks the agent then watches again.
bool mirror_refreshed_by_agent(const Context &ctx, const std::string &pool, const std::string &moved_domain = {});

// How the mirror of `pool` (whose VG is `vg`) is: the agent's inspection, else this process's.
host::MirrorInfo inspect_mirror(Context &ctx, const std::string &pool, const std::string &vg);

}  // namespace ilvm::cli
