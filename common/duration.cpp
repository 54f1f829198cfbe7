// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/duration.hpp"

#include <cctype>
#include <string>

#include "common/numbers.hpp"

namespace ilvm {

Result<std::chrono::seconds> parse_duration(std::string_view text, std::chrono::seconds min, std::chrono::seconds max,
                                            std::string_view what) {
    const std::string shown(text.substr(0, 40));
    const auto refuse = [&] {
        return invalid_input(std::string(what) + " '" + shown + "' is not a duration",
                             "a whole number of seconds, or with a unit: 90s, 30m, 2h, 1d (from " +
                                 std::to_string(min.count()) + " s to " + std::to_string(max.count()) + " s)");
    };
    uint64_t unit = 1;
    if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back()))) {
        switch (std::tolower(static_cast<unsigned char>(text.back()))) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return refuse();
        }
        text.remove_suffix(1);
    }
    auto n = parse_digits(text);
    if (!n || *n > static_cast<uint64_t>(max.count()) / unit) return refuse();
    const std::chrono::seconds d(static_cast<int64_t>(*n * unit));
    if (d < min || d > max) return refuse();
    return d;
}

}  // namespace ilvm
