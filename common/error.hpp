// SPDX-License-Identifier: LGPL-2.1-or-later
// Error values that cross every layer of iscsi-lvm.
//
// The classes mirror what an administrator needs to act on (and what the CLI maps to
// distinct exit codes): bad input, something missing, a conflict with current state
// (in use, active elsewhere, not empty), or a failure of the system underneath.
#pragma once

#include <string>
#include <utility>

namespace ilvm {

enum class ErrorCode : int {
    ok = 0,
    invalid_input = 1,   // malformed XML, bad name/size/IQN, refused option combination
    not_found = 2,       // no such pool/volume/device/secret
    conflict = 3,        // in use, active on another host, pool not empty, already exists
    system = 4,          // a command or syscall failed underneath us
    internal = 5,        // a bug or an ABI mismatch
};

// Stable short name used in logs and JSON output.
const char *error_code_name(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;   // one line, no trailing period, never a secret
    std::string hint;      // optional: what the user can do about it

    Error() = default;
    Error(ErrorCode c, std::string msg, std::string h = {})
        : code(c), message(std::move(msg)), hint(std::move(h)) {}
};

inline Error invalid_input(std::string msg, std::string hint = {}) {
    return {ErrorCode::invalid_input, std::move(msg), std::move(hint)};
}
inline Error not_found(std::string msg, std::string hint = {}) {
    return {ErrorCode::not_found, std::move(msg), std::move(hint)};
}
inline Error conflict(std::string msg, std::string hint = {}) {
    return {ErrorCode::conflict, std::move(msg), std::move(hint)};
}
inline Error system_error(std::string msg, std::string hint = {}) {
    return {ErrorCode::system, std::move(msg), std::move(hint)};
}
inline Error internal_error(std::string msg) {
    return {ErrorCode::internal, std::move(msg), {}};
}

}  // namespace ilvm
