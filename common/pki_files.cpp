// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/pki_files.hpp"

namespace ilvm {

PkiFiles libvirt_pki(const std::string &root) {
    return {root + "/etc/pki/CA/cacert.pem", root + "/etc/pki/libvirt/servercert.pem",
            root + "/etc/pki/libvirt/private/serverkey.pem", root + "/etc/pki/libvirt/clientcert.pem",
            root + "/etc/pki/libvirt/private/clientkey.pem"};
}

}  // namespace ilvm
