// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

namespace ilvm {
namespace {

std::string parent_of(const std::string &path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status write_file_atomically(const std::string &path, std::string_view content, mode_t mode) {
    GError *error = nullptr;
    const auto flags = static_cast<GFileSetContentsFlags>(G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE);
    if (!g_file_set_contents_full(path.c_str(), content.data(), static_cast<gssize>(content.size()), flags,
                                  static_cast<int>(mode), &error)) {
        std::string why = error ? error->message : "unknown error";
        g_clear_error(&error);
        return system_error("cannot write " + path + ": " + why);
    }
    const std::string dir = parent_of(path);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return system_error("cannot open directory " + dir + ": " + std::strerror(errno));
    const bool synced = ::fsync(fd) == 0;
    const int e = errno;
    ::close(fd);
    if (!synced) return system_error("cannot sync directory " + dir + ": " + std::strerror(e));
    return {};
}

}  // namespace ilvm
