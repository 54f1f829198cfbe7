// SPDX-License-Identifier: LGPL-2.1-or-later
// The real System: GLib's GSubprocess for commands (argv, no shell), POSIX for files.
#pragma once

#include "common/system.hpp"

namespace ilvm {

class HostSystem final : public System {
public:
    Result<CommandOutput> run(const Command &cmd) override;
    bool path_exists(const std::string &path) override;
    Result<std::string> read_file(const std::string &path) override;
    Status write_file(const std::string &path, std::string_view content, mode_t mode) override;
    Result<std::vector<std::string>> list_dir(const std::string &path) override;
    void sleep_for(std::chrono::milliseconds d) override;
    std::chrono::steady_clock::time_point now() override;
};

}  // namespace ilvm
