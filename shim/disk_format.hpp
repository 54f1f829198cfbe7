// SPDX-License-Identifier: LGPL-2.1-or-later
// Whether a domain's disk reads its volume the way the volume is made (raw or qcow2,
// docs/user-guide.md "qcow2 volumes"). Checked by the hook after it activated the volume,
// from the same lvs (the format is in the LV's tags), before QEMU opens anything.
#pragma once

#include <string>

#include "common/result.hpp"
#include "host/core/domain_disks.hpp"

namespace ilvm::hook {

// A qcow2 volume needs <driver type='qcow2'>: opened as raw (libvirt's default for a block
// disk without a type) the guest gets the image's own bytes and can overwrite its tables.
// Its <driver error_policy> must leave a full LV to pause the guest (unset: QEMU stops on
// ENOSPC; 'stop', 'enospace'), never 'report' or 'ignore', which hand the guest write errors
// or drop its writes. A raw volume with driver type qcow2 is allowed: an image an
// administrator wrote into a raw volume is theirs to read.
// Its <driver discard='unmap'> needs discard_no_unref='on' (libvirt 9.5, QEMU 8.1): without it
// QEMU frees each discarded cluster inside the image and later allocates around the holes,
// and a guest that writes and deletes can grow the image past its virtual size (QEMU's
// commit message for the option: over 110 %), past what `qemu-img measure` says it can ever
// need, which is where ilvmd stops growing its LV: the guest would stay paused.
Status check_disk_format(const host::DiskRef &disk, const std::string &volume_format);

}  // namespace ilvm::hook
