// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/libvirt_api.hpp"

#include <cstdlib>

#include "common/log.hpp"

namespace ilvm::host {

Status LibvirtApi::resolve_from(const SharedLibrary &lib, LibvirtApi &api) {
#define ILVM_LIBVIRT_RESOLVE(name) ILVM_TRY(lib.resolve(#name, api.name));
    ILVM_LIBVIRT_FUNCTIONS(ILVM_LIBVIRT_RESOLVE)
#undef ILVM_LIBVIRT_RESOLVE
    virConnectAuthPtr *default_auth = nullptr;
    ILVM_TRY(lib.resolve("virConnectAuthPtrDefault", default_auth));
    api.default_auth = *default_auth;
    spdlog::debug("libvirt.so.0 loaded");
    return Status::success();
}

Result<const LibvirtApi *> libvirt_api() {
    return SharedLibrary::table_once<LibvirtApi>("libvirt.so.0", "install libvirt's client library (Debian: libvirt0)");
}

const LibvirtApi &loaded_libvirt() {
    auto api = libvirt_api();
    if (!api.ok()) {
        // Unreachable: a handle exists only after a call through the table.
        spdlog::critical("libvirt handle without libvirt: {}", api.error().message);
        std::abort();
    }
    return **api;
}

}  // namespace ilvm::host
