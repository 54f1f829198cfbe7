// SPDX-License-Identifier: LGPL-2.1-or-later
// One thread that runs jobs one at a time, in the order given: the growth of qcow2 volumes
// (thin_growth.hpp), kept off the pool passes' worker so that a guest about to fill its
// volume never waits behind a long pass, and off the main loop, which must not wait for LVM.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ilvm::agent {

class JobThread {
public:
    JobThread();
    // Finishes the job under way (it may hold LVM locks), drops the others and joins.
    ~JobThread();
    JobThread(const JobThread &) = delete;
    JobThread &operator=(const JobThread &) = delete;

    void submit(std::function<void()> job);

private:
    void loop();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread thread_;   // last: started once everything above exists
};

}  // namespace ilvm::agent
