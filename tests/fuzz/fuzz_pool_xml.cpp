// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool XML (plugin/src/xml/pool_xml): whatever parse_pool_xml accepts, format_pool_xml writes
// back as XML that parses again (through the same RelaxNG schema) to the same definition,
// i.e. the same canonical XML; whatever it refuses is invalid_input with a one-line message.
#include "fuzz_check.hpp"
#include "xml/pool_xml.hpp"

namespace {

void check_refusal(const ilvm::Error &e) {
    FUZZ_CHECK(e.code == ilvm::ErrorCode::invalid_input, "error class " + std::to_string(static_cast<int>(e.code)) + ": " + e.message);
    FUZZ_CHECK(!e.message.empty() && e.message.find('\n') == std::string::npos, "message not one line: " + e.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto def = ilvm::parse_pool_xml(ilvm::fuzz::as_text(data, size));
    if (!def.ok()) {
        check_refusal(def.error());
        return 0;
    }
    const std::string canonical = ilvm::format_pool_xml(*def);
    auto again = ilvm::parse_pool_xml(canonical);
    FUZZ_CHECK(again.ok(), "canonical pool XML refused: " + again.error().message + "\n" + canonical);
    const std::string twice = ilvm::format_pool_xml(*again);
    FUZZ_CHECK(twice == canonical, "round trip changed the pool:\n" + canonical + "--- became ---\n" + twice);

    // pool-dumpxml of an active pool: the status elements are accepted and ignored.
    const ilvm::PoolStatus status{10737418240ULL, 4294967296ULL, 6442450944ULL, 4194304ULL, "x"};
    auto active = ilvm::parse_pool_xml(ilvm::format_pool_xml(*def, &status));
    FUZZ_CHECK(active.ok(), "active pool XML refused: " + active.error().message);
    FUZZ_CHECK(ilvm::format_pool_xml(*active) == canonical, "the status elements changed the pool");
    return 0;
}
