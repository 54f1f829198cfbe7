// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/transfer_progress.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "cli/ui/output.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/size.hpp"

namespace ilvm::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// In a log: one line this often, so that a log shows a long copy moving.
constexpr auto kLogInterval = std::chrono::seconds(10);
// For a program: an event a second (dd's own pace), not one per read.
constexpr auto kEventInterval = std::chrono::seconds(1);

// How often the reader shows progress in `style`; zero: at every read.
SteadyClock::duration interval(ProgressStyle style) {
    switch (style) {
    case ProgressStyle::terminal: return SteadyClock::duration::zero();
    case ProgressStyle::log: return kLogInterval;
    case ProgressStyle::json: return kEventInterval;
    }
    return kLogInterval;
}

unsigned percent_of(uint64_t copied, uint64_t total) {
    const uint64_t shown = copied > total ? total : copied;
    return static_cast<unsigned>(static_cast<double>(shown) * 100.0 / static_cast<double>(total));
}

}  // namespace

std::optional<uint64_t> copied_bytes(std::string_view chunk) {
    std::optional<uint64_t> last;
    for (size_t at = chunk.find(" bytes "); at != std::string_view::npos; at = chunk.find(" bytes ", at + 1)) {
        size_t begin = at;
        while (begin > 0 && chunk[begin - 1] >= '0' && chunk[begin - 1] <= '9') --begin;
        if (begin == at || chunk.find(" copied", at) == std::string_view::npos) continue;
        if (auto n = parse_digits(chunk.substr(begin, at - begin))) last = n;
    }
    return last;
}

std::optional<uint64_t> DdProgressStream::feed(std::string_view chunk) {
    pending_.append(chunk);
    const size_t end = pending_.find_last_of("\r\n");
    if (end == std::string::npos) {
        // dd's lines are ~80 characters: anything this long is not one, and is not kept.
        if (pending_.size() > kLongestLine) {
            pending_.clear();
            skipping_ = true;
        }
        return std::nullopt;
    }
    std::string_view whole(pending_.data(), end + 1);
    if (skipping_) {
        whole.remove_prefix(whole.find_first_of("\r\n") + 1);   // the rest of the line dropped above
        skipping_ = false;
    }
    const auto copied = copied_bytes(whole);
    pending_.erase(0, end + 1);
    return copied;
}

std::string progress_line(const std::string &label, uint64_t copied, uint64_t total, double bytes_per_second) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f MiB/s", bytes_per_second / (1024.0 * 1024.0));
    if (total == 0) return label + ": " + human_size(copied) + " (" + rate + ")";
    return label + ": " + std::to_string(percent_of(copied, total)) + "% (" + human_size(copied > total ? total : copied) +
           " of " + human_size(total) + ", " + rate + ")";
}

std::string progress_event(const std::string &label, uint64_t copied, uint64_t total, double bytes_per_second, bool final) {
    return to_json(JsonObject{{"event", "progress"},
                              {"volume", label},
                              {"bytes", copied},
                              {"total", total ? JsonValue(total) : JsonValue()},
                              {"percent", total ? JsonValue(percent_of(copied, total)) : JsonValue()},
                              {"bytes_per_second", static_cast<uint64_t>(bytes_per_second)},
                              {"final", final}},
                   JsonLayout::one_line);
}

Result<std::unique_ptr<TransferProgress>> TransferProgress::start(std::ostream &err, ProgressStyle style) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return system_error(std::string("cannot create the progress pipe: ") + std::strerror(errno));
    // The runner never waits for this reader: a full pipe loses a piece of progress.
    if (::fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
        const int e = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        return system_error(std::string("cannot set up the progress pipe: ") + std::strerror(e));
    }
    return std::unique_ptr<TransferProgress>(new TransferProgress(err, style, fds[0], fds[1]));
}

TransferProgress::TransferProgress(std::ostream &err, ProgressStyle style, int read_fd, int write_fd)
    : err_(err), style_(style), read_fd_(read_fd), write_fd_(write_fd), started_(SteadyClock::now()) {
    reader_ = std::thread([this] { read_loop(); });
}

TransferProgress::~TransferProgress() { finish(); }

void TransferProgress::describe(const std::string &label, uint64_t total) {
    std::lock_guard<std::mutex> lock(mutex_);
    label_ = label;
    total_ = total;
    started_ = SteadyClock::now();
}

void TransferProgress::finish() {
    if (write_fd_ >= 0) {
        if (::close(write_fd_) != 0)
            spdlog::debug("closing the progress pipe: {} (its reader stops at the next read)", std::strerror(errno));
        write_fd_ = -1;
    }
    if (reader_.joinable()) reader_.join();
    if (read_fd_ >= 0) {
        ::close(read_fd_);
        read_fd_ = -1;
    }
}

void TransferProgress::show(uint64_t copied, bool last) {
    std::string label;
    uint64_t total = 0;
    double seconds = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        label = label_.empty() ? std::string("copy") : label_;
        total = total_;
        seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    }
    const double rate = seconds > 0 ? static_cast<double>(copied) / seconds : 0;
    switch (style_) {
    case ProgressStyle::terminal:
        err_ << "\r" << progress_line(label, copied, total, rate) << "\033[K" << (last ? "\n" : "") << std::flush;
        break;
    case ProgressStyle::log: err_ << "progress: " << progress_line(label, copied, total, rate) << "\n" << std::flush; break;
    case ProgressStyle::json: err_ << progress_event(label, copied, total, rate, last) << std::flush; break;
    }
}

void TransferProgress::read_loop() {
    char buf[4096];
    DdProgressStream stream;
    std::optional<uint64_t> copied;
    const auto every = interval(style_);
    auto next = SteadyClock::now() + every;
    for (;;) {
        const ssize_t n = ::read(read_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;   // every write end closed: the verb is done
        if (auto c = stream.feed(std::string_view(buf, static_cast<size_t>(n)))) copied = c;
        if (!copied) continue;
        if (SteadyClock::now() >= next) {
            show(*copied, false);
            next = SteadyClock::now() + every;
        }
    }
    if (copied) show(*copied, true);
}

}  // namespace ilvm::cli
