// SPDX-License-Identifier: LGPL-2.1-or-later
// How long open-iscsi keeps the I/O of a pool's session queued when the LUN stops answering,
// derived from sanlock's timing (issue 19). Two bounds, in seconds after this host's last good
// lease renewal (sanlock 3.8 src/timeouts.c and main.c kill_pids: renewals every 2 io_timeouts,
// the lease failed after 8; from then on lvmlockctl --kill, and with it `ilvm lease-lost`, runs
// about every second for kill_grace_seconds, 40 s, before lvmlockd gets SIGKILL; the watchdog
// resets the host unless the VG's locks are dropped by then):
//
//  * no sooner than the lease can fail: an outage the lease survives must stall the guests,
//    not fail their I/O. The earliest a queued I/O fails is a cut right after a renewal:
//    noop_out_interval + noop_out_timeout (the NOP-Out noticing it) + replacement_timeout,
//    which must be at least 8 io_timeouts;
//  * soon enough for the kill path: lease-lost's `dmsetup wipe_table` waits for the I/O in
//    flight (dmsetup(8)). The latest a queued I/O fails is a cut just before a renewal was due
//    (2 io_timeouts after the last): 2 io + NOP-Out + replacement_timeout, which must leave
//    10 s of the kill path's 40 s.
//
// With sanlock's default 10 s I/O timeout: 70 s, so queued I/O fails 80 to 100 s after the
// last renewal. open-iscsi's default, 120 s, held it until 131 s after the cut in the lab, after
// the kill path had given up (docs/troubleshooting.md).
#pragma once

#include <cstdint>

namespace ilvm::iscsi {

// lvmlockd's sanlock I/O timeout (lvmlockd --sanlock-timeout, not set by Debian's unit); the
// lockspace's own value is in `sanlock client status -D` (io_timeout=) once it is joined.
inline constexpr uint32_t kSanlockIoTimeout = 10;
// sanlock's kill_grace_seconds (its default; sanlock.conf may change it).
inline constexpr uint32_t kSanlockKillGrace = 40;

struct SessionTimeouts {
    uint32_t noop_out_interval = 5;   // node.conn[0].timeo.noop_out_interval (open-iscsi's default)
    uint32_t noop_out_timeout = 5;    // node.conn[0].timeo.noop_out_timeout (open-iscsi's default)
    uint32_t replacement_timeout = 0; // node.session.timeo.replacement_timeout
};

// The settings for a lockspace whose sanlock io_timeout is `io_timeout` seconds (the two
// bounds above; the second wins where they cross, never below 5 s).
SessionTimeouts session_timeouts_for(uint32_t io_timeout);

// A pool with several portals (issue 19): each session gives up on its path quickly, so that
// dm-multipath fails over to another one, and the multipath map, not the session, holds I/O
// while no path is left: multipathd counts no_path_retry × polling_interval seconds from the
// moment the last path failed (multipath-tools 0.9 libmultipath/structs_vec.c: retry_tick =
// no_path_retry × checkint, decremented every second), then fails the queued I/O. The same two
// bounds as a single session's: with sanlock's 10 s, sessions 5 s + NOP-Out 10 s, 13 × 5 s
// queued: I/O fails 80 to 100 s after the last renewal.
struct MultipathQueueing {
    SessionTimeouts session;          // replacement_timeout: one path's give-up
    uint32_t polling_interval = 5;    // multipath.conf defaults/polling_interval (its default)
    uint32_t no_path_retry = 0;       // multipath.conf overrides/no_path_retry
};
MultipathQueueing multipath_queueing_for(uint32_t io_timeout);

}  // namespace ilvm::iscsi
