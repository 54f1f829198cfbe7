// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dm/dm_argv.hpp"

#include <chrono>

namespace ilvm::dm {

using namespace std::chrono_literals;

Command dmsetup_info_devices() {
    Command c{"dmsetup", "info", "-c", "--noheadings", "--separator", ":", "-o", "name,uuid,open"};
    c.timeout = 10s;
    return c;
}

Command dmsetup_wipe_table(const std::string &name) {
    Command c{"dmsetup", "wipe_table", "--noflush", "--nolockfs", name};
    // sanlock gives lvmlockd's kill path about 40 s (its kill_grace_seconds) before it kills
    // lvmlockd, and ran it once in the lab; a wipe that waits longer than this for the I/O in
    // flight below it fails, and the host is left to its watchdog as without fencing. The
    // session fails that I/O up to 20 s into the kill path (iscsi/session_timeouts.hpp); with
    // 15 s here the first lab run's wipe timed out and the host was reset (lun-loss-fenced).
    c.timeout = 30s;
    return c;
}

Command dmsetup_remove(const std::string &name) { return Command{"dmsetup", "remove", name}; }

}  // namespace ilvm::dm
