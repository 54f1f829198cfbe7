// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/summaries.hpp"

#include <cstdint>

#include "common/numbers.hpp"
#include "common/size.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::host {
namespace {

// The element reached from `node` through the first child of each name, or nullptr.
const xmlNode *at(const xmlNode *node, std::initializer_list<std::string_view> path) {
    for (std::string_view name : path) {
        if (!node) return nullptr;
        node = xml::first_child(node, name);
    }
    return node;
}

std::string text(const xmlNode *node, std::initializer_list<std::string_view> path) {
    const xmlNode *n = at(node, path);
    return n ? xml::text_content(n) : std::string();
}

std::string attr(const xmlNode *node, std::initializer_list<std::string_view> path, std::string_view name) {
    const xmlNode *n = at(node, path);
    return n ? xml::attribute(n, name).value_or("") : std::string();
}

// Numbers the module wrote: absent is 0, anything but digits is the module's bug.
Result<uint64_t> number(const std::string &s, std::string_view what) {
    if (s.empty()) return uint64_t{0};
    if (auto v = parse_digits(s)) return *v;
    return internal_error("the backend returned " + std::string(what) + " '" + xml::shown(s) + "', not a number");
}

// The first child element of each name, found in one pass over a volume's children (a
// lookup per field walked them again for each: a fifth of a vol-list of 10,000 volumes).
struct VolElements {
    const xmlNode *name = nullptr, *key = nullptr, *capacity = nullptr, *allocation = nullptr, *target = nullptr,
                  *activation = nullptr, *incomplete = nullptr, *holder = nullptr;
    explicit VolElements(const xmlNode *vol) {
        for (const xmlNode *c = vol->children; c != nullptr; c = c->next) {
            if (!xml::is_element(c)) continue;
            const std::string_view n = xml::node_name(c);
            const xmlNode **slot = n == "name"         ? &name
                                   : n == "key"        ? &key
                                   : n == "capacity"   ? &capacity
                                   : n == "allocation" ? &allocation
                                   : n == "target"     ? &target
                                   : n == "activation" ? &activation
                                   : n == "incomplete" ? &incomplete
                                   : n == "holder"     ? &holder
                                                       : nullptr;
            if (slot != nullptr && *slot == nullptr) *slot = c;
        }
    }
};

std::string text(const xmlNode *node) { return node ? xml::text_content(node) : std::string(); }
std::string attr(const xmlNode *node, std::string_view name) {
    return node ? xml::attribute(node, name).value_or("") : std::string();
}

Result<VolSummary> vol_from(const xmlNode *vol) {
    const VolElements e(vol);
    VolSummary v;
    v.name = text(e.name);
    v.key = text(e.key);
    if (e.target) {
        v.path = text(xml::first_child(e.target, "path"));
        if (std::string f = attr(xml::first_child(e.target, "format"), "type"); !f.empty()) v.format = f;
    }
    ILVM_ASSIGN_OR_RETURN(v.capacity, number(text(e.capacity), "a volume capacity"));
    ILVM_ASSIGN_OR_RETURN(v.allocation, number(text(e.allocation), "a volume allocation"));
    v.activation = attr(e.activation, "state");
    if (v.activation.empty()) v.activation = "inactive";
    v.open = attr(e.activation, "open") == "yes";
    v.skip = attr(e.activation, "skip") == "yes";
    v.autoactivation = attr(e.activation, "autoactivation") != "no";
    v.incomplete = e.incomplete != nullptr;
    const std::string hid = attr(e.holder, "host_id");
    if (!hid.empty()) {
        v.has_holder = true;
        ILVM_ASSIGN_OR_RETURN(uint64_t id, number(hid, "a holder host_id"));
        v.holder_id = static_cast<uint32_t>(id);
        v.holder_name = attr(e.holder, "name");
        v.holder_mode = attr(e.holder, "mode");
    }
    return v;
}

// A document the backend module returned, with the expected document element.
Result<XmlDoc> backend_document(const std::string &text, std::string_view root, std::size_t max_bytes = k_max_xml_bytes) {
    auto doc = parse_untrusted_xml(text, "backend XML", max_bytes);
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    if (!xml::is_element(doc->root(), root))
        return internal_error("the backend returned <" + std::string(xml::node_name(doc->root())) + "> where <" +
                              std::string(root) + "> was expected");
    return doc;
}

}  // namespace

