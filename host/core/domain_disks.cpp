// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/domain_disks.hpp"

#include <algorithm>

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

// Maps a block device path to (pool, lv) when it lies in one of our VGs.
Result<bool> match_block_path(const std::string &dev, const std::vector<PoolBinding> &pools, DiskRef &ref) {
    std::string vg, lv;
    if (dev.rfind("/dev/mapper/", 0) == 0) {
        if (!split_dm_name(std::string_view(dev).substr(12), vg, lv)) return false;
    } else if (dev.rfind("/dev/", 0) == 0) {
        auto rest = dev.substr(5);
        auto slash = rest.find('/');
        if (slash == std::string::npos || rest.find('/', slash + 1) != std::string::npos) return false;
        vg = rest.substr(0, slash);
        lv = rest.substr(slash + 1);
    } else {
        return false;
    }
    const PoolBinding *p = pool_by_vg(pools, vg);
    if (!p) return false;
    ILVM_TRY(validate_lv_name(lv));
    ref.pool = p->name;
    ref.volume = lv;
    return true;
}

}  // namespace

bool split_dm_name(std::string_view dm_name, std::string &vg, std::string &lv) {
    // device-mapper names double every '-' inside VG and LV names; the single '-' separates.
    std::string a, b;
    bool second = false;
    for (size_t i = 0; i < dm_name.size(); ++i) {
        char c = dm_name[i];
        if (c == '-') {
            if (i + 1 < dm_name.size() && dm_name[i + 1] == '-') {
                (second ? b : a) += '-';
                ++i;
                continue;
            }
            if (second) return false;
            second = true;
            continue;
        }
        (second ? b : a) += c;
    }
    if (!second || a.empty() || b.empty()) return false;
    vg = a;
    lv = b;
    return true;
}

Result<std::vector<DiskRef>> domain_disks(std::string_view xml, const std::vector<PoolBinding> &pools) {
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(xml, "domain XML"));
    return domain_disks(doc, pools);
}

Result<std::vector<DiskRef>> domain_disks(const XmlDoc &doc, const std::vector<PoolBinding> &pools) {
    const xmlNode *root = doc.root();
    // The hook gets <domain>; libvirt's status files wrap it in <domstatus>.
    const xmlNode *domain = xml::is_element(root, "domstatus") ? xml::first_child(root, "domain") : root;
    if (!xml::is_element(domain, "domain"))
        return invalid_input("domain XML has no <domain> element");
    std::vector<DiskRef> out;
    const xmlNode *devices = xml::first_child(domain, "devices");
    if (!devices) return out;
    for (const xmlNode *disk : xml::child_elements(devices, "disk")) {
        const xmlNode *source = xml::first_child(disk, "source");
        if (!source) continue;  // empty CD-ROM drive
        DiskRef ref;
        if (const xmlNode *target = xml::first_child(disk, "target")) ref.target = xml::attribute(target, "dev").value_or("");
        ref.shared = xml::first_child(disk, "readonly") || xml::first_child(disk, "shareable");
        const std::string type = xml::attribute(disk, "type").value_or("file");
        if (type == "block") {
            ref.source = xml::attribute(source, "dev").value_or("");
            auto m = match_block_path(ref.source, pools, ref);
            if (!m.ok()) {
                Error e = m.take_error();
                e.message = "disk " + ref.target + " (" + xml::shown(ref.source) + "): " + e.message;
                return e;
            }
            if (*m) out.push_back(ref);
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
