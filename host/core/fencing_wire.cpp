// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/fencing_wire.hpp"

#include "common/numbers.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::host {

Result<std::vector<FencedDeviceView>> parse_fencing(const std::string &xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    if (!xml::is_element(doc->root(), "fencing")) return internal_error("the backend returned no <fencing> document");
    std::vector<FencedDeviceView> out;
    for (const xmlNode *d : xml::child_elements(doc->root(), "device")) {
        auto a = [&](std::string_view name) { return xml::attribute(d, name).value_or(""); };
        const auto open = parse_digits(a("open"));
        if (!open || *open > UINT32_MAX) return internal_error("the backend returned a <device> without its open count");
        out.push_back({a("name"), a("volume"), static_cast<uint32_t>(*open), a("result") == "wiped", a("error")});
    }
    return out;
}

}  // namespace ilvm::host
