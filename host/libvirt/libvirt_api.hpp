// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt's client library, loaded when a verb first needs it (common/shared_library.hpp:
// linked, it cost every `ilvm` run its dynamic linking, issue 16). One table of the
// functions this folder calls, each typed by libvirt's own declaration; call them as
// `api.virDomainLookupByName(...)`. The agent links libvirt itself (libvirt-glib needs it)
// and calls it directly; both reach the same loaded library.
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "common/result.hpp"
#include "common/shared_library.hpp"

namespace ilvm::host {

// X(name) for every libvirt function host/libvirt calls.
#define ILVM_LIBVIRT_FUNCTIONS(X) \
    X(virGetLastError)            \
    X(virSetErrorFunc)            \
    X(virConnectOpenAuth)         \
    X(virConnectClose)            \
    X(virConnectIsAlive)          \
    X(virStoragePoolLookupByName) \
    X(virStoragePoolGetXMLDesc)   \
    X(virStoragePoolIsActive)     \
    X(virStoragePoolDefineXML)    \
    X(virStoragePoolSetAutostart) \
    X(virStoragePoolCreate)       \
    X(virStoragePoolRefresh)      \
    X(virStoragePoolDestroy)      \
    X(virStoragePoolUndefine)     \
    X(virStoragePoolFree)         \
    X(virDomainLookupByName)      \
    X(virDomainFree)              \
    X(virDomainGetState)          \
    X(virDomainGetXMLDesc)        \
    X(virDomainMigrate3)          \
    X(virDomainGetJobStats)       \
    X(virDomainSnapshotCreateXML) \
    X(virDomainSnapshotFree)      \
    X(virTypedParamsAddString)    \
    X(virTypedParamsGetInt)       \
    X(virTypedParamsFree)

struct LibvirtApi {
#define ILVM_LIBVIRT_MEMBER(name) decltype(&::name) name = nullptr;
    ILVM_LIBVIRT_FUNCTIONS(ILVM_LIBVIRT_MEMBER)
#undef ILVM_LIBVIRT_MEMBER
    // libvirt's virConnectAuthPtrDefault (a variable): the callbacks virsh uses.
    virConnectAuthPtr default_auth = nullptr;

    static Status resolve_from(const SharedLibrary &lib, LibvirtApi &api);
};

// The table, loading libvirt.so.0 on the first call (thread-safe; the outcome, success or
// error, is kept for the process).
Result<const LibvirtApi *> libvirt_api();

// The table of a process that already holds a libvirt handle (so the load succeeded): for
// handle deleters.
const LibvirtApi &loaded_libvirt();

}  // namespace ilvm::host
