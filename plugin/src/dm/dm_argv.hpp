// SPDX-License-Identifier: LGPL-2.1-or-later
// argv builders for the device-mapper commands the backend runs (dmsetup(8), lvm2's
// libdm/dm-tools/dmsetup.c). Pure functions of their inputs, as lvm/lvm_argv.hpp's, so
// golden tests pin each command line. Names must be one of dmsetup's own device names,
// checked by the caller (a name never starts with '-': it starts with a validated VG name).
#pragma once

#include <string>

#include "common/command.hpp"

namespace ilvm::dm {

// Every device-mapper device of this host, one line each: "NAME:UUID:OPEN" (the name, the
// dm UUID, "" for a device without one, and the open count), or "No devices found".
// Only ioctls: it reads nothing from a disk, so it answers while the LUN is gone.
Command dmsetup_info_devices();

// Replaces the device's table with the error target (a RELOAD, then a resume) without
// flushing or freezing first: every later I/O to it fails at once instead of waiting for
// a LUN that is gone, so QEMU sees EIO (a disk with werror=stop pauses the guest). The
// device stays, open, until its holder closes it. `timeout`: the resume waits for the
// I/O still in flight below the device (see fencing.hpp).
Command dmsetup_wipe_table(const std::string &name);

// Removes a device nobody holds open (pool-rejoin: a volume lease-lost wiped that this host
// does not take back). Without --force, which would first load the error target into a
// device still open and detach it from its holder: an open device is refused ("Device or
// resource busy") and stays. No timeout of its own: it is not on sanlock's kill path.
Command dmsetup_remove(const std::string &name);

}  // namespace ilvm::dm
