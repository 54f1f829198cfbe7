// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/system.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "common/atomic_file.hpp"
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

Status System::make_directories(const std::string &path, mode_t mode) { return make_directory_tree(path, mode); }

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
