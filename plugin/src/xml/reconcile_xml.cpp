// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/reconcile_xml.hpp"

#include "common/names.hpp"
#include "common/strings.hpp"
#include "common/xml_doc.hpp"

namespace ilvm {

Result<ReconcileInput> parse_reconcile_input_xml(std::string_view text) {
    ReconcileInput in;
    if (trim(text).empty()) return in;
    ILVM_ASSIGN_OR_RETURN(auto doc, parse_untrusted_xml(text, "reconcile XML"));
    const xmlNode *root = doc.root();
    if (!xml::is_element(root, "reconcile")) return invalid_input("reconcile XML must have <reconcile> as its root element");
    for (const xmlNode *child : xml::child_elements(root)) {
        const auto name = xml::node_name(child);
        auto vol = xml::attribute(child, "volume");
        if (!vol) return invalid_input("reconcile XML: <" + std::string(name) + "> has no volume attribute");
        ILVM_TRY(validate_lv_name(*vol));
        if (name == "in-use") in.in_use.insert(*vol);
        else if (name == "settled") in.settled.insert(*vol);
        else if (name == "busy") in.busy.insert(*vol);
        else if (name == "held") in.held.insert(*vol);
        else return invalid_input("reconcile XML: unknown element <" + xml::one_line(name, 40) + ">");
    }
    return in;
}

std::string format_reconcile_result_xml(const std::string &pool, const std::vector<ReconcileStep> &steps) {
    std::string x = "<reconcile pool='" + xml::escape(pool) + "'>\n";
    for (const auto &s : steps) {
        x += "  <step volume='" + xml::escape(s.volume) + "' action='" + reconcile_action_name(s.action) + "' result='" +
             step_result_name(s.result) + "' reason='" + xml::escape(s.reason) + "'";
        if (!s.error.empty()) x += " error='" + xml::escape(xml::one_line(s.error)) + "'";
        x += "/>\n";
    }
    return x + "</reconcile>\n";
}

std::string format_diagnosis_xml(const std::string &pool, const std::vector<Finding> &findings) {
    std::string x = "<diagnosis pool='" + xml::escape(pool) + "'>\n";
    for (const auto &f : findings) {
        x += "  <finding check='" + xml::escape(f.check) + "' severity='" + xml::escape(f.severity) + "'";
        if (!f.volume.empty()) x += " volume='" + xml::escape(f.volume) + "'";
        x += " what='" + xml::escape(xml::one_line(f.what)) + "'";
        if (!f.fix.empty()) x += " fix='" + xml::escape(f.fix) + "'";
        if (!f.applied.empty()) x += " applied='" + xml::escape(f.applied) + "'";
        if (!f.error.empty()) x += " error='" + xml::escape(xml::one_line(f.error)) + "'";
        x += "/>\n";
    }
    return x + "</diagnosis>\n";
}

}  // namespace ilvm
