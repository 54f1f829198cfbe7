// SPDX-License-Identifier: LGPL-2.1-or-later
// An exclusive flock(2) on a lock file, held for the guard's lifetime: how two processes on
// this host agree that only one of them changes a pool, or hands one domain over, at a time.
//
// After every flock the path is checked to still name the locked inode. That is what makes
// it safe for a holder to remove the lock file while holding it (remove_and_release): a
// waiter that locked the unlinked file sees the mismatch and locks the new file instead.
#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

namespace ilvm {

class FileLock {
public:
    // One attempt, never blocking: the lock, or nullopt while another process holds it.
    // Creates the file (0600) if needed; its directory must exist.
    static Result<std::optional<FileLock>> try_acquire(const std::string &path);
    // Someone holds the lock right now. Probes with a shared, non-blocking flock, so two
    // probes never disturb each other; creates nothing.
    static bool held(const std::string &path);

    FileLock(FileLock &&o) noexcept;
    FileLock &operator=(FileLock &&) = delete;
    FileLock(const FileLock &) = delete;
    ~FileLock();

    // Removes the lock file (still holding it), then lets go: for a lock whose file must not
    // outlive a clean end.
    void remove_and_release();

private:
    FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
};

}  // namespace ilvm
