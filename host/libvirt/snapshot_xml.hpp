// SPDX-License-Identifier: LGPL-2.1-or-later
// The <domainsnapshot> document of a running domain's snapshot of one disk (issue 18), for
// Domains::snapshot_disks (virDomainSnapshotCreateXML, disk-only, reuse-external):
//
//   <domainsnapshot>
//     <description>iscsi-lvm snapshot s1 of volume san/web1</description>
//     <disks>
//       <disk name='vda' snapshot='external' type='block'>
//         <driver type='qcow2'/><source dev='/dev/vg_san/web1.s1'/>
//       </disk>
//       <disk name='vdb' snapshot='no'/>   every other disk of the domain
//     </disks>
//   </domainsnapshot>
//
// Every other disk is named with snapshot='no': for a disk-only snapshot libvirt's default
// is an external snapshot of every disk, into a new file next to each disk's image.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm::host {

// From the domain's live XML: the document that switches disk `target` (its <target dev>)
// to the qcow2 image on block device `new_source`. invalid_input when the XML is malformed
// or has no disk `target`.
Result<std::string> disk_only_snapshot_xml(std::string_view live_xml, const std::string &target,
                                           const std::string &new_source, const std::string &description);

}  // namespace ilvm::host
