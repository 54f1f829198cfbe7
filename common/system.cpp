// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/system.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "common/log.hpp"

namespace ilvm {

Result<mode_t> System::file_mode(const std::string &path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return not_found("no such file: " + path);
        return system_error("cannot stat " + path + ": " + std::strerror(errno));
    }
    return static_cast<mode_t>(st.st_mode & 07777);
}

Status System::make_directories(const std::string &path, mode_t mode) {
    // Each prefix ending before a '/', then the whole path; existing ones are fine.
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos < path.size() && path[pos] != '/') continue;
        const std::string dir = path.substr(0, pos);
        if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) continue;
        return system_error("cannot create directory " + dir + ": " + std::strerror(errno));
    }
    return {};
}

Result<CommandOutput> run_checked(System &sys, const Command &cmd, std::string_view what) {
    auto r = sys.run(cmd);
    if (!r.ok()) return r;
    if (!r->succeeded()) {
        std::string line = r->first_error_line();
        if (line.empty()) line = "exit status " + std::to_string(r->exit_code);
        return system_error(std::string(what) + ": " + line);
    }
    return r;
}

Status run_status(System &sys, const Command &cmd, std::string_view what) {
    auto r = run_checked(sys, cmd, what);
    if (!r.ok()) return r.take_error();
    return {};
}

}  // namespace ilvm
