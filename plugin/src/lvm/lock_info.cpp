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

std::map<std::string, LockctlVg> parse_lockctl_info(std::string_view text) {
    std::map<std::string, LockctlVg> out;
    std::istringstream in{std::string(text)};
    std::string line;
    LockctlVg *vg = nullptr;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string t; words >> t;) w.push_back(t);
        if (w.empty()) continue;
        // A "VG <name> lock_type=…" line opens the section of that VG's lockspace.
        if (w[0] == "VG") {
            vg = w.size() > 1 ? &out[w[1]] : nullptr;
            continue;
        }
        if (!vg || w.size() < 3 || w[0] != "LK") continue;
        if (w[1] == "GL") vg->holds_global = true;
        if (w[1] != "LV" || w.size() < 4) continue;
        if (w[2] == "ex") vg->lv_modes[w[3]] = LockMode::exclusive;
        else if (w[2] == "sh") vg->lv_modes[w[3]] = LockMode::shared;
    }
    return out;
}

std::map<std::string, LockMode> parse_lockctl_lv_modes(std::string_view text, std::string_view vg) {
    auto all = parse_lockctl_info(text);
    auto it = all.find(std::string(vg));
    return it == all.end() ? std::map<std::string, LockMode>{} : it->second.lv_modes;
}

std::string lvmlockd_skipped(const CommandOutput &out) {
    for (const char *why : {"lvmlockd process is not running", "lvmlockd connect failed"})
        if (out.err.find(why) != std::string::npos) return why;
    return {};
}

}  // namespace ilvm::lvm
