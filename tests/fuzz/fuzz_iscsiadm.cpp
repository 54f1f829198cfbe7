// SPDX-License-Identifier: LGPL-2.1-or-later
// iscsiadm's output and open-iscsi's node records (plugin/src/iscsi). The input is read three
// ways, each with its own seeds:
//   * `iscsiadm -m session` output: session_listed() finds a session only where a line
//     names that portal and target, and finds every "tcp: [N] PORTAL,TPGT IQN" line;
//   * a node record: with_chap_settings() keeps every other line in order, and under
//     open-iscsi's reading of the file (idbm.c: leading blanks and '#' lines skipped, the
//     last assignment of a key wins) the record then says CHAP with our username and password;
//   * a listing of /etc/iscsi/nodes/<iqn>/, one entry a line ("ENTRY" a flat record file,
//     "ENTRY/IFACE|IFACE" a directory of per-iface records): find_node_record_files() returns
//     only records of the asked portal and iface.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/names.hpp"
#include "fuzz_check.hpp"
#include "iscsi/node_record.hpp"
#include "iscsi/session.hpp"

namespace {

using ilvm::Result;
using ilvm::Status;

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

void check_sessions(std::string_view text, const std::vector<std::string> &lines) {
    const std::vector<std::tuple<std::string, std::string, uint16_t>> asked{
        {"iqn.2024-04.com.example:vms", "10.0.0.50", 3260},
        {"iqn.2024-01.lab.iscsi-lvm:target1", "10.0.2.2", 49493},
        {"iqn.2024-04.com.example:vms", "fe80::1", 3260},
    };
    // Hosts are compared by address, so only the target's name must be in the text.
    for (const auto &[iqn, host, port] : asked) {
        if (ilvm::iscsi::session_listed(text, iqn, host, port))
            FUZZ_CHECK(text.find(iqn) != std::string_view::npos,
                       "a session listed for " + iqn + " at " + host + " that the output does not name");
    }
    // Every well-formed line is found again.
    for (const auto &line : lines) {
        std::istringstream f(line);
        std::string transport, sid, portal_tpgt, iqn;
        if (!(f >> transport >> sid >> portal_tpgt >> iqn)) continue;
        const std::string portal = portal_tpgt.substr(0, portal_tpgt.rfind(','));
        const size_t colon = portal.rfind(':');
        if (colon == std::string::npos) continue;
        std::string host = portal.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        // Digits only: std::stoul also takes a sign and blanks ("+260"), iscsiadm never prints one.
        const std::string digits = portal.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 ||
            !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
            continue;
        const unsigned long port = std::stoul(digits);
        if (port == 0 || port > 65535) continue;
        // Only a host written as an address is compared (a session record holds one).
        if (!ilvm::canonical_host(host, ilvm::HostNames::refuse).ok()) continue;
        FUZZ_CHECK(ilvm::iscsi::session_listed(text, iqn, host, static_cast<uint16_t>(port)),
                   "a session line not found: " + line);
    }
}

// What open-iscsi reads from a record file (idbm_recinfo_config): blanks are isspace(), the
// last value of each key wins.
constexpr const char *kBlanks = " \t\v\f\r";
std::map<std::string, std::string> as_open_iscsi_reads(const std::string &record) {
    std::map<std::string, std::string> values;
    for (std::string line : lines_of(record)) {
        const size_t start = line.find_first_not_of(kBlanks);
        if (start == std::string::npos || line[start] == '#') continue;
        line = line.substr(start);
        const size_t name_end = std::min(line.find_first_of(std::string(kBlanks) + "="), line.size());
        size_t v = line.find_first_not_of(kBlanks, name_end);
        if (v == std::string::npos || line[v] != '=') continue;
        v = line.find_first_not_of(kBlanks, v + 1);
        std::string value = v == std::string::npos ? "" : line.substr(v);
        value.erase(value.find_last_not_of(kBlanks) + 1);
        values[line.substr(0, name_end)] = value;
    }
    return values;
}

void check_chap_record(std::string_view text, const std::vector<std::string> &lines) {
    const std::string user = "vmhost";
    const ilvm::SecretString password("s3cret-Passw0rd");
    const ilvm::SecretString record = ilvm::iscsi::with_chap_settings(text, user, password);
    const std::string out(record.reveal());

    FUZZ_CHECK(out.size() >= 13 && out.compare(out.size() - 13, 13, "# END RECORD\n") == 0, "the record does not end with its END line");
    const auto read = as_open_iscsi_reads(out);
    auto value = [&](const std::string &k) { auto it = read.find(k); return it == read.end() ? std::string("<unset>") : it->second; };
    FUZZ_CHECK(value("node.session.auth.authmethod") == "CHAP", "authmethod reads " + value("node.session.auth.authmethod"));
    FUZZ_CHECK(value("node.session.auth.username") == user, "username reads " + value("node.session.auth.username"));
    FUZZ_CHECK(value("node.session.auth.password") == password.reveal(), "the password does not read back");

    // The other lines, in order, untouched.
    const std::set<std::string> replaced{"node.session.auth.authmethod", "node.session.auth.username", "node.session.auth.password"};
    std::vector<std::string> kept;
    for (const auto &line : lines) {
        if (line == "# END RECORD" || replaced.count(line.substr(0, line.find_first_of(" ="))) != 0) continue;
        kept.push_back(line);
    }
    const auto written = lines_of(out);
    FUZZ_CHECK(written.size() == kept.size() + 4, "lines lost or added");
    FUZZ_CHECK(std::equal(kept.begin(), kept.end(), written.begin()), "the other lines changed");
}

// /etc/iscsi/nodes/<iqn>/ as the input lists it; nothing else exists.
class ListingSystem final : public ilvm::System {
public:
    ListingSystem(const std::string &target_dir, const std::vector<std::string> &lines) {
        for (const auto &line : lines) {
            if (line.empty() || line.find('\0') != std::string::npos) continue;
            const size_t slash = line.find('/');
            const std::string entry = line.substr(0, slash);
            if (entry.empty()) continue;
            top_.push_back(entry);
            if (slash == std::string::npos) continue;
            auto &files = dirs_[target_dir + "/" + entry];
            std::istringstream ifaces(line.substr(slash + 1));
            for (std::string iface; std::getline(ifaces, iface, '|');)
                if (!iface.empty() && iface.find('/') == std::string::npos) files.push_back(iface);
        }
        dirs_[target_dir] = top_;
    }

