// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/snapshot_xml.hpp"

#include <vector>

#include "common/xml_doc.hpp"

namespace ilvm::host {

Result<std::string> disk_only_snapshot_xml(std::string_view live_xml, const std::string &target,
                                           const std::string &new_source, const std::string &description) {
    ILVM_ASSIGN_OR_RETURN(const XmlDoc doc, parse_untrusted_xml(live_xml, "domain XML"));
    const xmlNode *devices = xml::first_child(doc.root(), "devices");
    std::vector<std::string> others;
    bool found = false;
    for (const xmlNode *disk : devices ? xml::child_elements(devices, "disk") : std::vector<const xmlNode *>{}) {
        const auto dev = xml::attribute(xml::first_child(disk, "target"), "dev");
        if (!dev) continue;   // libvirt gives every disk a target; nothing to name otherwise
        if (*dev == target) found = true;
        else others.push_back(*dev);
    }
    if (!found)
        return invalid_input("the domain has no disk " + xml::shown(target),
                             "virsh domblklist DOMAIN lists its disks");
    std::string x = "<domainsnapshot>\n  <description>" + xml::escape(description) + "</description>\n  <disks>\n";
    x += "    <disk name='" + xml::escape(target) + "' snapshot='external' type='block'>\n"
         "      <driver type='qcow2'/>\n      <source dev='" + xml::escape(new_source) + "'/>\n    </disk>\n";
    for (const auto &dev : others) x += "    <disk name='" + xml::escape(dev) + "' snapshot='no'/>\n";
    return x + "  </disks>\n</domainsnapshot>\n";
}

}  // namespace ilvm::host
