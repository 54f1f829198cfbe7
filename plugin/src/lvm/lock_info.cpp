// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/lock_info.hpp"

#include <sstream>
#include <vector>

namespace ilvm::lvm {

Command lockctl_info() {
    Command c{"lvmlockctl", "-i"};
    c.timeout = std::chrono::seconds(30);  // a local query of lvmlockd: seconds at worst
    return c;
}

std::map<std::string, LockMode> parse_lockctl_lv_modes(std::string_view text, std::string_view vg) {
    std::map<std::string, LockMode> out;
    std::istringstream in{std::string(text)};
    std::string line;
    bool in_vg = false;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string t; words >> t;) w.push_back(t);
        if (w.empty()) continue;
        // A "VG <name> lock_type=…" line opens the section of that VG's lockspace.
        if (w[0] == "VG") {
            in_vg = w.size() > 1 && w[1] == vg;
            continue;
        }
        if (!in_vg || w.size() < 4 || w[0] != "LK" || w[1] != "LV") continue;
        if (w[2] == "ex") out[w[3]] = LockMode::exclusive;
        else if (w[2] == "sh") out[w[3]] = LockMode::shared;
    }
    return out;
}

}  // namespace ilvm::lvm
