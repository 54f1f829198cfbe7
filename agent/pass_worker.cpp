// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/pass_worker.hpp"

#include <algorithm>

namespace ilvm::agent {

PassWorker::PassWorker(Job job, Done done) : job_(std::move(job)), done_(std::move(done)), thread_([this] { loop(); }) {}

PassWorker::~PassWorker() {
    {
        std::lock_guard<std::mutex> g(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    wake_.notify_all();
    thread_.join();
}

void PassWorker::submit(const std::string &pool) {
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (std::find(queue_.begin(), queue_.end(), pool) != queue_.end()) return;
        queue_.push_back(pool);
    }
    wake_.notify_one();
}

std::optional<SteadyTime> PassWorker::busy_since() const {
    std::lock_guard<std::mutex> g(mutex_);
    return busy_since_;
}

size_t PassWorker::queued() const {
    std::lock_guard<std::mutex> g(mutex_);
    return queue_.size();
}

void PassWorker::loop() {
    std::unique_lock<std::mutex> g(mutex_);
    for (;;) {
        wake_.wait(g, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        std::string pool = std::move(queue_.front());
        queue_.pop_front();
        busy_since_ = std::chrono::steady_clock::now();
        g.unlock();
        PassOutcome outcome = job_(pool);
        done_(pool, outcome);
        g.lock();
        busy_since_.reset();
    }
}

}  // namespace ilvm::agent
