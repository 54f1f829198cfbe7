// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ilvm {
namespace {

std::string parent_of(const std::string &path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string errno_text() { return std::strerror(errno); }

Status write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error(errno_text());
        content.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status sync_directory(const std::string &dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return system_error("cannot open directory " + dir + ": " + errno_text());
    const bool synced = ::fsync(fd) == 0;
    const int e = errno;
    ::close(fd);
    if (!synced) return system_error("cannot sync directory " + dir + ": " + std::strerror(e));
    return {};
}

}  // namespace

Status write_file_atomically(const std::string &path, std::string_view content, mode_t mode) {
    std::string tmp = path + ".XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);   // 0600 from the start
    if (fd < 0) return system_error("cannot write " + path + ": cannot create a temporary file: " + errno_text());
    Status st;
    if (::fchmod(fd, mode & 07777) != 0) st = system_error(errno_text());
    if (st.ok()) st = write_all(fd, content);
    if (st.ok() && ::fsync(fd) != 0) st = system_error(errno_text());
    if (::close(fd) != 0 && st.ok()) st = system_error(errno_text());
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = system_error(errno_text());
    if (!st.ok()) {
        ::unlink(tmp.c_str());
        return system_error("cannot write " + path + ": " + st.error().message);
    }
    return sync_directory(parent_of(path));
}

Status make_directory_tree(const std::string &path, mode_t mode) {
    // Each prefix ending before a '/', then the whole path; existing ones are fine.
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos < path.size() && path[pos] != '/') continue;
        if (path[pos - 1] == '/') continue;   // "a//b", "a/"
        const std::string dir = path.substr(0, pos);
        if (::mkdir(dir.c_str(), mode & 07777) == 0) {
            // mkdir applied the umask; ours is the mode asked for.
            if (::chmod(dir.c_str(), mode & 07777) != 0)
                return system_error("cannot set the mode of directory " + dir + ": " + errno_text());
            continue;
        }
        if (errno == EEXIST) continue;
        return system_error("cannot create directory " + dir + ": " + errno_text());
    }
    return {};
}

Status check_trusted_directory(const std::string &path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return system_error("cannot check directory " + path + ": " + errno_text());
    }
    const std::string distrust = ": ilvm does not trust the files in it";
    if (!S_ISDIR(st.st_mode))
        return conflict(path + " is not a directory",
                        "ILVM_CONFIG_DIR and ILVM_RUN_DIR must name directories; move the file away or point them elsewhere");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        return conflict(path + " is owned by uid " + std::to_string(st.st_uid) + ", not root" + distrust,
                        "chown root: " + path);
    const bool group = (st.st_mode & S_IWGRP) != 0, others = (st.st_mode & S_IWOTH) != 0;
    if (group || others)
        return conflict(path + " is writable by " + (group && others ? "group and others" : group ? "group" : "others") +
                            distrust,
                        "chmod go-w " + path);
    return {};
}

Status append_state_file(const std::string &path, std::string_view block, mode_t mode) {
    // One descriptor, closed on every way out.
    struct Fd {
        int fd;
        ~Fd() {
            if (fd >= 0) ::close(fd);
        }
    } f{::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (f.fd < 0) return system_error("cannot append to " + path + ": " + errno_text());
    if (::fchmod(f.fd, mode & 07777) != 0) return system_error("cannot set the mode of " + path + ": " + errno_text());
    if (Status st = write_all(f.fd, block); !st.ok()) return system_error("cannot append to " + path + ": " + st.error().message);
    if (::fsync(f.fd) != 0) return system_error("cannot sync " + path + ": " + errno_text());
    const int fd = f.fd;
    f.fd = -1;
    if (::close(fd) != 0) return system_error("cannot append to " + path + ": " + errno_text());
    return {};
}

Result<std::optional<std::string>> read_state_file(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        return system_error("cannot read " + path + ": " + errno_text());
    }
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) return system_error("cannot read " + path + ": " + std::strerror(read_errno));
    return std::optional<std::string>(std::move(text));
}

}  // namespace ilvm
