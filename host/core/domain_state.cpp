// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/domain_state.hpp"

namespace ilvm::host {

const char *domain_run_name(DomainRun r) {
    switch (r) {
    case DomainRun::absent: return "absent";
    case DomainRun::inactive: return "not running";
    case DomainRun::transitional: return "paused for a migration or starting up";
    case DomainRun::active: return "running";
    }
    return "absent";
}

DomainRun classify_domain_state(std::string_view state, std::string_view reason) {
    if (state == "shutoff" || state == "crashed") return DomainRun::inactive;
    // libvirt's reason names (virDomainPausedReason): an incoming migration is paused with
    // "migration" until its Finish phase resumes it; "starting up" precedes that.
    if (state == "paused") return reason == "migration" || reason == "starting up" ? DomainRun::transitional : DomainRun::active;
    if (state == "running" || state == "blocked" || state == "shutdown" || state == "pmsuspended") return DomainRun::active;
    return DomainRun::transitional;  // "nostate": libvirt has not settled it yet
}

}  // namespace ilvm::host
