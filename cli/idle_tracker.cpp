#include "idle_tracker.hpp"

#include <charconv>
#include <sstream>

namespace ilvm::cli {

IdleSince parse_idle_since(std::string_view text) {
    IdleSince out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space == std::string::npos || space == 0) continue;
        int64_t since = 0;
        const char *first = line.data() + space + 1, *last = line.data() + line.size();
        auto [ptr, ec] = std::from_chars(first, last, since);
        if (ec != std::errc() || ptr != last) continue;
        out[line.substr(0, space)] = since;
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

}  // namespace ilvm::cli
