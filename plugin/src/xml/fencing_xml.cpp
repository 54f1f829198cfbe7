// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/fencing_xml.hpp"

#include "common/xml_doc.hpp"

namespace ilvm {

std::string format_fencing_xml(const PoolDef &pool, const FenceResult &result) {
    using xml::escape;
    std::string x = "<fencing pool='" + escape(pool.name) + "' vg='" + escape(pool.vg_name) + "'>\n";
    for (const auto &d : result.devices) {
        x += "  <device name='" + escape(d.name) + "' volume='" + escape(d.volume) + "' open='" +
             std::to_string(d.open_count) + "' result='" + (d.wiped ? "wiped" : "failed") + "'";
        if (!d.error.empty()) x += " error='" + escape(xml::one_line(d.error)) + "'";
        x += "/>\n";
    }
    return x + "</fencing>\n";
}

}  // namespace ilvm
