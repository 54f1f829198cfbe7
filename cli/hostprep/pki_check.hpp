// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm host-validate`'s check of the certificates ilvmd's peer channel presents and trusts
// (docs/agent.md, "Peer channel"): libvirt's TLS files under the host root. Without them a
// stock `virsh migrate` to or from this host is refused, so their absence is a failure too.
#pragma once

#include "cli/hostprep/host_root.hpp"
#include "cli/hostprep/host_validate.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

// "agent certificates": the cluster CA parses; the server and the client certificate each
// load with their private key and verify against that CA (signed by it, in their validity
// period); neither key is readable by group or others. Every problem found is named, with
// the fix of the first.
HostCheck agent_certificates_check(System &sys, const HostRoot &root);

}  // namespace ilvm::cli
