// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/error.hpp"

namespace ilvm {

const char *error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_input: return "invalid-input";
    case ErrorCode::not_found: return "not-found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::system: return "system";
    case ErrorCode::internal: return "internal";
    }
    return "internal";
}

}  // namespace ilvm
