// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/size.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <limits>
#include <utility>

namespace ilvm {

Result<uint64_t> unit_multiplier(std::string_view unit) {
    struct U { std::string_view name; uint64_t mult; };
    static constexpr uint64_t K = 1024;
    static constexpr std::array<U, 21> units{{
        {"", 1}, {"b", 1}, {"bytes", 1},
        {"KB", 1000ULL}, {"k", K}, {"K", K}, {"KiB", K},
        {"MB", 1000ULL * 1000}, {"M", K * K}, {"MiB", K * K},
        {"GB", 1000ULL * 1000 * 1000}, {"G", K * K * K}, {"GiB", K * K * K},
        {"TB", 1000ULL * 1000 * 1000 * 1000}, {"T", K * K * K * K}, {"TiB", K * K * K * K},
        {"PB", 1000ULL * 1000 * 1000 * 1000 * 1000}, {"P", K * K * K * K * K}, {"PiB", K * K * K * K * K},
        {"E", K * K * K * K * K * K}, {"EiB", K * K * K * K * K * K},
    }};
    for (const auto &u : units)
        if (u.name == unit) return u.mult;
    if (unit == "EB") return 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000;
    std::string shown(unit.substr(0, 16));
    return invalid_input("unknown size unit '" + shown + "'", "use b, KiB, MiB, GiB, TiB (or k, M, G, T) or KB, MB, GB, TB");
}

Result<uint64_t> scale_size(uint64_t value, std::string_view unit) {
    ILVM_ASSIGN_OR_RETURN(uint64_t mult, unit_multiplier(unit));
    if (value != 0 && mult > std::numeric_limits<uint64_t>::max() / value)
        return invalid_input("size " + std::to_string(value) + std::string(unit) + " is too large");
    return value * mult;
}

Result<uint64_t> parse_size(std::string_view text, std::string_view default_unit) {
    size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    auto t = text.substr(b, e - b);
    size_t i = 0;
    uint64_t value = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
        uint64_t d = static_cast<uint64_t>(t[i] - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - d) / 10)
            return invalid_input("size '" + std::string(t.substr(0, 40)) + "' is too large");
        value = value * 10 + d;
        ++i;
    }
    if (i == 0) return invalid_input("size '" + std::string(t.substr(0, 40)) + "' is not a number", "e.g. 10G or 512MiB");
    auto unit = t.substr(i);
    return scale_size(value, unit.empty() ? default_unit : unit);
}

Result<uint64_t> round_up_to_extent(uint64_t bytes, uint64_t extent) {
    if (extent == 0) return internal_error("extent size is zero");
    uint64_t rem = bytes % extent;
    if (rem == 0) return bytes;
    if (bytes > std::numeric_limits<uint64_t>::max() - (extent - rem))
        return invalid_input("size " + std::to_string(bytes) + " is too large");
    return bytes + (extent - rem);
}

std::string human_size(uint64_t bytes) {
    static constexpr std::array<const char *, 7> names{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    size_t i = 0;
    while (v >= 1024.0 && i + 1 < names.size()) {
        v /= 1024.0;
        ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.2f %s", v, names[i]);
    return buf;
}

}  // namespace ilvm
