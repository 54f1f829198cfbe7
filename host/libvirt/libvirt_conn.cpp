// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/libvirt_conn.hpp"

#include "common/xml_doc.hpp"

namespace ilvm::host {

void ConnDeleter::operator()(virConnectPtr c) const {
    if (c) loaded_libvirt().virConnectClose(c);
}

void DomainDeleter::operator()(virDomainPtr d) const {
    if (d) loaded_libvirt().virDomainFree(d);
}

void SnapshotDeleter::operator()(virDomainSnapshotPtr s) const {
    if (s) loaded_libvirt().virDomainSnapshotFree(s);
}

std::string libvirt_error() {
    auto api = libvirt_api();
    if (!api.ok()) return api.error().message;
    virErrorPtr e = (*api)->virGetLastError();
    return xml::one_line(e && e->message ? e->message : "unknown libvirt error");
}

Result<ConnHandle> open_libvirt(const std::string &uri) {
    // libvirt is loaded here, by the first verb that connects (host/libvirt/libvirt_api.hpp).
    auto api = libvirt_api();
    if (!api.ok())
        return system_error("cannot connect to libvirt at " + uri + ": " + api.error().message, api.error().hint);
    // Keep libvirt from printing to our stderr: one `error:` line is the CLI's contract.
    (*api)->virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
    ConnHandle conn((*api)->virConnectOpenAuth(uri.c_str(), (*api)->default_auth, 0));
    if (!conn) return system_error("cannot connect to libvirt at " + uri + ": " + libvirt_error());
    return conn;
}

}  // namespace ilvm::host
