// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/reconcile/idle_tracker.hpp"

#include <sstream>

#include "common/numbers.hpp"

namespace ilvm::host {

IdleSince parse_idle_since(std::string_view text) {
    IdleSince out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space == std::string::npos || space == 0) continue;
        auto since = parse_digits(std::string_view(line).substr(space + 1));
        if (!since || *since > static_cast<uint64_t>(INT64_MAX)) continue;
        out[line.substr(0, space)] = static_cast<int64_t>(*since);
    }
    return out;
}

std::string format_idle_since(const IdleSince &idle) {
    std::string out;
    for (const auto &[vol, since] : idle) out += vol + " " + std::to_string(since) + "\n";
    return out;
}

std::set<std::string> settled_volumes(const IdleSince &idle, int64_t now, int64_t grace_seconds) {
    std::set<std::string> out;
    for (const auto &[vol, since] : idle)
        if (now - since >= grace_seconds) out.insert(vol);
    return out;
}

IdleSince next_idle_since(const IdleSince &before, const std::vector<std::string> &idle_now, int64_t now) {
    IdleSince out;
    for (const auto &vol : idle_now) {
        auto it = before.find(vol);
        out[vol] = it != before.end() ? it->second : now;
    }
    return out;
}

}  // namespace ilvm::host