    Result<ilvm::CommandOutput> run(const ilvm::Command &) override { return ilvm::internal_error("no commands here"); }
    bool path_exists(const std::string &path) override {
        const size_t slash = path.rfind('/');
        auto it = dirs_.find(path.substr(0, slash));
        if (it != dirs_.end() && std::count(it->second.begin(), it->second.end(), path.substr(slash + 1)) > 0) return true;
        return dirs_.count(path) > 0;
    }
    Result<std::string> read_file(const std::string &) override { return ilvm::not_found("no files here"); }
    Status write_file(const std::string &, std::string_view, mode_t) override { return ilvm::internal_error("read-only"); }
    Result<std::vector<std::string>> list_dir(const std::string &path) override {
        auto it = dirs_.find(path);
        if (it == dirs_.end()) return ilvm::not_found(path);
        return it->second;
    }
    void sleep_for(std::chrono::milliseconds) override {}
    std::chrono::steady_clock::time_point now() override { return {}; }

    bool is_dir(const std::string &path) const { return dirs_.count(path) > 0; }

private:
    std::vector<std::string> top_;
    std::map<std::string, std::vector<std::string>> dirs_;
};

void check_node_records(const std::vector<std::string> &lines) {
    const std::string nodes_dir = "/etc/iscsi/nodes";
    struct Case {
        std::string host;
        std::string iface;
    };
    for (const Case &c : {Case{"10.0.0.50", ""}, Case{"10.0.0.50", "ilvm-san"}, Case{"fe80::1", ""}}) {
        const bool v6 = c.host.find(':') != std::string::npos;
        const ilvm::iscsi::NodeAddress node{"iqn.2024-04.com.example:vms", (v6 ? "[" + c.host + "]" : c.host) + ":3260", c.iface};
        const std::string target_dir = nodes_dir + "/" + node.target_iqn;
        ListingSystem sys(target_dir, lines);
        auto files = ilvm::iscsi::find_node_record_files(sys, nodes_dir, node, c.host, 3260);
        if (!files.ok()) {
            FUZZ_CHECK(files.error().code == ilvm::ErrorCode::not_found, files.error().message);
            continue;
        }
        FUZZ_CHECK(!files->empty(), "an empty list of record files");
        for (const auto &f : *files) {
            FUZZ_CHECK(f.rfind(target_dir + "/", 0) == 0, "a record outside the target's directory: " + f);
            const std::string rest = f.substr(target_dir.size() + 1);
            const size_t slash = rest.find('/');
            const std::string entry = rest.substr(0, slash);
            const bool portal_ok = entry == c.host + ",3260" || entry.rfind(c.host + ",3260,", 0) == 0 ||
                                   entry == "[" + c.host + "],3260" || entry.rfind("[" + c.host + "],3260,", 0) == 0;
            FUZZ_CHECK(portal_ok, "a record of another portal: " + f);
            if (sys.is_dir(target_dir + "/" + entry)) {
                FUZZ_CHECK(slash != std::string::npos && rest.substr(slash + 1) == (c.iface.empty() ? "default" : c.iface),
                           "a record of another iface: " + f);
                FUZZ_CHECK(sys.path_exists(f), "a record file that does not exist: " + f);
            } else {
                FUZZ_CHECK(slash == std::string::npos, "a path below a flat record file: " + f);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view text = ilvm::fuzz::as_text(data, size);
    const std::vector<std::string> lines = lines_of(text);
    check_sessions(text, lines);
    check_chap_record(text, lines);
    check_node_records(lines);
    return 0;
}
