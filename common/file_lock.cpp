// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace ilvm {

Result<std::optional<FileLock>> FileLock::try_acquire(const std::string &path, LockMode mode) {
    const int how = (mode == LockMode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) return system_error("cannot open " + path + ": " + std::strerror(errno));
        if (::flock(fd, how) != 0) {
            const int e = errno;
            ::close(fd);
            if (e == EWOULDBLOCK) return std::optional<FileLock>{};
            return system_error("cannot lock " + path + ": " + std::strerror(e));
        }
        struct stat held{}, named{};
        if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            return std::optional<FileLock>(FileLock(fd, path));
        ::close(fd);  // removed (or replaced) by the previous holder: lock the current file
    }
}

Result<std::optional<FileLock>> FileLock::acquire(const std::string &path, LockMode mode, Clock &clock,
                                                  std::chrono::milliseconds wait, const std::function<void()> &on_wait) {
    const auto deadline = clock.now() + wait;
    bool said = false;
    for (;;) {
        ILVM_ASSIGN_OR_RETURN(auto lock, try_acquire(path, mode));
        if (lock || clock.now() >= deadline) return lock;
        if (!said && on_wait) on_wait();
        said = true;
        clock.sleep_for(std::chrono::milliseconds(100));
    }
}

bool FileLock::held(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // also drops our shared probe lock
    return busy;
}

std::string FileLock::description(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return {};
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n > 0 ? std::string(trim(std::string_view(buf, static_cast<size_t>(n)))) : std::string();
}

FileLock::FileLock(FileLock &&o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Status FileLock::describe(const std::string &text) {
    const std::string line = text + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
        return system_error("cannot write " + path_ + ": " + std::strerror(errno));
    return {};
}

void FileLock::remove_and_release() {
    if (fd_ < 0) return;
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
        spdlog::warn("cannot remove lock file {}: {} (going on: the lock is released all the same)", path_,
                     std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
}

}  // namespace ilvm
