// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/libvirt_conn.hpp"

#include <libvirt/virterror.h>

#include "common/xml_doc.hpp"

namespace ilvm::host {

void ConnDeleter::operator()(virConnectPtr c) const {
    if (c) virConnectClose(c);
}

std::string libvirt_error() {
    virErrorPtr e = virGetLastError();
    return xml::one_line(e && e->message ? e->message : "unknown libvirt error");
}

Result<ConnHandle> open_libvirt(const std::string &uri) {
    // Keep libvirt from printing to our stderr: one `error:` line is the CLI's contract.
    virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
    ConnHandle conn(virConnectOpenAuth(uri.c_str(), virConnectAuthPtrDefault, 0));
    if (!conn) return system_error("cannot connect to libvirt at " + uri + ": " + libvirt_error());
    return conn;
}

}  // namespace ilvm::host
