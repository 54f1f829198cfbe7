// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sanlock/client_status.hpp"

#include <limits>
#include <sstream>

#include "common/numbers.hpp"
namespace ilvm::sanlock {
namespace {

// sanlock's numbers; one that does not parse (or fit) reads as 0, which every caller takes
// as "unknown": no host_id, never seen live.
template <typename T>
T number(std::string_view s) {
    auto v = parse_digits(s);
    return v && *v <= std::numeric_limits<T>::max() ? static_cast<T>(*v) : T{};
}

// "    key=value" lines follow the entry they describe.
bool debug_field(const std::string &line, std::string &key, std::string &value) {
    if (line.rfind("    ", 0) != 0) return false;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return false;
    key = line.substr(4, eq - 4);
    value = line.substr(eq + 1);
    return true;
}

}  // namespace

Command sanlock_client_status() { return Command{"sanlock", "client", "status", "-D"}; }

Command sanlock_client_host_status(const std::string &lockspace) {
    return Command{"sanlock", "client", "host_status", "-s", lockspace, "-D"};
}

SanlockStatus parse_sanlock_status(std::string_view out) {
    SanlockStatus st;
    std::istringstream in{std::string(out)};
    std::string line;
    std::string entry;   // "daemon", "p", "s" or "r": what the -D lines belong to
    SanlockLockspace *space = nullptr;   // the "s" entry the -D lines belong to, if it parsed
    while (std::getline(in, line)) {
        std::string key;
        std::string value;
        if (debug_field(line, key, value)) {
            if (entry == "daemon" && key == "use_watchdog") st.use_watchdog = value != "0";
            if (space != nullptr && key == "host_generation") space->host_generation = number<uint64_t>(value);
            if (space != nullptr && key == "space_dead") space->space_dead = value != "0";
            continue;
        }
        space = nullptr;
        entry = line.substr(0, line.find(' '));
        if (entry == "daemon") {
            // "daemon <name>"; a bare "daemon" line has no name (substr(7) would throw).
            st.daemon_name = line.size() > 7 ? line.substr(7) : std::string();
        } else if (entry == "s" && line.size() > 2) {
            // "s lvm_vg:1:/dev/mapper/vg-lvmlock:0[ ADD|REM|ORPHAN]": name:host_id:path:offset,
            // then the list it is on unless joined. (A path with a space would be escaped.)
            std::string rest = line.substr(2);
            std::string list;
            if (const size_t sp = rest.rfind(' '); sp != std::string::npos) {
                list = rest.substr(sp + 1);
                rest.resize(sp);
            }
            const size_t c1 = rest.find(':');
            if (c1 == std::string::npos) continue;
            const size_t c2 = rest.find(':', c1 + 1);
            if (c2 == std::string::npos) continue;
            SanlockLockspace ls;
            ls.name = rest.substr(0, c1);
            ls.host_id = number<uint32_t>(std::string_view(rest).substr(c1 + 1, c2 - c1 - 1));
            ls.list = list;
            st.lockspaces.push_back(std::move(ls));
            space = &st.lockspaces.back();
        }
    }
    return st;
}

const SanlockLockspace *find_lockspace(const SanlockStatus &st, std::string_view lockspace) {
    for (const auto &ls : st.lockspaces)
        if (ls.name == lockspace) return &ls;
    return nullptr;
}

std::optional<uint32_t> joined_host_id(const SanlockStatus &st, std::string_view lockspace) {
    const SanlockLockspace *ls = find_lockspace(st, lockspace);
    if (ls == nullptr || !ls->joined()) return std::nullopt;
    return ls->host_id;
}

std::vector<SanlockHost> parse_sanlock_host_status(std::string_view out) {
    std::vector<SanlockHost> hosts;
    std::istringstream in{std::string(out)};
    std::string line;
    while (std::getline(in, line)) {
        std::string key;
        std::string value;
        if (debug_field(line, key, value)) {
            if (hosts.empty()) continue;
            SanlockHost &h = hosts.back();
            if (key == "last_check") h.last_check = number<uint64_t>(value);
            else if (key == "last_live") h.last_live = number<uint64_t>(value);
            else if (key == "io_timeout") h.io_timeout = number<uint32_t>(value);
            else if (key == "owner_name") h.owner_name = value;
            continue;
        }
        // "2 timestamp 160"; without -s sanlock also prints "lockspace <name>" headers.
        std::istringstream words(line);
        std::string id;
        std::string word;
        uint64_t timestamp = 0;
        if (words >> id >> word >> timestamp && word == "timestamp")
            hosts.push_back(SanlockHost{number<uint32_t>(id), timestamp, 0, 0, 0, {}});
    }
    return hosts;
}

bool sanlock_host_live(const SanlockHost &host) {
    if (host.timestamp == 0) return false;
    if (host.last_live == 0 || host.last_check <= host.last_live) return true;
    const uint64_t io_timeout = host.io_timeout ? host.io_timeout : 10;   // sanlock's default
    return host.last_check - host.last_live <= 8 * io_timeout;
}

}  // namespace ilvm::sanlock
