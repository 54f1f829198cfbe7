// SPDX-License-Identifier: LGPL-2.1-or-later
// MirrorPool through libvirt's public API (virStoragePool*), on a connection opened on
// first use (ILVM_LIBVIRT_URI / the module's libvirt_uri option; default qemu:///system).
#pragma once

#include <memory>
#include <string>

#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::host {

std::unique_ptr<MirrorPool> make_libvirt_mirror_pool(std::string uri);

}  // namespace ilvm::host
