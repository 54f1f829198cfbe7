// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/summaries.hpp"

#include <algorithm>
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
    return internal_error("the backend returned " + std::string(what) + " " + xml::shown(s) + ", not a number");
}

// One <volume> as the module wrote it: the text of its first <name>, <key>, <capacity>,
// <allocation>, of <path> in its first <target>, and the attributes of the first <format>
// there, of its first <activation> and <holder>.
struct RawVolume {
    std::string name, key, capacity, allocation, path, format;
    std::string state, open, skip, autoactivation;
    std::string holder_id, holder_name, holder_mode;
    std::string backing, mode;
    bool incomplete = false;
};

Result<VolSummary> vol_from(const RawVolume &r) {
    VolSummary v;
    v.name = r.name;
    v.key = r.key;
    v.path = r.path;
    if (!r.format.empty()) v.format = r.format;
    ILVM_ASSIGN_OR_RETURN(v.capacity, number(r.capacity, "a volume capacity"));
    ILVM_ASSIGN_OR_RETURN(v.allocation, number(r.allocation, "a volume allocation"));
    v.activation = r.state.empty() ? "inactive" : r.state;
    v.open = r.open == "yes";
    v.skip = r.skip == "yes";
    v.autoactivation = r.autoactivation != "no";
    v.incomplete = r.incomplete;
    v.backing = r.backing;
    v.read_only = r.mode == "0444";
    if (!r.holder_id.empty()) {
        v.has_holder = true;
        ILVM_ASSIGN_OR_RETURN(uint64_t id, number(r.holder_id, "a holder host_id"));
        v.holder_id = static_cast<uint32_t>(id);
        v.holder_name = r.holder_name;
        v.holder_mode = r.holder_mode;
    }
    return v;
}

// Reads the module's volume documents as they stream past (no tree: for a pool's list of
// 10,000 volumes, building and freeing one cost more than reading the text). The document
// element is `root`; the volumes are that element itself (`in_list` false: <volume>) or
// its <volume> children (<volumes>). Elements with a namespace never match, as in the DOM
// helpers.
class VolumeReader final : public XmlEvents {
public:
    VolumeReader(std::string_view root, bool in_list) : root_(root), in_list_(in_list) {}

    void start(std::string_view name, bool namespaced, const std::vector<Attribute> &attrs) override {
        ++depth_;
        const std::string_view n = namespaced ? std::string_view() : name;
        if (depth_ == 1) {
            root_seen_ = std::string(name);
            root_ok_ = !namespaced && n == root_;
            if (root_ok_ && in_list_) root_attrs_ = attrs;
        }
        if (!root_ok_) return;
        if (depth_ == volume_depth()) {
            if (in_list_ && n == "path") {
                paths_.push_back(PathSummary{value(attrs, "portal"), value(attrs, "session"), value(attrs, "disk"),
                                             value(attrs, "state"), value(attrs, "checker"),
                                             value(attrs, "usable") == "yes"});
                return;
            }
            if (in_list_ && n != "volume") return;
            volumes_.emplace_back();
            in_volume_ = true;
            seen_ = {};
            return;
        }
        if (!in_volume_) return;
        RawVolume &v = volumes_.back();
        if (depth_ == volume_depth() + 1) {
            if (n == "name") capture_first(seen_.name, v.name);
            else if (n == "key") capture_first(seen_.key, v.key);
            else if (n == "capacity") capture_first(seen_.capacity, v.capacity);
            else if (n == "allocation") capture_first(seen_.allocation, v.allocation);
            else if (n == "incomplete") v.incomplete = true;
            else if (n == "target" && !seen_.target) seen_.target = in_target_ = true;
            else if (n == "backingStore" && !seen_.backing) seen_.backing = in_backing_ = true;
            else if (n == "activation" && !seen_.activation) {
                seen_.activation = true;
                v.state = value(attrs, "state");
                v.open = value(attrs, "open");
                v.skip = value(attrs, "skip");
                v.autoactivation = value(attrs, "autoactivation");
            } else if (n == "holder" && !seen_.holder) {
                seen_.holder = true;
                v.holder_id = value(attrs, "host_id");
                v.holder_name = value(attrs, "name");
                v.holder_mode = value(attrs, "mode");
            }
        } else if (depth_ == volume_depth() + 2 && in_backing_) {
            if (n == "path") capture_first(seen_.backing_path, v.backing);
        } else if (depth_ == volume_depth() + 3 && in_permissions_) {
            if (n == "mode") capture_first(seen_.mode, v.mode);
        } else if (depth_ == volume_depth() + 2 && in_target_) {
            if (n == "permissions") in_permissions_ = true;
            if (n == "path") capture_first(seen_.path, v.path);
            else if (n == "format" && !seen_.format) {
                seen_.format = true;
                v.format = value(attrs, "type");
            }
        }
    }

    void end() override {
        if (capture_ != nullptr && depth_ == capture_depth_) capture_ = nullptr;
        if (depth_ == volume_depth()) in_volume_ = false;
        if (depth_ == volume_depth() + 1) in_target_ = in_backing_ = false;
        if (depth_ == volume_depth() + 2) in_permissions_ = false;
        --depth_;
    }

    // Every piece of text beneath the element being read, as xmlNodeGetContent joined them.
    void text(std::string_view piece) override {
        if (capture_ != nullptr) capture_->append(piece);
    }

