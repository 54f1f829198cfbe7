// SPDX-License-Identifier: LGPL-2.1-or-later
// argv builders for iscsiadm. Long option names so the golden files read like a runbook.
// No builder ever takes a password: CHAP secrets go into the node record file (0600).
#pragma once

#include <chrono>
#include <string>

#include "common/command.hpp"

namespace ilvm::iscsi {

// Exit codes from open-iscsi's iscsi_err.h that change what we do.
inline constexpr int kErrSessionExists = 15;   // ISCSI_ERR_SESS_EXISTS: already logged in
inline constexpr int kErrNoObjectsFound = 21;  // ISCSI_ERR_NO_OBJS_FOUND: no record / session
inline constexpr int kErrLoginAuthFailed = 24; // ISCSI_ERR_LOGIN_AUTH_FAILED

struct NodeAddress {
    std::string target_iqn;
    std::string portal;   // host:port as iscsiadm -p takes it
    std::string iface;    // empty: open-iscsi's "default" iface
};

Command session_list();
// `iscsiadm --mode session --print 3`: each session's details, its timeouts among them.
Command session_details();
Command node_query(const NodeAddress &n);
// Creates the record with the *configured* portal: sendtargets discovery may answer an
// address the host cannot reach (NAT, a target bound to 127.0.0.1), so we never use it.
Command node_new(const NodeAddress &n);
Command node_update(const NodeAddress &n, const std::string &key, const std::string &value);
Command node_delete(const NodeAddress &n);
// `timeout`: when to kill iscsiadm. It must be later than open-iscsi's own give-up (the
// record's login settings), so that a dead portal is reported by iscsid, not by the kill.
Command login(const NodeAddress &n, std::chrono::seconds timeout);
Command logout(const NodeAddress &n);
// `iscsiadm --mode iface --interface NAME`: exits 0 when the iface exists.
Command iface_query(const std::string &iface);
Command iface_new(const std::string &iface);
Command iface_delete(const std::string &iface);
Command iface_set_initiator(const std::string &iface, const std::string &initiator_iqn);

}  // namespace ilvm::iscsi
