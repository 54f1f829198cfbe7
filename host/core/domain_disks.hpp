// SPDX-License-Identifier: LGPL-2.1-or-later
// Which disks of a libvirt domain are iscsi-lvm volumes, read from the domain XML the qemu
// hook gets on stdin (or from libvirt's status files of running domains).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/xml_doc.hpp"
#include "host/core/block_devices.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

struct DiskRef {
    std::string target;   // vda, sdb... (for messages)
    std::string source;   // /dev/vg/lv or pool/volume as written in the XML
    std::string pool;
    std::string volume;
    bool shared = false;  // <readonly/> or <shareable/>: activated with a shared lock
    // <driver type=… error_policy=…>, "" when absent: how QEMU is told to read the volume
    // (shim/disk_format.hpp checks it against the volume's format).
    std::string driver_type = {}, error_policy = {};
    // <driver discard=… discard_no_unref=…>, "" when absent: whether QEMU frees the clusters
    // a guest discards inside a qcow2 image (shim/disk_format.hpp).
    std::string discard = {}, discard_no_unref = {};
    // <source index='N'> in a running domain's live XML (libvirt numbers each image of a
    // disk's chain): "vda[N]" names that image's storage node in libvirt's block calls
    // (ilvmd's write threshold, agent/thin_growth.hpp). -1 when absent (an inactive domain).
    int source_index = -1;

    bool operator==(const DiskRef &) const = default;
};

// The iscsi-lvm disks of a <domain> (or libvirt <domstatus>) document:
//   <disk type='block'> <source dev=PATH/>, <disk type='file'> <source file=PATH/>: matched by
//     device when PATH exists (block_devices.hpp: a device-mapper LV of one of our VGs, or a
//     device stacked on one, or a file on such a device's file system), by its text when it
//     does not (/dev/<vg>/<lv>, /dev/mapper/<vg>-<lv>, /dev/disk/by-id/dm-name-<vg>-<lv>,
//     with "//", "/./" and ".." removed first);
//   <disk type='volume'> <source pool='<pool>' volume='<lv>'/>.
// Unrelated disks are ignored. Malformed XML, a malformed volume name inside one of our
// VGs, or a path that cannot be looked at, is an invalid_input error.
Result<std::vector<DiskRef>> domain_disks(std::string_view xml, const std::vector<PoolBinding> &pools,
                                          const BlockDevices &devices = host_block_devices());
// The same, of a document already parsed.
Result<std::vector<DiskRef>> domain_disks(const XmlDoc &doc, const std::vector<PoolBinding> &pools,
                                          const BlockDevices &devices = host_block_devices());

// The volumes whose lock must be exclusive: disks neither <readonly/> nor <shareable/>
// (those are activated shared on purpose), each volume once, in disk order.
std::vector<VolumeRef> exclusive_volumes(const std::vector<DiskRef> &disks);

// The domain's name (<name>), for messages.
Result<std::string> domain_name(std::string_view xml);

}  // namespace ilvm::host
