// SPDX-License-Identifier: LGPL-2.1-or-later
// Volume XML (plugin/src/xml/vol_xml): whatever parse_vol_xml accepts, format_vol_xml writes
// back as XML that parses again (through the same RelaxNG schema) to the same volume, i.e.
// the same canonical XML; whatever it refuses is invalid_input with a one-line message.
#include "common/names.hpp"
#include "fuzz_check.hpp"
#include "xml/vol_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto def = ilvm::parse_vol_xml(ilvm::fuzz::as_text(data, size));
    if (!def.ok()) {
        const ilvm::Error &e = def.error();
        FUZZ_CHECK(e.code == ilvm::ErrorCode::invalid_input, "error class " + std::to_string(static_cast<int>(e.code)) + ": " + e.message);
        FUZZ_CHECK(!e.message.empty() && e.message.find('\n') == std::string::npos, "message not one line: " + e.message);
        return 0;
    }
    FUZZ_CHECK(ilvm::validate_lv_name(def->name).ok(), "accepted volume name '" + def->name + "'");
    FUZZ_CHECK(def->capacity > 0, "accepted a zero capacity");
    FUZZ_CHECK(!def->allocation || *def->allocation == def->capacity, "accepted a thin volume");

    const std::string canonical = ilvm::format_vol_xml(*def);
    auto again = ilvm::parse_vol_xml(canonical);
    FUZZ_CHECK(again.ok(), "canonical volume XML refused: " + again.error().message + "\n" + canonical);
    FUZZ_CHECK(again->name == def->name && again->capacity == def->capacity && again->allocation == def->allocation,
               "round trip changed the volume:\n" + canonical);
    const std::string twice = ilvm::format_vol_xml(*again);
    FUZZ_CHECK(twice == canonical, "round trip changed the XML:\n" + canonical + "--- became ---\n" + twice);

    // vol-dumpxml of an existing volume (key, path, activation, holder) reads back as the volume.
    ilvm::VolStatus status;
    status.key = "r4xkCv-MQhr-WKIT-R66x-Epn2-e8hG-1Z5gY0";
    status.path = "/dev/vg/" + def->name;
    status.activation = ilvm::ActivationState::shared;
    status.holder_host_id = 2;
    status.holder_host_name = "kvm-b";
    auto dumped = ilvm::parse_vol_xml(ilvm::format_vol_xml(*def, &status));
    FUZZ_CHECK(dumped.ok(), "vol-dumpxml output refused: " + dumped.error().message);
    FUZZ_CHECK(dumped->name == def->name && dumped->capacity == def->capacity, "vol-dumpxml output changed the volume");
    return 0;
}
