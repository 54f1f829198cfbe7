// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/size.hpp"

#include <array>
#include <string>
#include <cctype>
#include <cstdio>
#include <limits>
#include <utility>

namespace ilvm {

Result<uint64_t> unit_multiplier(std::string_view unit) {
    // libvirt's virScaleInteger, which virsh and the XML parsers use: any case.
    std::string u(unit);
    for (auto &c : u) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (u.empty() || u == "b" || u == "byte" || u == "bytes") return uint64_t{1};
    static constexpr std::string_view kPrefixes = "kmgtpe";   // K = base^1 ... E = base^6
    const size_t power = kPrefixes.find(u[0]);
    const bool binary = u.size() == 1 || u.substr(1) == "ib", decimal = u.size() == 2 && u[1] == 'b';
    if (power == std::string_view::npos || !(binary || decimal)) {
        std::string shown(unit.substr(0, 16));
        return invalid_input("unknown size unit '" + shown + "'",
                             "use b, KiB, MiB, GiB, TiB (or k, M, G, T) or KB, MB, GB, TB, in any case");
    }
    uint64_t mult = 1;
    for (size_t i = 0; i <= power; ++i) mult *= binary ? 1024 : 1000;
    return mult;
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
