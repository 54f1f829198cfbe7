// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/reconcile/reconcile_wire.hpp"

#include "common/xml_doc.hpp"

namespace ilvm::host {

std::string format_reconcile_state(const std::set<std::string> &in_use, const std::set<std::string> &settled,
                                   const std::set<std::string> &busy, const std::set<std::string> &held) {
    std::string out = "<reconcile>\n";
    for (const auto &v : in_use) out += "  <in-use volume='" + xml::escape(v) + "'/>\n";
    for (const auto &v : settled) out += "  <settled volume='" + xml::escape(v) + "'/>\n";
    for (const auto &v : busy) out += "  <busy volume='" + xml::escape(v) + "'/>\n";
    for (const auto &v : held) out += "  <held volume='" + xml::escape(v) + "'/>\n";
    return out + "</reconcile>\n";
}

namespace {

// The backend's answer, refused unless it parses and its root element is `root`.
Result<XmlDoc> backend_doc(const std::string &xml, const char *root) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    if (!xml::is_element(doc->root(), root)) return internal_error(std::string("the backend returned no <") + root + "> document");
    return doc;
}

}  // namespace

Result<std::vector<ReconcileStepView>> parse_reconcile_steps(const std::string &pool, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto doc, backend_doc(xml, "reconcile"));
    std::vector<ReconcileStepView> out;
    for (const xmlNode *s : xml::child_elements(doc.root(), "step")) {
        auto a = [&](std::string_view name) { return xml::attribute(s, name).value_or(""); };
        out.push_back({pool, a("volume"), a("action"), a("result"), a("reason"), a("error")});
    }
    return out;
}

Result<std::vector<FindingView>> parse_diagnosis(const std::string &pool, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto doc, backend_doc(xml, "diagnosis"));
    std::vector<FindingView> out;
    for (const xmlNode *f : xml::child_elements(doc.root(), "finding")) {
        auto a = [&](std::string_view name) { return xml::attribute(f, name).value_or(""); };
        out.push_back({pool, a("check"), a("severity"), a("volume"), a("what"), a("fix"), a("applied"), a("error")});
    }
    return out;
}

}  // namespace ilvm::host
