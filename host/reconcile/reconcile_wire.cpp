// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/reconcile/reconcile_wire.hpp"

#include "common/xml_doc.hpp"

namespace ilvm::host {

std::string format_reconcile_state(const std::set<std::string> &in_use, const std::set<std::string> &settled,
                                   const std::set<std::string> &busy) {
    std::string out = "<reconcile>\n";
    for (const auto &v : in_use) out += "  <in-use volume='" + xml::escape(v) + "'/>\n";
    for (const auto &v : settled) out += "  <settled volume='" + xml::escape(v) + "'/>\n";
    for (const auto &v : busy) out += "  <busy volume='" + xml::escape(v) + "'/>\n";
    return out + "</reconcile>\n";
}

Result<std::vector<ReconcileStepView>> parse_reconcile_steps(const std::string &pool, const std::string &xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    if (!xml::is_element(doc->root(), "reconcile")) return internal_error("the backend returned no <reconcile> document");
    std::vector<ReconcileStepView> out;
    for (const xmlNode *s : xml::child_elements(doc->root(), "step")) {
        auto a = [&](std::string_view name) { return xml::attribute(s, name).value_or(""); };
        out.push_back({pool, a("volume"), a("action"), a("result"), a("reason"), a("error")});
    }
    return out;
}

}  // namespace ilvm::host
