// SPDX-License-Identifier: LGPL-2.1-or-later
// argv builders for dm-multipath (issue 19: a pool with several portals): one map per LUN,
// named by its WWID (multipath.conf user_friendly_names no, so the name is the same on every
// host), the VG's PV /dev/mapper/<WWID>, never one of its paths. Pure functions of their
// inputs, as dm/dm_argv.hpp's. A WWID goes on argv and into a /dev/mapper path: every builder
// that takes one checks it first (validate_wwid), and a path device name too.
#pragma once

#include <string>
#include <string_view>

#include "common/command.hpp"
#include "common/result.hpp"

namespace ilvm::multipath {

// A WWID we put on argv or under /dev/mapper: 1..128 characters of [A-Za-z0-9_.:-], not
// starting with '-' (it would read as an option) and not "." or ".." (not a device name).
// SCSI WWIDs as udev reports them (ID_SERIAL, "36001405…", "SATA_…") are of that kind.
Status validate_wwid(std::string_view wwid);

// "sdb": a SCSI disk's kernel name as iscsiadm lists it ("Attached scsi disk sdb"), 1..32
// characters of [a-z0-9]; anything else is invalid_input.
Status validate_disk_name(std::string_view dev);

// /dev/mapper/<WWID>: the VG's PV on every host.
Result<std::string> map_device_path(std::string_view wwid);

// `udevadm info --query=property --name=/dev/DEV`: the disk's udev properties, KEY=VALUE per
// line; multipath-tools takes a SCSI disk's WWID from ID_SERIAL (its default uid_attribute).
Result<Command> udev_properties(std::string_view dev);

// `multipath -a /dev/DEV`: adds the disk's WWID to /etc/multipath/wwids. With
// find_multipaths strict (multipath-tools 0.9's default) multipathd makes maps only for WWIDs
// listed there.
Result<Command> multipath_add_wwid(std::string_view dev);

// `multipathd add map WWID`: multipathd makes the map from the paths it knows with that WWID
// (multipath-tools 0.9 multipathd/cli_handlers.c cli_add_map, coalesce_paths); exits 0 also
// when the map is there already.
Result<Command> multipathd_add_map(std::string_view wwid);

// `multipath -f WWID`: removes the map at pool-stop, before the sessions log out (a map
// left without paths would queue I/O no_path_retry × polling_interval seconds). Refused by
// multipath while the map is open (an active LV on it).
Result<Command> multipath_flush(std::string_view wwid);

// `multipathd show maps json`: every map multipathd knows with its path groups and paths
// (multipath_report.hpp parse_multipath_maps).
Command multipathd_show_maps_json();

}  // namespace ilvm::multipath
