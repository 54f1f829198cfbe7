// SPDX-License-Identifier: LGPL-2.1-or-later
// The one parser of whole numbers from text we do not control (options, the environment,
// files, other programs' reports): decimal digits only, the whole text, within bounds.
// No sign, no spaces, no "0x", no overflow wrapping, unlike strtoul and friends.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.hpp"

namespace ilvm {

// The number, or nullopt when `text` is not digits only or does not fit 64 bits.
std::optional<uint64_t> parse_digits(std::string_view text);

// The number when it lies in [min, max]; otherwise invalid_input naming `what`
// ("--timeout", "ILVM_HOOK_TIMEOUT") and the accepted range.
Result<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max, std::string_view what);

}  // namespace ilvm
