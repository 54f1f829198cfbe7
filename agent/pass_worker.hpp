// SPDX-License-Identifier: LGPL-2.1-or-later
// The agent's one worker thread: runs pool passes one at a time, in the order asked, so that
// the main loop (events, the systemd watchdog, and the hook's requests to come) never waits
// for LVM. A pool already queued is not queued twice. Passes never run concurrently: two
// passes of one pool would race on its idle bookkeeping.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/pass_scheduler.hpp"

namespace ilvm::agent {

class PassWorker {
public:
    using Job = std::function<PassOutcome(const std::string &pool)>;
    // Called on the worker thread after each pass; the agent hands it to its main loop.
    using Done = std::function<void(const std::string &pool, PassOutcome outcome)>;

    PassWorker(Job job, Done done);
    // Finishes the pass under way (a pass is never cut short: it may hold LVM locks), drops
    // the queue and joins.
    ~PassWorker();
    PassWorker(const PassWorker &) = delete;
    PassWorker &operator=(const PassWorker &) = delete;

    void submit(const std::string &pool);
    // When the pass under way began; nullopt while idle. The watchdog's view of a stuck pass.
    std::optional<SteadyTime> busy_since() const;
    size_t queued() const;

private:
    void loop();

    Job job_;
    Done done_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::string> queue_;
    std::optional<SteadyTime> busy_since_;
    bool stopping_ = false;
    std::thread thread_;   // last: started once everything above exists
};

}  // namespace ilvm::agent
