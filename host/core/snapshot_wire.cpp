// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/snapshot_wire.hpp"

#include "common/numbers.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::host {
namespace {

Result<uint64_t> size_attr(const xmlNode *n, const char *name) {
    const std::string v = xml::attribute(n, name).value_or("");
    if (auto d = parse_digits(v)) return *d;
    return internal_error(std::string("the backend returned a bad ") + name + " '" + v + "' in <snapshots>");
}

std::optional<std::string> optional_attr(const xmlNode *n, const char *name) {
    auto v = xml::attribute(n, name);
    if (v && v->empty()) return std::nullopt;
    return v;
}

}  // namespace

Result<SnapshotChainView> parse_snapshots(const std::string &xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    const xmlNode *root = doc->root();
    if (!xml::is_element(root, "snapshots")) return internal_error("the backend returned no <snapshots> document");
    SnapshotChainView view;
    view.pool = xml::attribute(root, "pool").value_or("");
    view.volume = xml::attribute(root, "volume").value_or("");
    ILVM_ASSIGN_OR_RETURN(view.capacity, size_attr(root, "capacity"));
    ILVM_ASSIGN_OR_RETURN(view.allocation, size_attr(root, "allocation"));
    view.backing = optional_attr(root, "backing");
    for (const xmlNode *s : xml::child_elements(root, "snapshot")) {
        SnapshotView v;
        v.name = xml::attribute(s, "name").value_or("");
        v.lv = xml::attribute(s, "lv").value_or("");
        if (v.name.empty() || v.lv.empty()) return internal_error("the backend returned a <snapshot> without its name or LV");
        ILVM_ASSIGN_OR_RETURN(v.capacity, size_attr(s, "capacity"));
        ILVM_ASSIGN_OR_RETURN(v.allocation, size_attr(s, "allocation"));
        v.current = xml::attribute(s, "current").value_or("") == "yes";
        if (auto c = optional_attr(s, "created")) {
            auto n = parse_digits(*c);
            if (!n) return internal_error("the backend returned a bad created '" + *c + "'");
            v.created = static_cast<int64_t>(*n);
        }
        v.backing = optional_attr(s, "backing");
        v.description = xml::attribute(s, "description").value_or("");
        view.snapshots.push_back(std::move(v));
    }
    return view;
}

Result<LiveSnapshotTop> parse_live_snapshot(const std::string &xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    const xmlNode *root = doc->root();
    if (!xml::is_element(root, "live-snapshot")) return internal_error("the backend returned no <live-snapshot> document");
    LiveSnapshotTop top{xml::attribute(root, "volume").value_or(""), xml::attribute(root, "top").value_or(""),
                        xml::attribute(root, "path").value_or("")};
    if (top.volume.empty() || top.top.empty() || top.path.empty())
        return internal_error("the backend returned a <live-snapshot> without its volume, top or path");
    return top;
}

}  // namespace ilvm::host
