// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/dm_name.hpp"

namespace ilvm {

bool split_dm_name(std::string_view dm_name, std::string &vg, std::string &lv) {
    std::string a, b;
    bool second = false;
    for (size_t i = 0; i < dm_name.size(); ++i) {
        char c = dm_name[i];
        if (c == '-') {
            if (i + 1 < dm_name.size() && dm_name[i + 1] == '-') {
                (second ? b : a) += '-';
                ++i;
                continue;
            }
            if (second) return false;
            second = true;
            continue;
        }
        (second ? b : a) += c;
    }
    if (!second || a.empty() || b.empty()) return false;
    vg = a;
    lv = b;
    return true;
}

}  // namespace ilvm
