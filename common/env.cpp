// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/env.hpp"

#include <cstdlib>

#include "common/numbers.hpp"

namespace ilvm {

std::string env_or(const char *var, std::string_view fallback) {
    const char *v = std::getenv(var);
    return v && *v ? std::string(v) : std::string(fallback);
}

Result<uint64_t> env_number(const char *var, uint64_t fallback, uint64_t min, uint64_t max) {
    const char *v = std::getenv(var);
    if (!v || !*v) return fallback;
    return parse_number(v, min, max, var);
}

}  // namespace ilvm
