// SPDX-License-Identifier: LGPL-2.1-or-later
// `sanlock direct dump` output (plugin/src/sanlock/lease_dump): parse_direct_dump and the
// questions the backend asks of its records (who owns a resource lease, who holds it
// shared, which host name a host_id registered) on any text.
#include "fuzz_check.hpp"
#include "sanlock/lease_dump.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    namespace sl = ilvm::sanlock;
    const auto records = sl::parse_direct_dump(ilvm::fuzz::as_text(data, size));
    for (const auto &r : records) {
        for (uint32_t h : r.shared_holders) FUZZ_CHECK(h != 0, "host_id 0 listed as a shared holder");
        FUZZ_CHECK(!r.lockspace.empty() && !r.resource.empty(), "a record without lockspace or resource");

        const auto owner = sl::lease_owner(records, r.resource);
        if (owner) FUZZ_CHECK(*owner != 0, "host_id 0 reported as the owner of " + r.resource);
        const auto shared = sl::shared_holders(records, r.resource);
        const std::string name = sl::host_name_for(records, r.owner_id);
        const std::string from_owner = sl::host_name_from_owner(r.resource);
        FUZZ_CHECK(r.resource.size() >= from_owner.size() &&
                       r.resource.compare(r.resource.size() - from_owner.size(), from_owner.size(), from_owner) == 0,
                   "the host name is not the end of the owner name '" + r.resource + "'");
        const std::string said = sl::describe_holder(sl::Holder{owner.value_or(r.owner_id), name, !shared.empty()});
        FUZZ_CHECK(said.rfind("host ", 0) == 0, "describe_holder: " + said);
    }
    return 0;
}
