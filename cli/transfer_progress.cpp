// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/transfer_progress.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/size.hpp"

namespace ilvm::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Not on a terminal: one line this often, so that a log shows a long copy moving.
constexpr auto kLogInterval = std::chrono::seconds(10);

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

std::string progress_line(const std::string &label, uint64_t copied, uint64_t total, double bytes_per_second) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f MiB/s", bytes_per_second / (1024.0 * 1024.0));
    if (total == 0) return label + ": " + human_size(copied) + " (" + rate + ")";
    const uint64_t shown = copied > total ? total : copied;
    const auto percent = static_cast<unsigned>(static_cast<double>(shown) * 100.0 / static_cast<double>(total));
    return label + ": " + std::to_string(percent) + "% (" + human_size(shown) + " of " + human_size(total) +
           ", " + rate + ")";
}

Result<std::unique_ptr<TransferProgress>> TransferProgress::start(std::ostream &err, bool terminal) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return system_error(std::string("cannot create the progress pipe: ") + std::strerror(errno));
    // The runner never waits for this reader: a full pipe loses a piece of progress.
    if (::fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
        const int e = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        return system_error(std::string("cannot set up the progress pipe: ") + std::strerror(e));
    }
    return std::unique_ptr<TransferProgress>(new TransferProgress(err, terminal, fds[0], fds[1]));
}

TransferProgress::TransferProgress(std::ostream &err, bool terminal, int read_fd, int write_fd)
    : err_(err), terminal_(terminal), read_fd_(read_fd), write_fd_(write_fd), started_(SteadyClock::now()) {
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
    const std::string line = progress_line(label, copied, total, seconds > 0 ? copied / seconds : 0);
    if (terminal_) err_ << "\r" << line << "\033[K" << (last ? "\n" : "") << std::flush;
    else err_ << "progress: " << line << "\n" << std::flush;
}

void TransferProgress::read_loop() {
    char buf[4096];
    std::optional<uint64_t> copied;
    auto next_log = SteadyClock::now() + kLogInterval;
    for (;;) {
        const ssize_t n = ::read(read_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;   // every write end closed: the verb is done
        if (auto c = copied_bytes(std::string_view(buf, static_cast<size_t>(n)))) copied = c;
        if (!copied) continue;
        if (terminal_ || SteadyClock::now() >= next_log) {
            show(*copied, false);
            next_log = SteadyClock::now() + kLogInterval;
        }
    }
    if (copied) show(*copied, true);
}

}  // namespace ilvm::cli
