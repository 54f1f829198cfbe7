// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/host_system.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/child_process.hpp"
#include "common/log.hpp"

namespace ilvm {

Result<CommandOutput> HostSystem::run(const Command &cmd) {
    if (cmd.argv.empty()) return internal_error("empty command");
    spdlog::debug("run: {}", cmd.display());
    ILVM_ASSIGN_OR_RETURN(ChildRun child, run_child_process(cmd, interrupt_fd_, progress_fd_));
    CommandOutput &o = child.output;
    switch (child.ending) {
    case ChildRun::Ending::timed_out:
        // What it said before it was killed is often the only clue to why it hung.
        if (auto said = o.loggable_stderr(); !said.empty())
            spdlog::debug("stderr of {} until it was killed:\n{}", cmd.argv[0], said);
        return system_error(cmd.argv[0] + " did not finish within " + std::to_string(cmd.timeout.count() / 1000) +
                            " s and was killed");
    case ChildRun::Ending::interrupted:
        return system_error(cmd.argv[0] + " was stopped: the command was interrupted (SIGINT, SIGTERM or SIGHUP)");
    case ChildRun::Ending::exited:
        break;
    }
    spdlog::debug("exit {}: {}", o.exit_code, cmd.argv[0]);
    // An error message quotes one line of it (CommandOutput::first_error_line); the rest is here.
    if (auto said = o.loggable_stderr(); !o.succeeded() && !said.empty()) spdlog::debug("stderr of {}:\n{}", cmd.argv[0], said);
    return std::move(o);
}

bool HostSystem::path_exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> HostSystem::read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return not_found("no such file: " + path);
        return system_error("cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Status HostSystem::write_file(const std::string &path, std::string_view content, mode_t mode) {
    return write_file_atomically(path, content, mode);
}

Result<std::vector<std::string>> HostSystem::list_dir(const std::string &path) {
    std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(path.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return not_found("no such directory: " + path);
        return system_error("cannot list " + path + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (auto *ent = ::readdir(d.get())) {
        std::string n = ent->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    return names;
}

void HostSystem::sleep_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::chrono::steady_clock::time_point HostSystem::now() { return std::chrono::steady_clock::now(); }

}  // namespace ilvm
