// SPDX-License-Identifier: LGPL-2.1-or-later
// How long open-iscsi keeps the I/O of a pool's session queued when the LUN stops answering,
// derived from sanlock's I/O timeout so that the queue has failed by the time sanlock gives
// up on the VG's lease (issue 19).
//
// Why: when a host loses the LUN, sanlock's renewal fails 8 io_timeouts after the last good
// renewal and lvmlockctl --kill runs `ilvm lease-lost`, whose `dmsetup wipe_table` waits for
// the I/O already in flight (dmsetup(8)); the watchdog resets the host about 40-60 s later
// unless the locks are dropped by then. open-iscsi's default replacement_timeout (120 s, from
// the moment the NOP-Out times out) held that I/O until 131 s after the cut in the lab
// (docs/troubleshooting.md), too late. The worst case is a cut just before a renewal was due
// (2 io_timeouts after the last one): the NOP-Out notices it noop_out_interval +
// noop_out_timeout later, then the session queues for replacement_timeout. So
//   replacement_timeout = 8*io - 2*io - (noop_out_interval + noop_out_timeout) - margin
// makes every queued I/O fail before the kill path starts: 45 s with sanlock's default 10 s.
// A target outage shorter than that still costs only a stall; a longer one loses the lease
// anyway (docs/user-guide.md, "When a host loses the LUN").
#pragma once

#include <cstdint>

namespace ilvm::iscsi {

// lvmlockd's sanlock I/O timeout (lvmlockd --sanlock-timeout, not set by Debian's unit); the
// lockspace's own value is in `sanlock client status -D` (io_timeout=) once it is joined.
inline constexpr uint32_t kSanlockIoTimeout = 10;

struct SessionTimeouts {
    uint32_t noop_out_interval = 5;   // node.conn[0].timeo.noop_out_interval (open-iscsi's default)
    uint32_t noop_out_timeout = 5;    // node.conn[0].timeo.noop_out_timeout (open-iscsi's default)
    uint32_t replacement_timeout = 0; // node.session.timeo.replacement_timeout
};

// The settings for a lockspace whose sanlock io_timeout is `io_timeout` seconds; never a
// replacement_timeout below 5 s (a short stall must not fail I/O at once).
SessionTimeouts session_timeouts_for(uint32_t io_timeout);

}  // namespace ilvm::iscsi
