// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session_timeouts.hpp"

namespace ilvm::iscsi {

SessionTimeouts session_timeouts_for(uint32_t io_timeout) {
    // sanlock src/timeouts.c: renewal every 2 io_timeouts, failed after 8.
    constexpr uint32_t kRenewalFailFactor = 8, kRenewalIntervalFactor = 2, kMargin = 5, kFloor = 5;
    SessionTimeouts t;
    const uint64_t budget = uint64_t(kRenewalFailFactor - kRenewalIntervalFactor) * io_timeout;
    const uint64_t spent = uint64_t(t.noop_out_interval) + t.noop_out_timeout + kMargin;
    t.replacement_timeout = budget > spent + kFloor ? uint32_t(budget - spent) : kFloor;
    return t;
}

}  // namespace ilvm::iscsi
