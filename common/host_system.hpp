// SPDX-License-Identifier: LGPL-2.1-or-later
// The real System: commands as child processes (common/child_process.hpp: argv, no shell),
// POSIX for files.
#pragma once

#include "common/system.hpp"

namespace ilvm {

class HostSystem final : public System {
public:
    // `interrupt_fd` (or -1): a pipe the host program writes a byte to when it is asked to
    // stop (SIGINT, SIGTERM, SIGHUP). The command running then is killed and run() fails
    // ("interrupted"), so the backend's rollback runs; the byte is consumed, so the rollback's
    // own commands run normally.
    // `progress_fd` (or -1): where the stderr of commands that report progress goes as it
    // comes (common/child_process.hpp): the CLI's --progress reads it.
    explicit HostSystem(int interrupt_fd = -1, int progress_fd = -1) : interrupt_fd_(interrupt_fd), progress_fd_(progress_fd) {}

    Result<CommandOutput> run(const Command &cmd) override;
    bool path_exists(const std::string &path) override;
    Result<std::string> read_file(const std::string &path) override;
    Status write_file(const std::string &path, std::string_view content, mode_t mode) override;
    Result<std::vector<std::string>> list_dir(const std::string &path) override;
    void sleep_for(std::chrono::milliseconds d) override;
    std::chrono::steady_clock::time_point now() override;

private:
    int interrupt_fd_;
    int progress_fd_;
};

}  // namespace ilvm
