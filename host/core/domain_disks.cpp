// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/domain_disks.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "common/dm_name.hpp"
#include "common/names.hpp"
#include "common/strings.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::host {
namespace {

const PoolBinding *pool_by_vg(const std::vector<PoolBinding> &pools, const std::string &vg) {
    for (const auto &p : pools)
        if (p.vg == vg) return &p;
    return nullptr;
}

const PoolBinding *pool_by_name(const std::vector<PoolBinding> &pools, const std::string &name) {
    for (const auto &p : pools)
        if (p.name == name) return &p;
    return nullptr;
}

struct LvName {
    std::string vg, lv;
};

// The LVM LV a device-mapper device is ("LVM-" uuid), or the LVs it is stacked on (a
// partition mapping, a crypt or multipath device over an LV…), through its slaves.
void lvs_of_device(const BlockDevices &devices, DevNum dev, std::vector<LvName> &out, int depth = 0) {
    if (depth > 8) return;
    if (devices.dm_uuid(dev).rfind("LVM-", 0) == 0) {
        LvName n;
        if (split_dm_name(devices.dm_name(dev), n.vg, n.lv)) out.push_back(n);
        return;   // an LV's own slaves are PVs, not volumes
    }
    for (DevNum s : devices.slaves(dev)) lvs_of_device(devices, s, out, depth + 1);
}

// The LV a path names by its text, for a path that does not exist (yet): an LV that is not
// active here has no device node. /dev/<vg>/<lv>, /dev/mapper/<dm name>,
// /dev/disk/by-id/dm-name-<dm name>, after removing "//", "/./" and "..".
std::optional<LvName> lv_of_path_text(const std::string &path) {
    const std::string norm = std::filesystem::path(path).lexically_normal().string();
    LvName n;
    for (std::string_view prefix : {"/dev/mapper/", "/dev/disk/by-id/dm-name-"})
        if (norm.rfind(prefix, 0) == 0)
            return split_dm_name(std::string_view(norm).substr(prefix.size()), n.vg, n.lv) ? std::optional(n) : std::nullopt;
    if (norm.rfind("/dev/", 0) != 0) return std::nullopt;
    const std::string rest = norm.substr(5);
    const auto slash = rest.find('/');
    if (slash == std::string::npos || rest.find('/', slash + 1) != std::string::npos) return std::nullopt;
    return LvName{rest.substr(0, slash), rest.substr(slash + 1)};
}

// The volumes of our pools that a disk's path reaches: by device when the path exists (a
// block device, or a file on a file system that lives on one of our LVs), by its text when
// it does not. A path that cannot be looked at is an error.
Result<std::vector<LvName>> lvs_of_path(const BlockDevices &devices, const std::string &path) {
    ILVM_ASSIGN_OR_RETURN(PathLookup found, devices.lookup(path));
    std::vector<LvName> out;
    switch (found.kind) {
    case PathLookup::Kind::missing:
        if (auto n = lv_of_path_text(path)) out.push_back(*n);
        break;
    case PathLookup::Kind::block_device:
    case PathLookup::Kind::on_device: lvs_of_device(devices, found.dev, out); break;
    case PathLookup::Kind::other: break;
    }
    return out;
}

// libvirt's <source index='N'>: a small positive number; anything else is taken as absent.
int parse_index(const std::string &text) {
    if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stoi(text);
}

}  // namespace

Result<std::vector<DiskRef>> domain_disks(std::string_view xml, const std::vector<PoolBinding> &pools,
                                          const BlockDevices &devices) {
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(xml, "domain XML"));
    return domain_disks(doc, pools, devices);
}

Result<std::vector<DiskRef>> domain_disks(const XmlDoc &doc, const std::vector<PoolBinding> &pools,
                                          const BlockDevices &devices) {
    const xmlNode *root = doc.root();
    // The hook gets <domain>; libvirt's status files wrap it in <domstatus>.
    const xmlNode *domain = xml::is_element(root, "domstatus") ? xml::first_child(root, "domain") : root;
    if (!xml::is_element(domain, "domain"))
        return invalid_input("domain XML has no <domain> element");
    std::vector<DiskRef> out;
    const xmlNode *devices_node = xml::first_child(domain, "devices");
    if (!devices_node) return out;
    for (const xmlNode *disk : xml::child_elements(devices_node, "disk")) {
        const xmlNode *source = xml::first_child(disk, "source");
        if (!source) continue;  // empty CD-ROM drive
        DiskRef ref;
        if (const xmlNode *target = xml::first_child(disk, "target")) ref.target = xml::attribute(target, "dev").value_or("");
        ref.shared = xml::first_child(disk, "readonly") || xml::first_child(disk, "shareable");
        if (const xmlNode *driver = xml::first_child(disk, "driver")) {
            ref.driver_type = xml::attribute(driver, "type").value_or("");
            ref.error_policy = xml::attribute(driver, "error_policy").value_or("");
            ref.discard = xml::attribute(driver, "discard").value_or("");
            ref.discard_no_unref = xml::attribute(driver, "discard_no_unref").value_or("");
        }
        if (auto index = xml::attribute(source, "index")) ref.source_index = parse_index(*index);
        const std::string type = xml::attribute(disk, "type").value_or("file");
        if (type == "block" || type == "file") {
            // A file disk may name a block device, or a file on one of our volumes.
            ref.source = xml::attribute(source, type == "block" ? "dev" : "file").value_or("");
            if (ref.source.empty()) continue;
            auto where = [&](const std::string &why) {
                return invalid_input("disk " + ref.target + " (" + xml::shown(ref.source) + "): " + why);
            };
            auto lvs = lvs_of_path(devices, ref.source);
            if (!lvs.ok()) return where(lvs.error().message);
            for (const auto &n : *lvs) {
                const PoolBinding *p = pool_by_vg(pools, n.vg);
                if (!p) continue;
                if (auto valid = validate_lv_name(n.lv); !valid.ok()) return where(valid.error().message);
                DiskRef r = ref;
                r.pool = p->name;
                r.volume = n.lv;
                out.push_back(r);
            }
        } else if (type == "volume") {
            const std::string pool = xml::attribute(source, "pool").value_or("");
            const std::string vol = xml::attribute(source, "volume").value_or("");
            const PoolBinding *p = pool_by_name(pools, pool);
            if (!p) continue;
            ref.source = pool + "/" + vol;
            auto valid = validate_lv_name(vol);
            if (!valid.ok())
                return invalid_input("disk " + ref.target + " (" + xml::shown(ref.source) + "): " + valid.error().message);
            ref.pool = p->name;
            ref.volume = vol;
            out.push_back(ref);
        }
    }
    return out;
}

std::vector<VolumeRef> exclusive_volumes(const std::vector<DiskRef> &disks) {
    std::vector<VolumeRef> out;
    for (const auto &d : disks) {
        if (d.shared) continue;
        VolumeRef v{d.pool, d.volume};
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
}

Result<std::string> domain_name(std::string_view xml) {
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(xml, "domain XML"));
    const xmlNode *root = doc.root();
    const xmlNode *domain = xml::is_element(root, "domstatus") ? xml::first_child(root, "domain") : root;
    const xmlNode *name = domain ? xml::first_child(domain, "name") : nullptr;
    if (!name) return invalid_input("domain XML has no <name>");
    return std::string(trim(xml::text_content(name)));
}

}  // namespace ilvm::host
