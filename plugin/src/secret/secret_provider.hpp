// SPDX-License-Identifier: LGPL-2.1-or-later
// Where CHAP passwords come from: libvirt's secret store (usage type iscsi), looked up by
// usage or UUID. Tests substitute a fake; the real one talks to libvirtd.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "model/pool_def.hpp"
#include "secret/secret_string.hpp"

namespace ilvm {

class SecretProvider {
public:
    virtual ~SecretProvider() = default;
    virtual Result<SecretString> chap_password(const SecretRef &ref) = 0;
};

// Connects lazily (only pool-build/pool-start with CHAP need it; the qemu hook never does,
// since a hook must not call back into libvirt).
std::unique_ptr<SecretProvider> make_libvirt_secret_provider(std::string uri);

// CHAP secrets end up in an open-iscsi record line: refuse what would break the format.
Status validate_chap_secret(const SecretString &s);

}  // namespace ilvm
