// SPDX-License-Identifier: LGPL-2.1-or-later
// A flock(2) on a lock file, held for the guard's lifetime: how processes on this host agree
// that only one of them changes a pool, works on a volume, or hands one domain over, at a
// time. Exclusive, or shared (many shared holders at once, none while an exclusive one holds).
//
// After every flock the path is checked to still name the locked inode. That is what makes
// it safe for a holder to remove the lock file while holding it (remove_and_release): a
// waiter that locked the unlinked file sees the mismatch and locks the new file instead.
//
// An exclusive holder may describe itself in the file (describe()): what waits for it can
// then say what it waits for ("vol-wipe of san/vm1, pid 4711").
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace ilvm {

enum class LockMode { shared, exclusive };

class FileLock {
public:
    // One attempt, never blocking: the lock, or nullopt while another process holds it in a
    // conflicting mode. Creates the file (0600) if needed; its directory must exist.
    static Result<std::optional<FileLock>> try_acquire(const std::string &path, LockMode mode = LockMode::exclusive);
    // Attempts every 100 ms until `wait` has passed (0: one attempt); `on_wait` is called
    // once, before the first sleep. nullopt: still held when the wait ran out.
    static Result<std::optional<FileLock>> acquire(const std::string &path, LockMode mode, Clock &clock,
                                                   std::chrono::milliseconds wait,
                                                   const std::function<void()> &on_wait = {});
    // Someone holds the lock exclusively right now. Probes with a shared, non-blocking
    // flock, so two probes never disturb each other; creates nothing.
    static bool held(const std::string &path);
    // What the exclusive holder wrote with describe() ("" when nothing or unreadable).
    static std::string description(const std::string &path);

    FileLock(FileLock &&o) noexcept;
    FileLock &operator=(FileLock &&) = delete;
    FileLock(const FileLock &) = delete;
    ~FileLock();

    // Replaces the file's content with `text` (one line): who holds it and why.
    Status describe(const std::string &text);
    // Removes the lock file (still holding it), then lets go: for a lock whose file must not
    // outlive a clean end.
    void remove_and_release();

private:
    FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
};

}  // namespace ilvm
