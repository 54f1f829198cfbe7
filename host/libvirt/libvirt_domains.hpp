// SPDX-License-Identifier: LGPL-2.1-or-later
// Domains through libvirt's public API on this host's connection (Context::libvirt_uri()),
// opened on first use; the destination's connection is opened by open_destination().
#pragma once

#include <memory>
#include <string>

#include "host/libvirt/domains.hpp"

namespace ilvm::host {

std::unique_ptr<Domains> make_libvirt_domains(std::string uri);

}  // namespace ilvm::host
