// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/pass_scheduler.hpp"

#include <algorithm>

namespace ilvm::agent {

void PassScheduler::request(const std::string &pool, SteadyTime due) {
    auto [it, inserted] = due_.emplace(pool, due);
    if (!inserted) it->second = std::min(it->second, due);
}

std::optional<SteadyTime> PassScheduler::next_due() const {
    std::optional<SteadyTime> first;
    for (const auto &[pool, due] : due_)
        if (!first || due < *first) first = due;
    return first;
}

std::vector<std::string> PassScheduler::take_due(SteadyTime now) {
    std::vector<std::string> out;
    for (auto it = due_.begin(); it != due_.end();) {
        if (it->second <= now) {
            out.push_back(it->first);
            it = due_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::optional<std::chrono::milliseconds> follow_up_after(const PassOutcome &o, const FollowUpPolicy &policy) {
    switch (o.kind) {
    case PassOutcome::Kind::busy: return policy.busy_retry;
    case PassOutcome::Kind::failed: return policy.failure_retry;
    case PassOutcome::Kind::not_started: return std::nullopt;
    case PassOutcome::Kind::done: {
        std::optional<std::chrono::milliseconds> after;
        if (o.idle) after = std::chrono::duration_cast<std::chrono::milliseconds>(policy.grace) + std::chrono::milliseconds(1000);
        if (o.retry) after = after ? std::min(*after, policy.failure_retry) : policy.failure_retry;
        return after;
    }
    }
    return std::nullopt;
}

}  // namespace ilvm::agent