    Status check_root() const {
        if (root_ok_) return {};
        return internal_error("the backend returned <" + root_seen_ + "> where <" + std::string(root_) + "> was expected");
    }
    std::string root_attribute(std::string_view name) const { return value(root_attrs_, name); }
    const std::vector<RawVolume> &volumes() const { return volumes_; }
    std::vector<PathSummary> &paths() { return paths_; }

private:
    struct Seen {
        bool name = false, key = false, capacity = false, allocation = false, target = false, path = false, format = false,
             activation = false, holder = false, backing = false, backing_path = false, mode = false;
    };

    int volume_depth() const { return in_list_ ? 2 : 1; }
    static std::string value(const std::vector<Attribute> &attrs, std::string_view name) {
        for (const auto &a : attrs)
            if (!a.namespaced && a.name == name) return a.value;
        return {};
    }
    void capture_first(bool &seen, std::string &into) {
        if (seen) return;
        seen = true;
        capture_ = &into;
        capture_depth_ = depth_;
    }

    std::string_view root_;
    bool in_list_;
    int depth_ = 0;
    bool root_ok_ = false, in_volume_ = false, in_target_ = false, in_backing_ = false, in_permissions_ = false;
    std::string root_seen_;
    std::vector<Attribute> root_attrs_;
    std::vector<RawVolume> volumes_;
    std::vector<PathSummary> paths_;
    Seen seen_;
    std::string *capture_ = nullptr;
    int capture_depth_ = 0;
};

Status read_volumes(const std::string &text, VolumeReader &reader, std::size_t max_bytes = k_max_xml_bytes) {
    auto read = read_untrusted_xml(text, "backend XML", reader, max_bytes);
    if (!read.ok()) return internal_error("the backend returned XML that does not parse: " + read.error().message);
    return reader.check_root();
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
    for (const xmlNode *host : xml::child_elements(at(pool, {"source"}), "host")) {
        const std::string port = xml::attribute(host, "port").value_or("3260");
        p.portals.push_back(xml::attribute(host, "name").value_or("") + ":" + port);
        if (p.portals.size() > 1) continue;
        p.host = xml::attribute(host, "name").value_or("");
        p.port = port;
    }
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
    p.on_lockfailure = text(pool, {"on_lockfailure"});
    if (p.on_lockfailure.empty()) p.on_lockfailure = "pause";
    const std::string cap = text(pool, {"capacity"});
    if (!cap.empty()) {
        p.has_status = true;
        ILVM_ASSIGN_OR_RETURN(p.capacity, number(cap, "a pool capacity"));
        ILVM_ASSIGN_OR_RETURN(p.allocation, number(text(pool, {"allocation"}), "a pool allocation"));
        ILVM_ASSIGN_OR_RETURN(p.available, number(text(pool, {"available"}), "a pool's available space"));
    }
    return p;
}

bool shares_portal(const PoolSummary &a, const PoolSummary &b) {
    if (a.target != b.target) return false;
    for (const auto &portal : a.portals)
        if (std::find(b.portals.begin(), b.portals.end(), portal) != b.portals.end()) return true;
    return false;
}

Result<VolSummary> summarize_vol(const std::string &xml) {
    VolumeReader reader("volume", false);
    ILVM_TRY(read_volumes(xml, reader));
    return vol_from(reader.volumes().front());
}

std::size_t volumes_xml_limit(uint64_t pool_capacity) {
    constexpr uint64_t k_per_mib = 2048;
    const uint64_t mib = pool_capacity / (1024 * 1024);
    const uint64_t extra = mib > (SIZE_MAX - k_max_xml_bytes) / k_per_mib ? SIZE_MAX - k_max_xml_bytes : mib * k_per_mib;
    return k_max_xml_bytes + static_cast<std::size_t>(extra);
}

Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml, const PoolSummary &pool,
                                                  MetadataArea *area, std::vector<PathSummary> *paths) {
    VolumeReader reader("volumes", true);
    ILVM_TRY(read_volumes(volumes_xml, reader, volumes_xml_limit(pool.capacity)));
    if (paths) *paths = std::move(reader.paths());
    if (area) {
        *area = MetadataArea{};
        const std::string size = reader.root_attribute("metadata_size");
        if (!size.empty()) {
            area->known = true;
            ILVM_ASSIGN_OR_RETURN(area->size, number(size, "a metadata area size"));
            ILVM_ASSIGN_OR_RETURN(area->free, number(reader.root_attribute("metadata_free"), "a metadata area's free bytes"));
        }
    }
    std::vector<VolSummary> out;
    out.reserve(reader.volumes().size());
    for (const RawVolume &raw : reader.volumes()) {
        ILVM_ASSIGN_OR_RETURN(auto v, vol_from(raw));
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

std::string describe_paths(const std::vector<PathSummary> &paths) {
    size_t usable = 0;
    std::string each;
    for (const auto &p : paths) {
        usable += p.usable;
        each += (each.empty() ? "" : ", ") + p.portal + " ";
        if (p.disk.empty()) each += p.session.empty() ? "no session" : "session " + p.session + ", no disk";
        else each += p.disk + " " + (p.dm_state.empty() ? "not in the map" : p.dm_state + "/" + p.checker);
    }
    return std::to_string(usable) + " of " + std::to_string(paths.size()) + " usable: " + each;
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
