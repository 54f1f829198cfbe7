#include "common/file_lock.hpp"

// SPDX-License-Identifier: LGPL-2.1-or-later

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.hpp"

namespace ilvm {

Result<std::optional<FileLock>> FileLock::try_acquire(const std::string &path) {
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) return system_error("cannot open " + path + ": " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
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

bool FileLock::held(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // also drops our shared probe lock
    return busy;
}

FileLock::FileLock(FileLock &&o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
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
