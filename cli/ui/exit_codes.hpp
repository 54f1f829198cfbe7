// SPDX-License-Identifier: LGPL-2.1-or-later
// One exit code per error class, so scripts can tell "fix your input" from "someone else
// holds it" from "the system is broken". Documented in docs/man/ilvm.8.
#pragma once

#include "common/error.hpp"

namespace ilvm::cli {

enum ExitCode : int {
    kExitOk = 0,
    kExitInternal = 1,     // a bug, an ABI mismatch, an unexpected failure
    kExitInvalid = 2,      // bad command line, XML, name or size; failed confirmation
    kExitNotFound = 3,     // no such pool, volume, device or secret
    kExitConflict = 4,     // in use, active elsewhere, not empty, already exists, wrong state
    kExitSystem = 5,       // a command or the host failed underneath
};

inline int exit_code_for(ErrorCode c) {
    switch (c) {
    case ErrorCode::ok: return kExitOk;
    case ErrorCode::invalid_input: return kExitInvalid;
    case ErrorCode::not_found: return kExitNotFound;
    case ErrorCode::conflict: return kExitConflict;
    case ErrorCode::system: return kExitSystem;
    case ErrorCode::internal: return kExitInternal;
    }
    return kExitInternal;
}

}  // namespace ilvm::cli
