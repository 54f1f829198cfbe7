// SPDX-License-Identifier: LGPL-2.1-or-later
#include "multipath/multipath_argv.hpp"

#include <chrono>

namespace ilvm::multipath {

using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxWwid = 128, kMaxDisk = 32;

bool wwid_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
}

bool disk_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// The value as an error message shows it: cut, so that a hostile one cannot flood the log.
std::string shown(std::string_view s) {
    return "'" + std::string(s.substr(0, 40)) + (s.size() > 40 ? "…'" : "'");
}

}  // namespace

Status validate_wwid(std::string_view wwid) {
    const char *why = nullptr;
    if (wwid.empty() || wwid.size() > kMaxWwid) why = "must be 1 to 128 characters";
    else if (wwid.front() == '-') why = "must not start with '-'";
    else if (wwid == "." || wwid == "..") why = "is not a device name";
    else
        for (char c : wwid)
            if (!wwid_char(c)) {
                why = "may hold only letters, digits and '_', '.', ':', '-'";
                break;
            }
    if (!why) return {};
    return invalid_input("WWID " + shown(wwid) + " " + why,
                         "a multipath map is named by its LUN's WWID (udev's ID_SERIAL): check "
                         "`udevadm info --query=property --name=/dev/sdX` for the pool's disks");
}

Status validate_disk_name(std::string_view dev) {
    bool ok = !dev.empty() && dev.size() <= kMaxDisk;
    for (char c : dev) ok = ok && disk_char(c);
    if (ok) return {};
    return invalid_input("disk name " + shown(dev) + " is not a kernel disk name such as sdb",
                         "the pool's disks are the ones iscsiadm --mode session --print 3 lists as attached");
}

Result<std::string> map_device_path(std::string_view wwid) {
    ILVM_TRY(validate_wwid(wwid));
    return "/dev/mapper/" + std::string(wwid);
}

Result<Command> udev_properties(std::string_view dev) {
    ILVM_TRY(validate_disk_name(dev));
    Command c{"udevadm", "info", "--query=property", "--name=/dev/" + std::string(dev)};
    c.timeout = 10s;   // reads udev's database, not the disk
    return c;
}

Result<Command> multipath_add_wwid(std::string_view dev) {
    ILVM_TRY(validate_disk_name(dev));
    Command c{"multipath", "-a", "/dev/" + std::string(dev)};
    c.timeout = 30s;
    return c;
}

Result<Command> multipathd_add_map(std::string_view wwid) {
    ILVM_TRY(validate_wwid(wwid));
    Command c{"multipathd", "add", "map", std::string(wwid)};
    c.timeout = 30s;
    return c;
}

Result<Command> multipath_flush(std::string_view wwid) {
    ILVM_TRY(validate_wwid(wwid));
    Command c{"multipath", "-f", std::string(wwid)};
    // multipath retries a busy map's removal for a few seconds (its remove_retries).
    c.timeout = 60s;
    return c;
}

Command multipathd_show_maps_json() {
    Command c{"multipathd", "show", "maps", "json"};
    c.timeout = 10s;   // multipathd answers from its own tables
    return c;
}

}  // namespace ilvm::multipath
