// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session_timeouts.hpp"

#include <algorithm>

namespace ilvm::iscsi {

SessionTimeouts session_timeouts_for(uint32_t io_timeout) {
    // sanlock src/timeouts.c: a renewal every 2 io_timeouts, the lease failed after 8.
    constexpr uint64_t kRenewalFailFactor = 8, kRenewalIntervalFactor = 2, kKillPathMargin = 10, kFloor = 5;
    SessionTimeouts t;
    const uint64_t io = io_timeout, noop = uint64_t(t.noop_out_interval) + t.noop_out_timeout;
    const uint64_t fail = kRenewalFailFactor * io;
    // Not before the lease could fail: cut right after a renewal, noop + R >= fail.
    const uint64_t stall = fail > noop ? fail - noop : 0;
    // Within the kill path: cut just before a renewal, 2 io + noop + R <= fail + grace - margin.
    const uint64_t latest = fail + kSanlockKillGrace - kKillPathMargin;
    const uint64_t spent = kRenewalIntervalFactor * io + noop;
    const uint64_t within = latest > spent ? latest - spent : 0;
    t.replacement_timeout = uint32_t(std::max(kFloor, std::min(stall, within)));
    return t;
}

}  // namespace ilvm::iscsi
