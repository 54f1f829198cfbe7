// SPDX-License-Identifier: LGPL-2.1-or-later
// A duration as an administrator types it: "90" or "90s" (seconds), "30m", "2h", "1d",
// the unit case-insensitive (virsh's size units are, and users type both). Used by
// `ilvm vol-activate --hold DURATION`.
#pragma once

#include <chrono>
#include <string_view>

#include "common/result.hpp"

namespace ilvm {

// Refused (invalid input, naming `what`) unless it is whole digits with at most one unit
// and lies within [min, max].
Result<std::chrono::seconds> parse_duration(std::string_view text, std::chrono::seconds min, std::chrono::seconds max,
                                            std::string_view what);

}  // namespace ilvm
