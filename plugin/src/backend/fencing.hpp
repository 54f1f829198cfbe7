// SPDX-License-Identifier: LGPL-2.1-or-later
// Storage-loss fencing of one pool on this host (issue 19; `ilvm lease-lost`, which
// lvmlockctl --kill runs when the VG's sanlock lease can no longer be renewed): every
// device-mapper device of the pool's VG but lvmlockd's lease LV gets the error target in
// place of its table (dm/dm_argv.hpp dmsetup_wipe_table), so this host's I/O to the
// volumes stops at once instead of going on after another host may have taken them over.
// The lease LV is left: sanlock and lvmlockd still read and release their leases there.
//
// Timing (sanlock 3.8 src/timeouts.h, main.c kill_pids): renewal fails 8 x io_timeout after
// the last good renewal (80 s by default) and wdmd stops petting the watchdog, which fires
// 50-60 s later unless every lease is released by then; other hosts may take the leases
// 140 s after that last renewal.
// Meanwhile sanlock runs lvmlockd's kill path (lvmlockctl --kill VG, which runs our command)
// again every second or so while lvmlockd still holds leases there, for kill_grace_seconds
// (40 s), then kills lvmlockd. So the wipe may run more than once, at the same time too:
// wiping a wiped device loads the same error table again. A wipe's resume waits for the I/O
// in flight below the device, which an iSCSI session in recovery holds until open-iscsi's
// replacement_timeout: how long that takes is for the lab to measure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ilvm {

struct FencedDevice {
    std::string name;          // the dm name, vg_san-web1
    std::string volume;        // the LV, web1
    uint32_t open_count = 0;   // as dmsetup info said before the wipe
    bool wiped = false;
    std::string error;         // why the wipe failed (one line)
};

struct FenceResult {
    std::vector<FencedDevice> devices;   // dmsetup's order

    // Every device of the VG got the error target (none at all counts: nothing to stop).
    bool all_wiped() const {
        for (const auto &d : devices)
            if (!d.wiped) return false;
        return true;
    }
};

}  // namespace ilvm
