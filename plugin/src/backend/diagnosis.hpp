// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm doctor`'s findings about one started pool on this host (Backend::diagnose_pool):
// one per check, or per volume for the volume checks, each with what to do about it.
#pragma once

#include <string>

namespace ilvm {

struct Finding {
    std::string check;      // "lockspace", "iscsi session", "stale lock", "idle volume", ...
    std::string severity;   // ok | warn | fail
    std::string volume;     // for the volume checks
    std::string what;       // one line
    std::string fix;        // one command line (may be empty)
    std::string applied;    // --fix: "done" or "failed" when the fix was run
    std::string error;      // one line, when applied is "failed"
};

}  // namespace ilvm
