// SPDX-License-Identifier: LGPL-2.1-or-later
// What a path in a domain's XML is on this host: a block device (and, through
// device-mapper, which LV it is or is stacked on), a file on some device's file system, or
// nothing yet. The qemu hook matches disks by device with it, not by the text of the path:
// /dev/dm-3, /dev/disk/by-id/dm-name-vg_san-vm1 and /dev/vg_san//vm1 are all vm1.
// An interface so unit tests give the answers of a host that has the devices.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct DevNum {
    unsigned major = 0, minor = 0;
    bool operator==(const DevNum &) const = default;
};

struct PathLookup {
    enum class Kind {
        missing,        // no such path (an LV that is not active here has no device node)
        block_device,   // `dev` is the device
        on_device,      // a file or directory: `dev` holds its file system
        other,          // a character device, a FIFO…: never a volume
    };
    Kind kind = Kind::missing;
    DevNum dev;
};

class BlockDevices {
public:
    virtual ~BlockDevices() = default;
    // stat(2) of `path`, following links. Anything but "there is nothing" that stat cannot
    // answer (permission, a link loop) is an error: whoever asks must then refuse.
    virtual Result<PathLookup> lookup(const std::string &path) const = 0;
    // device-mapper's name and uuid of a device; "" when it is no dm device.
    virtual std::string dm_name(DevNum dev) const = 0;
    virtual std::string dm_uuid(DevNum dev) const = 0;
    // The devices it is stacked on (/sys/dev/block/M:m/slaves).
    virtual std::vector<DevNum> slaves(DevNum dev) const = 0;
};

// This host: stat(2) and /sys/dev/block.
const BlockDevices &host_block_devices();

}  // namespace ilvm::host
