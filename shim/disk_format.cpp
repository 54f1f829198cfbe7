// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/disk_format.hpp"

namespace ilvm::hook {

Status check_disk_format(const host::DiskRef &disk, const std::string &volume_format) {
    if (volume_format != "qcow2") return {};
    const std::string fix = "<driver name='qemu' type='qcow2'/> in the disk (see docs/user-guide.md, qcow2 volumes)";
    const std::string type = disk.driver_type.empty() ? "raw (no <driver type>)" : "'" + disk.driver_type + "'";
    if (disk.driver_type != "qcow2")
        return invalid_input("volume '" + disk.volume + "' of pool " + disk.pool + " holds a qcow2 image, but the disk's driver type is " +
                                 type + ": the guest would overwrite the image's tables",
                             "write " + fix);
    if (disk.error_policy == "report" || disk.error_policy == "ignore")
        return invalid_input("volume '" + disk.volume + "' of pool " + disk.pool + " is a qcow2 volume, whose LV can fill up, but the disk's "
                                 "error_policy '" + disk.error_policy + "' would " +
                                 (disk.error_policy == "report" ? "hand the guest write errors" : "drop the guest's writes") +
                                 " instead of pausing it",
                             "remove error_policy from the disk's <driver>, or set it to 'stop' or 'enospace'");
    if (disk.discard == "unmap" && disk.discard_no_unref != "on")
        return invalid_input("volume '" + disk.volume + "' of pool " + disk.pool + " is a qcow2 volume, but the disk's discard='unmap' "
                                 "without discard_no_unref='on' lets QEMU free discarded clusters inside the image, which can then "
                                 "grow past what its LV is ever given",
                             "add discard_no_unref='on' to the disk's <driver> (libvirt 9.5 and QEMU 8.1 or later), or remove "
                             "discard='unmap'");
    return {};
}

}  // namespace ilvm::hook
