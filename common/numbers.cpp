// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/numbers.hpp"

#include <charconv>
#include <string>

namespace ilvm {

std::optional<uint64_t> parse_digits(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

Result<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max, std::string_view what) {
    auto v = parse_digits(text);
    if (!v || *v < min || *v > max)
        return invalid_input(std::string(what) + " '" + std::string(text.substr(0, 40)) + "' is not a whole number from " +
                             std::to_string(min) + " to " + std::to_string(max));
    return *v;
}

}  // namespace ilvm
