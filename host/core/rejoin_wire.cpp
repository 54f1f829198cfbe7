// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/rejoin_wire.hpp"

#include "common/numbers.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::host {

std::string format_rejoin_request(const std::vector<RejoinAsk> &asks) {
    std::string x = "<rejoin>\n";
    for (const auto &a : asks)
        x += "  <volume name='" + xml::escape(a.volume) + "' take_back='" + (a.take_back ? "yes" : "no") + "'/>\n";
    return x + "</rejoin>\n";
}

Result<RejoinView> parse_rejoin(const std::string &xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    if (!xml::is_element(doc->root(), "rejoin")) return internal_error("the backend returned no <rejoin> document");
    RejoinView view;
    view.lockspace_started = xml::attribute(doc->root(), "lockspace").value_or("") == "started";
    for (const xmlNode *v : xml::child_elements(doc->root(), "volume")) {
        auto a = [&](std::string_view name) { return xml::attribute(v, name).value_or(""); };
        RejoinedVolumeView r{a("name"), a("result"), 0, a("holder_name"), a("detail")};
        if (r.volume.empty() || r.result.empty()) return internal_error("the backend returned a <volume> without its name or result");
        if (const std::string id = a("holder_id"); !id.empty()) {
            const auto n = parse_digits(id);
            if (!n || *n == 0 || *n > UINT32_MAX) return internal_error("the backend returned a bad holder_id '" + id + "'");
            r.holder_id = static_cast<uint32_t>(*n);
        }
        view.volumes.push_back(std::move(r));
    }
    return view;
}

}  // namespace ilvm::host
