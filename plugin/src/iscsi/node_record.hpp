// SPDX-License-Identifier: LGPL-2.1-or-later
// CHAP settings live in open-iscsi's node record (0600 files under /etc/iscsi/nodes on Debian
// 12, /var/lib/iscsi/nodes on Debian 13), so boot-time logins work without libvirt. iscsiadm
// can only set values from argv, which would expose the password in /proc/*/cmdline: we edit
// the record file instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/system.hpp"
#include "iscsi/iscsi_argv.hpp"
#include "secret/secret_string.hpp"

namespace ilvm::iscsi {

// The record files of one node: <nodes_dir>/<iqn>/<host>,<port>,<tpgt>/<iface> (or the
// old flat layout where the portal entry is the file itself).
Result<std::vector<std::string>> find_node_record_files(System &sys, const std::string &nodes_dir,
                                                        const NodeAddress &node, const std::string &host,
                                                        uint16_t port);
// The same, looked for in each of `nodes_dirs` (open-iscsi's database moved from /etc/iscsi
// to /var/lib/iscsi in Debian 13; the record was just written by iscsiadm, so it is where
// this open-iscsi keeps it): not_found naming every directory when none has it, conflict when
// more than one has (which one iscsiadm reads cannot be told from here; fail closed).
Result<std::vector<std::string>> find_node_record_files(System &sys, const std::vector<std::string> &nodes_dirs,
                                                        const NodeAddress &node, const std::string &host,
                                                        uint16_t port);

// Record text with node.session.auth.{authmethod,username,password} replaced: a secret
// itself, built in one buffer sized up front (no copy left behind by a growing string).
SecretString with_chap_settings(std::string_view record, const std::string &username, const SecretString &password);

// Rewrites the record file; the text read (which may hold the previous password) is wiped.
Status write_chap_settings(System &sys, const std::string &record_file, const std::string &username,
                           const SecretString &password);

}  // namespace ilvm::iscsi
