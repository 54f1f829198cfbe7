// SPDX-License-Identifier: LGPL-2.1-or-later
// --progress for the copying verbs (vol-upload, vol-download, vol-clone, vol-create-from):
// dd's own progress (status=progress), passed on by the module's command runner through a
// pipe (module option progress_fd, common/child_process.hpp), read here on a thread and
// shown on stderr: one line rewritten in place on a terminal, a line every 10 s for a log, or
// with --json an event a second, one JSON object a line, for a program; each with the bytes
// copied, the share of the total and the rate.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.hpp"

namespace ilvm::cli {

// The bytes dd says it has copied in `chunk` (the last of its "N bytes … copied" lines, which
// it separates with \r), or nothing.
std::optional<uint64_t> copied_bytes(std::string_view chunk);

// dd's progress as it arrives through a pipe, in pieces that may end anywhere, also inside a
// "N bytes … copied" line: feed() returns the count of the last whole line so far.
class DdProgressStream {
public:
    std::optional<uint64_t> feed(std::string_view chunk);

private:
    static constexpr size_t kLongestLine = 4096;
    std::string pending_;     // the start of a line whose end has not come yet
    bool skipping_ = false;   // inside a line too long to be dd's, dropped up to its end
};

// How progress is shown (docs/man/ilvm.8, --progress).
enum class ProgressStyle {
    terminal,   // one line, rewritten in place
    log,        // "progress: …" every 10 s
    json,       // {"event":"progress",…} every second, one a line
};

// {"event":"progress","volume":"vm1","bytes":…,"total":…,"percent":…,"bytes_per_second":…,
// "final":false} and \n; total and percent null when the total is unknown. `final`: the
// copy's last event (its command ended; the verb's outcome is its exit code).
std::string progress_event(const std::string &label, uint64_t copied, uint64_t total, double bytes_per_second, bool final);

// "vm1: 45% (1.13 GiB of 2.50 GiB, 118.3 MiB/s)"; without a total, the bytes and the rate.
std::string progress_line(const std::string &label, uint64_t copied, uint64_t total, double bytes_per_second);

class TransferProgress {
public:
    // The pipe and its reader, showing progress on `err` in `style`.
    static Result<std::unique_ptr<TransferProgress>> start(std::ostream &err, ProgressStyle style);
    ~TransferProgress();   // finish()
    TransferProgress(const TransferProgress &) = delete;
    TransferProgress &operator=(const TransferProgress &) = delete;

    // For the module's options: where the runner writes progress.
    int write_fd() const { return write_fd_; }
    // What is being copied and how much: set by the verb before its copy starts.
    void describe(const std::string &label, uint64_t total);
    // Closes the write end, lets the reader show the last state and ends it.
    void finish();

private:
    TransferProgress(std::ostream &err, ProgressStyle style, int read_fd, int write_fd);
    void read_loop();
    void show(uint64_t copied, bool last);

    std::ostream &err_;
    const ProgressStyle style_;
    int read_fd_;
    int write_fd_;
    std::mutex mutex_;   // label_, total_
    std::string label_;
    uint64_t total_ = 0;
    std::chrono::steady_clock::time_point started_;   // for the rate
    std::thread reader_;
};

}  // namespace ilvm::cli
