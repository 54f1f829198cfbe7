// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/iscsi_argv.hpp"

namespace ilvm::iscsi {
namespace {

Command node_cmd(const NodeAddress &n) {
    Command c{"iscsiadm", "--mode", "node", "--targetname", n.target_iqn, "--portal", n.portal};
    if (!n.iface.empty()) c.argv.insert(c.argv.end(), {"--interface", n.iface});
    return c;
}

Command with(Command c, std::initializer_list<std::string> extra) {
    c.argv.insert(c.argv.end(), extra);
    return c;
}

}  // namespace

Command session_list() { return Command{"iscsiadm", "--mode", "session"}; }
Command session_details() { return Command{"iscsiadm", "--mode", "session", "--print", "3"}; }
Command node_query(const NodeAddress &n) { return node_cmd(n); }
Command node_new(const NodeAddress &n) { return with(node_cmd(n), {"--op", "new"}); }
Command node_update(const NodeAddress &n, const std::string &key, const std::string &value) {
    return with(node_cmd(n), {"--op", "update", "--name", key, "--value", value});
}
Command node_delete(const NodeAddress &n) { return with(node_cmd(n), {"--op", "delete"}); }
Command login(const NodeAddress &n, std::chrono::seconds timeout) {
    auto c = with(node_cmd(n), {"--login"});
    c.timeout = timeout;
    return c;
}
Command logout(const NodeAddress &n) { return with(node_cmd(n), {"--logout"}); }
Command iface_query(const std::string &iface) { return Command{"iscsiadm", "--mode", "iface", "--interface", iface}; }
Command iface_new(const std::string &iface) { return Command{"iscsiadm", "--mode", "iface", "--interface", iface, "--op", "new"}; }
Command iface_delete(const std::string &iface) {
    return Command{"iscsiadm", "--mode", "iface", "--interface", iface, "--op", "delete"};
}
Command iface_set_initiator(const std::string &iface, const std::string &initiator_iqn) {
    return Command{"iscsiadm", "--mode", "iface", "--interface", iface, "--op", "update",
                   "--name", "iface.initiatorname", "--value", initiator_iqn};
}

}  // namespace ilvm::iscsi
