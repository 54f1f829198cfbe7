// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/lvm_version.hpp"

#include <cstdio>
#include <sstream>

namespace ilvm::lvm {

std::string LvmVersion::text() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d.%02d.%02d", major, minor, patch);
    return buf;
}

Command lvm_version() { return Command{"lvm", "version"}; }

std::optional<LvmVersion> parse_lvm_version(std::string_view out) {
    std::istringstream in{std::string(out)};
    std::string line;
    constexpr std::string_view kLabel = "LVM version:";
    while (std::getline(in, line)) {
        const auto at = line.find(kLabel);
        if (at == std::string::npos) continue;
        LvmVersion v;
        if (std::sscanf(line.c_str() + at + kLabel.size(), " %d.%d.%d", &v.major, &v.minor, &v.patch) != 3)
            return std::nullopt;
        return v;
    }
    return std::nullopt;
}

bool lvmlockd_vgremove_hangs(const LvmVersion &v) {
    return v >= LvmVersion{2, 3, 31} && v < LvmVersion{2, 3, 33};
}

}  // namespace ilvm::lvm
