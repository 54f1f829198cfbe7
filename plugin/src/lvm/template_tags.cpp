// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/template_tags.hpp"

#include <algorithm>
#include <map>

#include "lvm/snapshot_tags.hpp"

namespace ilvm::lvm {

bool is_template(const LvReport &lv) { return std::find(lv.tags.begin(), lv.tags.end(), kTemplateTag) != lv.tags.end(); }

std::vector<std::string> clones_of(const std::vector<LvReport> &lvs, const std::string &name) {
    std::vector<std::string> out;
    for (const auto &lv : lvs)
        if (backing_of(lv) == name) out.push_back(lv.name);
    return out;
}

std::set<std::string> read_by_active_chains(const std::vector<LvReport> &lvs) {
    std::map<std::string, std::string> backing;
    for (const auto &lv : lvs)
        if (auto b = backing_of(lv)) backing[lv.name] = *b;
    std::set<std::string> read;
    for (const auto &lv : lvs) {
        if (!lv.active_locally || is_layer(lv)) continue;
        std::set<std::string> seen{lv.name};
        for (auto it = backing.find(lv.name); it != backing.end() && seen.insert(it->second).second;
             it = backing.find(it->second))
            read.insert(it->second);   // a loop (tags changed by hand) stops the walk
        if (auto b = backing_of(lv)) read.insert(*b);
    }
    return read;
}

}  // namespace ilvm::lvm
