// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session_timeouts.hpp"

#include <algorithm>

namespace ilvm::iscsi {

namespace {

// sanlock src/timeouts.c: a renewal every 2 io_timeouts, the lease failed after 8.
constexpr uint64_t kRenewalFailFactor = 8, kRenewalIntervalFactor = 2, kKillPathMargin = 10, kFloor = 5;

// How long I/O may stay queued once the LUN stopped answering (NOP-Out noticed it), in seconds:
// `earliest`, so that a cut right after a renewal fails nothing before the lease could fail, and
// `latest`, so that a cut just before a renewal was due fails it within the kill path.
struct QueueBounds {
    uint64_t earliest = 0;
    uint64_t latest = 0;
};

QueueBounds queue_bounds(uint32_t io_timeout, const SessionTimeouts &t) {
    const uint64_t io = io_timeout, noop = uint64_t(t.noop_out_interval) + t.noop_out_timeout;
    const uint64_t fail = kRenewalFailFactor * io;
    const uint64_t end = fail + kSanlockKillGrace - kKillPathMargin;
    const uint64_t spent = kRenewalIntervalFactor * io + noop;
    return {fail > noop ? fail - noop : 0, end > spent ? end - spent : 0};
}

}  // namespace

SessionTimeouts session_timeouts_for(uint32_t io_timeout) {
    SessionTimeouts t;
    const QueueBounds b = queue_bounds(io_timeout, t);
    t.replacement_timeout = uint32_t(std::max(kFloor, std::min(b.earliest, b.latest)));
    return t;
}

MultipathQueueing multipath_queueing_for(uint32_t io_timeout) {
    MultipathQueueing q;
    q.session.replacement_timeout = uint32_t(kFloor);
    const QueueBounds b = queue_bounds(io_timeout, q.session);
    const uint64_t after_path = q.session.replacement_timeout, p = q.polling_interval;
    // The map queues from the last path's failure: R after the NOP-Out noticed the cut.
    const uint64_t earliest = b.earliest > after_path ? b.earliest - after_path : 0;
    const uint64_t latest = b.latest > after_path ? b.latest - after_path : 0;
    const uint64_t wanted = (earliest + p - 1) / p, most = latest / p;
    q.no_path_retry = uint32_t(std::max<uint64_t>(1, std::min(wanted, most)));
    return q;
}

}  // namespace ilvm::iscsi
