// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sanlock/lease_dump.hpp"

#include <limits>
#include <sstream>

#include "common/numbers.hpp"
namespace ilvm::sanlock {
namespace {

// A whole number that fits T (common/numbers.hpp), stored in `out`.
template <typename T>
bool parse_num(const std::string &s, T &out) {
    auto v = parse_digits(s);
    if (!v || *v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(*v);
    return true;
}

}  // namespace

Command direct_dump(const std::string &path, uint64_t offset, uint64_t size) {
    Command c{"sanlock", "direct", "dump", path + ":" + std::to_string(offset) + ":" + std::to_string(size)};
    c.timeout = std::chrono::seconds(30);
    return c;
}

std::vector<LeaseRecord> parse_direct_dump(std::string_view text) {
    // Columns: offset lockspace resource timestamp own gen [lver]. The header line and
    // anything that does not start with a number are skipped.
    std::vector<LeaseRecord> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::vector<std::string> tok;
        for (std::string t; f >> t;) tok.push_back(t);
        // "                 0002 0001 SH": another shared holder of the lease above.
        if (tok.size() == 3 && tok[2] == "SH" && !out.empty()) {
            uint32_t host = 0;
            if (parse_num(tok[0], host) && host != 0) out.back().shared_holders.push_back(host);
            continue;
        }
        if (tok.size() < 6) continue;
        LeaseRecord r;
        if (!parse_num(tok[0], r.offset)) continue;
        r.lockspace = tok[1];
        r.resource = tok[2];
        if (!parse_num(tok[3], r.timestamp) || !parse_num(tok[4], r.owner_id) || !parse_num(tok[5], r.generation))
            continue;
        if (tok.size() > 6 && !parse_num(tok[6], r.lver)) r.lver = 0;  // an unknown lver is shown as none
        out.push_back(r);
    }
    return out;
}

std::optional<uint32_t> lease_owner(const std::vector<LeaseRecord> &resource_dump, std::string_view resource) {
    for (const auto &r : resource_dump)
        if (r.resource == resource && r.timestamp != 0 && r.owner_id != 0) return r.owner_id;
    return std::nullopt;
}

std::vector<uint32_t> shared_holders(const std::vector<LeaseRecord> &resource_dump, std::string_view resource) {
    for (const auto &r : resource_dump)
        if (r.resource == resource) return r.shared_holders;
    return {};
}

std::string host_name_for(const std::vector<LeaseRecord> &delta_dump, uint32_t host_id) {
    for (const auto &r : delta_dump) {
        if (r.owner_id != host_id || r.timestamp == 0) continue;
        return host_name_from_owner(r.resource);
    }
    return {};
}

std::string host_name_from_owner(std::string_view name) {
    // "e7bd3cc0-b522-4b43-b28a-f897c90e98f2.hosta" -> "hosta"
    if (name.size() > 37 && name[36] == '.' && name[8] == '-' && name[13] == '-' && name[18] == '-' && name[23] == '-')
        return std::string(name.substr(37));
    return std::string(name);
}

std::string describe_holder(const std::optional<Holder> &holder) {
    if (!holder) return "another host";
    std::string s = "host " + std::to_string(holder->host_id);
    if (!holder->host_name.empty()) s += " (" + holder->host_name + ")";
    return s;
}

}  // namespace ilvm::sanlock
