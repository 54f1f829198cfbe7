// SPDX-License-Identifier: LGPL-2.1-or-later
// What every libvirt API user in ilvm shares: the connection handle, libvirt's last error
// as one line, and opening a URI the way virsh does. Only `ilvm` links this (ilvm-sync):
// the qemu hook must never call libvirt.
#pragma once

#include <memory>
#include <string>


#include "common/result.hpp"
#include "host/libvirt/libvirt_api.hpp"

namespace ilvm::host {

struct ConnDeleter {
    void operator()(virConnectPtr c) const;
};
using ConnHandle = std::unique_ptr<virConnect, ConnDeleter>;
struct DomainDeleter {
    void operator()(virDomainPtr d) const;
};
using DomainHandle = std::unique_ptr<virDomain, DomainDeleter>;
struct SnapshotDeleter {
    void operator()(virDomainSnapshotPtr s) const;
};
using SnapshotHandle = std::unique_ptr<virDomainSnapshot, SnapshotDeleter>;

// libvirt's last error on this thread, one line ("unknown libvirt error" when none).
std::string libvirt_error();

// Opens `uri` with libvirt's default authentication callbacks (virsh's choice: ssh and
// SASL prompts work on a terminal, fail cleanly without one). libvirt's default error
// printer is silenced first: we report errors ourselves. Error message:
// "cannot connect to libvirt at URI: <libvirt's message>".
Result<ConnHandle> open_libvirt(const std::string &uri);

}  // namespace ilvm::host