Result<PoolSummary> summarize_pool(const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto doc, backend_document(xml, "pool"));
    const xmlNode *pool = doc.root();
    PoolSummary p;
    p.name = text(pool, {"name"});
    p.uuid = text(pool, {"uuid"});
    p.host = attr(pool, {"source", "host"}, "name");
    p.port = attr(pool, {"source", "host"}, "port");
    if (p.port.empty()) p.port = "3260";
    p.target = attr(pool, {"source", "device"}, "path");
    p.lun = attr(pool, {"source", "device"}, "lun");
    if (p.lun.empty()) p.lun = "0";
    p.initiator = attr(pool, {"source", "initiator", "iqn"}, "name");
    p.vg = text(pool, {"source", "name"});
    p.vg_uuid = attr(pool, {"source", "vg"}, "uuid");
    p.lock_type = attr(pool, {"locking"}, "type");
    if (p.lock_type.empty()) p.lock_type = "sanlock";
    p.auth_user = attr(pool, {"source", "auth"}, "username");
    const std::string cap = text(pool, {"capacity"});
    if (!cap.empty()) {
        p.has_status = true;
        ILVM_ASSIGN_OR_RETURN(p.capacity, number(cap, "a pool capacity"));
        ILVM_ASSIGN_OR_RETURN(p.allocation, number(text(pool, {"allocation"}), "a pool allocation"));
        ILVM_ASSIGN_OR_RETURN(p.available, number(text(pool, {"available"}), "a pool's available space"));
    }
    return p;
}

Result<VolSummary> summarize_vol(const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto doc, backend_document(xml, "volume"));
    return vol_from(doc.root());
}

std::size_t volumes_xml_limit(uint64_t pool_capacity) {
    constexpr uint64_t k_per_mib = 2048;
    const uint64_t mib = pool_capacity / (1024 * 1024);
    const uint64_t extra = mib > (SIZE_MAX - k_max_xml_bytes) / k_per_mib ? SIZE_MAX - k_max_xml_bytes : mib * k_per_mib;
    return k_max_xml_bytes + static_cast<std::size_t>(extra);
}

Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml, const PoolSummary &pool,
                                                  MetadataArea *area) {
    ILVM_ASSIGN_OR_RETURN(auto doc, backend_document(volumes_xml, "volumes", volumes_xml_limit(pool.capacity)));
    if (area) {
        *area = MetadataArea{};
        const std::string size = xml::attribute(doc.root(), "metadata_size").value_or("");
        if (!size.empty()) {
            area->known = true;
            ILVM_ASSIGN_OR_RETURN(area->size, number(size, "a metadata area size"));
            ILVM_ASSIGN_OR_RETURN(area->free, number(xml::attribute(doc.root(), "metadata_free").value_or(""),
                                                     "a metadata area's free bytes"));
        }
    }
    const auto elements = xml::child_elements(doc.root(), "volume");
    std::vector<VolSummary> out;
    out.reserve(elements.size());
    for (const xmlNode *vol : elements) {
        ILVM_ASSIGN_OR_RETURN(auto v, vol_from(vol));
        out.push_back(std::move(v));
    }
    return out;
}

std::string describe_metadata_area(const MetadataArea &area, size_t volumes) {
    // LVM writes a new copy beside the old one: the metadata may fill half the area at most,
    // and vg_mda_free is what is left of that half (measured: a fresh 64 MiB area says 32 MiB).
    const uint64_t usable = area.size / 2, used = usable > area.free ? usable - area.free : 0;
    constexpr uint64_t k_measured_bytes_per_volume = 355;
    const uint64_t per_volume = volumes > 0 && used / volumes > 0 ? used / volumes : k_measured_bytes_per_volume;
    return human_size(area.size) + ", " + human_size(area.free) + " free (room for about " +
           std::to_string(area.free / per_volume) + " more volumes)";
}

std::string describe_activation(const VolSummary &v) {
    if (v.activation == "exclusive") return std::string("active here, exclusive") + (v.open ? ", open" : "");
    if (v.activation == "shared") return std::string("active here, shared") + (v.open ? ", open" : "");
    if (v.has_holder)
        return "held by host " + std::to_string(v.holder_id) + (v.holder_name.empty() ? "" : " (" + v.holder_name + ")") +
               (v.holder_mode.empty() ? "" : ", " + v.holder_mode);
    return "inactive";
}

const char *placement_state(const VolSummary &v) {
    if (v.activation != "inactive") return "active-here";
    return v.has_holder ? "held-elsewhere" : "free";
}

std::string placement_mode(const VolSummary &v) {
    if (v.activation == "exclusive" || v.activation == "shared") return v.activation;
    return v.has_holder ? v.holder_mode : "";
}

}  // namespace ilvm::host
