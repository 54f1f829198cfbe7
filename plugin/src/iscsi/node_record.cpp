// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/node_record.hpp"

#include "common/strings.hpp"

namespace ilvm::iscsi {

Result<std::vector<std::string>> find_node_record_files(System &sys, const std::string &nodes_dir,
                                                        const NodeAddress &node, const std::string &host,
                                                        uint16_t port) {
    const std::string target_dir = nodes_dir + "/" + node.target_iqn;
    auto entries = sys.list_dir(target_dir);
    if (!entries.ok()) return not_found("no open-iscsi node record for " + node.target_iqn + " at " + node.portal);
    const std::string iface = node.iface.empty() ? "default" : node.iface;
    // "<host>,<port>,<tpgt>" once the TPGT is known, plain "<host>,<port>" for a record made
    // with `--op new` (TPGT unknown; open-iscsi 2.1.8, measured). IPv6 hosts appear with or
    // without brackets depending on the open-iscsi version.
    const std::string p = std::to_string(port);
    const std::vector<std::string> bases{host + "," + p, "[" + host + "]," + p};
    std::vector<std::string> files;
    for (const auto &e : *entries) {
        bool match = false;
        for (const auto &b : bases) match = match || e == b || e.rfind(b + ",", 0) == 0;
        if (!match) continue;
        const std::string entry = target_dir + "/" + e;
        if (sys.list_dir(entry).ok()) {
            // A directory holding one record file per iface.
            if (sys.path_exists(entry + "/" + iface)) files.push_back(entry + "/" + iface);
        } else {
            // A flat record file: one record for this portal, whatever its iface.
            files.push_back(entry);
        }
    }
    if (files.empty()) return not_found("no open-iscsi node record for " + node.target_iqn + " at " + node.portal);
    return files;
}

Result<std::vector<std::string>> find_node_record_files(System &sys, const std::vector<std::string> &nodes_dirs,
                                                        const NodeAddress &node, const std::string &host,
                                                        uint16_t port) {
    std::vector<std::string> found_in, files;
    for (const auto &dir : nodes_dirs) {
        auto here = find_node_record_files(sys, dir, node, host, port);
        if (!here.ok()) continue;
        found_in.push_back(dir);
        files = std::move(*here);
    }
    const std::string what = "open-iscsi node record for " + node.target_iqn + " at " + node.portal;
    if (found_in.empty())
        return not_found("no " + what + " (looked in " + join(nodes_dirs, " and ") + ")",
                         "iscsiadm --mode node --targetname " + node.target_iqn + " shows the records this open-iscsi "
                         "keeps; set ILVM_ISCSI_NODES_DIR if it keeps them elsewhere");
    if (found_in.size() > 1)
        return conflict(what + " in both " + join(found_in, " and ") + ": which one open-iscsi reads cannot be told",
                        "remove the stale copy: Debian 12's open-iscsi keeps its records under /etc/iscsi/nodes, "
                        "Debian 13's under /var/lib/iscsi/nodes (its upgrade moves them)");
    return files;
}

SecretString with_chap_settings(std::string_view record, const std::string &username, const SecretString &password) {
    static constexpr std::string_view kMethod = "node.session.auth.authmethod = CHAP\n";
    static constexpr std::string_view kUser = "node.session.auth.username = ";
    static constexpr std::string_view kPassword = "node.session.auth.password = ";
    static constexpr std::string_view kEnd = "# END RECORD";
    // The lines kept never exceed the record (+1 for a missing final newline).
    SecretString out = SecretString::with_capacity(record.size() + 1 + kMethod.size() + kUser.size() + username.size() +
                                                   1 + kPassword.size() + password.size() + 1 + kEnd.size() + 1);
    while (!record.empty()) {
        const size_t nl = record.find('\n');
        const std::string_view line = record.substr(0, nl);
        record.remove_prefix(nl == std::string_view::npos ? record.size() : nl + 1);
        const std::string_view key = line.substr(0, line.find_first_of(" ="));
        if (key == "node.session.auth.authmethod" || key == "node.session.auth.username" ||
            key == "node.session.auth.password")
            continue;
        // Keep the END marker last: open-iscsi writes "# END RECORD" as the final line.
        if (line == kEnd) continue;
        out.append(line);
        out.append("\n");
    }
    out.append(kMethod);
    out.append(kUser);
    out.append(username);
    out.append("\n");
    out.append(kPassword);
    out.append(password.reveal());
    out.append("\n");
    out.append(kEnd);
    out.append("\n");
    return out;
}

Status write_chap_settings(System &sys, const std::string &record_file, const std::string &username,
                           const SecretString &password) {
    ILVM_ASSIGN_OR_RETURN(std::string read, sys.read_file(record_file));
    const SecretString current = SecretString::take(read);
    const SecretString updated = with_chap_settings(current.reveal(), username, password);
    return sys.write_file(record_file, updated.reveal(), 0600);
}

}  // namespace ilvm::iscsi
