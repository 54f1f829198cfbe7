// SPDX-License-Identifier: LGPL-2.1-or-later
// SecretProvider for tests: a fixed password per usage/uuid, counting lookups.
#pragma once

#include <map>

#include "secret/secret_provider.hpp"

namespace ilvm::test {

class FakeSecrets final : public SecretProvider {
public:
    std::map<std::string, std::string> by_usage;
    int lookups = 0;

    Result<SecretString> chap_password(const SecretRef &ref) override {
        ++lookups;
        auto key = ref.uuid.empty() ? ref.usage : ref.uuid;
        auto it = by_usage.find(key);
        if (it == by_usage.end()) return not_found("no libvirt secret with usage '" + key + "'");
        return SecretString(it->second);
    }
};

}  // namespace ilvm::test
