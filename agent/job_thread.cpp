// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/job_thread.hpp"

namespace ilvm::agent {

JobThread::JobThread() : thread_([this] { loop(); }) {}

JobThread::~JobThread() {
    {
        std::lock_guard<std::mutex> hold(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    wake_.notify_all();
    thread_.join();
}

void JobThread::submit(std::function<void()> job) {
    {
        std::lock_guard<std::mutex> hold(mutex_);
        if (stopping_) return;
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void JobThread::loop() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> hold(mutex_);
            wake_.wait(hold, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();
    }
}

}  // namespace ilvm::agent
