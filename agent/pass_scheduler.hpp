// SPDX-License-Identifier: LGPL-2.1-or-later
// When the agent runs a reconcile pass of which pool. Events ask for a pass "soon" (a short
// delay, so that a burst - a domain's start, its disks' udev events, libvirt's events -
// becomes one pass); a pass's outcome may ask for a follow-up (an idle volume's grace ends,
// a busy pool, a failure); a slow timer asks for every pool as the safety net. Each pool has
// at most one pending pass, due at the earliest time anyone asked for. Pure: the main loop
// arms one timer for next_due() and hands take_due() to the worker.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ilvm::agent {

using SteadyTime = std::chrono::steady_clock::time_point;

class PassScheduler {
public:
    // A pass of `pool` no later than `due`; an earlier pending request stands.
    void request(const std::string &pool, SteadyTime due);
    // The earliest pending due time, if any pass is pending.
    std::optional<SteadyTime> next_due() const;
    // The pools due at `now` (sorted), no longer pending.
    std::vector<std::string> take_due(SteadyTime now);
    bool pending(const std::string &pool) const { return due_.count(pool) != 0; }
    size_t size() const { return due_.size(); }

private:
    std::map<std::string, SteadyTime> due_;
};

// What one pool's pass found, as far as scheduling cares.
struct PassOutcome {
    enum class Kind {
        done,          // the pass ran
        busy,          // an ilvm verb holds the pool's lock: it asks for a pass (or reconciles) when done
        not_started,   // the pool is not started here (any more): nothing to do
        failed,        // the pass could not run (module, LVM, lvmlockd): logged by the pass
    };
    Kind kind = Kind::done;
    size_t idle = 0;    // volumes seen idle and not yet released (their grace runs)
    size_t retry = 0;   // changes that failed or met a conflict (e.g. another host still shares a volume)
};

struct FollowUpPolicy {
    std::chrono::milliseconds busy_retry{2000};
    std::chrono::milliseconds failure_retry{15000};   // the reconcile timer's old period
    std::chrono::seconds grace{10};   // the reconciler's idle grace (reconcile_grace_seconds)
};

// When to look at the pool again after `o`, if the pass itself asks for it: a busy pool
// shortly; a failed pass or a change to retry after a back-off; an idle volume by the first
// pass after its grace (one second later, so the grace has surely passed); whichever is first.
std::optional<std::chrono::milliseconds> follow_up_after(const PassOutcome &o, const FollowUpPolicy &policy);

}  // namespace ilvm::agent
