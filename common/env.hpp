// SPDX-License-Identifier: LGPL-2.1-or-later
// Settings host programs take from the environment (ILVM_*: test harnesses, directories,
// bounds). Documented in docs/man/ilvm.8, ENVIRONMENT.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm {

// The variable's value; `fallback` when it is unset or empty.
std::string env_or(const char *var, std::string_view fallback);

// A whole number in [min, max] (numbers.hpp); `fallback` when unset or empty. Anything
// else is invalid_input naming the variable: a mistyped bound is never silently 0.
Result<uint64_t> env_number(const char *var, uint64_t fallback, uint64_t min, uint64_t max);

}  // namespace ilvm
