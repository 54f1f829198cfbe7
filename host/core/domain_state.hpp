// SPDX-License-Identifier: LGPL-2.1-or-later
// Whether a domain's qemu runs on this host, in the words the hand-over and the reconciler
// decide by, from libvirt's state and reason names (as in its status files,
// <domstatus state='paused' reason='migration'>, and `virsh domstate --reason`).
#pragma once

#include <string_view>

namespace ilvm::host {

enum class DomainRun {
    absent,        // no domain of that name on this host
    inactive,      // defined but not running (shut off, crashed)
    transitional,  // paused for a migration or still starting up: an incoming domain that
                   // libvirt has not resumed yet, or an outgoing one about to go
    active,        // running, or paused for any other reason (user, I/O error…): its qemu
                   // runs here and has the volumes open
};
const char *domain_run_name(DomainRun r);

DomainRun classify_domain_state(std::string_view state, std::string_view reason);

}  // namespace ilvm::host
