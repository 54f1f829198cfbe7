// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/rejoin_xml.hpp"

#include <set>

#include "common/names.hpp"
#include "common/strings.hpp"
#include "common/xml_doc.hpp"

namespace ilvm {

Result<RejoinRequest> parse_rejoin_request_xml(std::string_view text) {
    RejoinRequest req;
    if (trim(text).empty()) return req;
    ILVM_ASSIGN_OR_RETURN(auto doc, parse_untrusted_xml(text, "rejoin XML"));
    const xmlNode *root = doc.root();
    if (!xml::is_element(root, "rejoin")) return invalid_input("rejoin XML must have <rejoin> as its root element");
    std::set<std::string> named;
    for (const xmlNode *child : xml::child_elements(root)) {
        if (!xml::is_element(child, "volume"))
            return invalid_input("rejoin XML: unknown element <" + xml::one_line(xml::node_name(child), 40) + ">");
        auto name = xml::attribute(child, "name");
        if (!name) return invalid_input("rejoin XML: <volume> has no name attribute");
        ILVM_TRY(validate_lv_name(*name));
        if (!named.insert(*name).second) return invalid_input("rejoin XML names volume '" + *name + "' twice");
        const std::string take_back = xml::attribute(child, "take_back").value_or("no");
        if (take_back != "yes" && take_back != "no")
            return invalid_input("rejoin XML: take_back of volume '" + *name + "' is " + xml::shown(take_back) +
                                 ", not 'yes' or 'no'");
        req.volumes.push_back({*name, take_back == "yes"});
    }
    return req;
}

const char *rejoin_verdict_name(RejoinVerdict verdict) {
    switch (verdict) {
    case RejoinVerdict::taken_back: return "taken-back";
    case RejoinVerdict::released: return "released";
    case RejoinVerdict::in_use: return "in-use";
    case RejoinVerdict::failed: return "failed";
    }
    return "failed";
}

std::string format_rejoin_xml(const PoolDef &pool, const RejoinResult &result) {
    using xml::escape;
    std::string x = "<rejoin pool='" + escape(pool.name) + "' vg='" + escape(pool.vg_name) + "' lockspace='" +
                    (result.lockspace_started ? "started" : "joined") + "'>\n";
    for (const auto &v : result.volumes) {
        x += "  <volume name='" + escape(v.name) + "' result='" + rejoin_verdict_name(v.verdict) + "'";
        if (v.holder) {
            x += " holder_id='" + std::to_string(v.holder->host_id) + "'";
            if (!v.holder->host_name.empty()) x += " holder_name='" + escape(xml::one_line(v.holder->host_name)) + "'";
        }
        if (!v.detail.empty()) x += " detail='" + escape(xml::one_line(v.detail)) + "'";
        x += "/>\n";
    }
    return x + "</rejoin>\n";
}

}  // namespace ilvm
