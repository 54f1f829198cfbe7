// SPDX-License-Identifier: LGPL-2.1-or-later
// Where libvirt's TLS setup keeps the cluster CA and this host's certificates
// (libvirtd.conf, virt-pki-validate(1)): the files ilvmd's peer channel presents and trusts
// (agent/peer_channel.hpp) and `ilvm host-validate` checks (cli/hostprep/pki_check.hpp).
#pragma once

#include <string>

namespace ilvm {

struct PkiFiles {
    std::string ca, server_cert, server_key, client_cert, client_key;
};

// libvirt's layout, every path prefixed by `root` ("": the host's own files; tests use a
// temporary directory).
PkiFiles libvirt_pki(const std::string &root = "");

}  // namespace ilvm
