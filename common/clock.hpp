// SPDX-License-Identifier: LGPL-2.1-or-later
// Time for the hand-over's polling loops, so tests run them on a fake clock: steady time
// for bounds and measured windows, wall time for the marker's mtime (written by the hook).
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace ilvm {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() = 0;
    virtual std::chrono::system_clock::time_point wall_now() = 0;
    virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall_now() override { return std::chrono::system_clock::now(); }
    void sleep_for(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

// Unix time in whole seconds: what the run-state files record (owner records, idle
// bookkeeping, holds, ilvmd.status).
inline int64_t unix_seconds(std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Whole milliseconds from a to b.
inline int64_t millis_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace ilvm
