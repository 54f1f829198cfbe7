// SPDX-License-Identifier: LGPL-2.1-or-later
// Everything the backend does to the host goes through System: commands, the few files
// we own (open-iscsi node records, state), device-node polling and the clock. The real
// implementation is HostSystem; tests use a fake that records and scripts all of it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/command.hpp"
#include "common/result.hpp"

namespace ilvm {

class System {
public:
    virtual ~System() = default;

    // Runs argv. Returns an Error only when the command could not be run at all
    // (missing binary, timeout); a non-zero exit is reported in CommandOutput.
    virtual Result<CommandOutput> run(const Command &cmd) = 0;

    virtual bool path_exists(const std::string &path) = 0;
    virtual Result<std::string> read_file(const std::string &path) = 0;
    // Atomic replace (write temp + rename); the file is created with `mode` from the start
    // so a secret is never readable by others, not even briefly.
    virtual Status write_file(const std::string &path, std::string_view content, mode_t mode) = 0;
    virtual Result<std::vector<std::string>> list_dir(const std::string &path) = 0;
    // Permission bits (07777) of a file, or not_found. Added for `ilvm host-setup`/
    // `host-validate` after HostSystem existed: the default stat(2)s the path, which is
    // what HostSystem would do; fakes override it.
    virtual Result<mode_t> file_mode(const std::string &path);
    // `mkdir -p`: creates the missing directories of `path` with exactly `mode`, whatever the
    // umask (common/atomic_file.hpp). Same default story.
    virtual Status make_directories(const std::string &path, mode_t mode);

    virtual void sleep_for(std::chrono::milliseconds d) = 0;
    virtual std::chrono::steady_clock::time_point now() = 0;
};

// Runs a command and turns a non-zero exit into a system-class Error whose message is
// "<what>: <first line of stderr>".
Result<CommandOutput> run_checked(System &sys, const Command &cmd, std::string_view what);
// The same when only success matters.
Status run_status(System &sys, const Command &cmd, std::string_view what);

}  // namespace ilvm
