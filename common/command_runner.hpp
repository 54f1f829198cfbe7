// SPDX-License-Identifier: LGPL-2.1-or-later
// The System a program runs its external commands on: the real host, or, under a test
// harness, the host through the recording command wrapper (the module option
// "command_wrapper", from ILVM_COMMAND_WRAPPER), so that every command of the backend, the
// CLI's host verbs and ilvmd goes through one runner. Not movable: the wrapper refers to
// the host it wraps.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/host_system.hpp"
#include "common/wrapped_system.hpp"

namespace ilvm {

class CommandRunner {
public:
    // `wrapper` "": the host itself. `interrupt_fd`, `progress_fd`: as HostSystem's.
    explicit CommandRunner(const std::string &wrapper = {}, int interrupt_fd = -1, int progress_fd = -1)
        : host_(interrupt_fd, progress_fd) {
        if (!wrapper.empty()) wrapped_.emplace(host_, wrapper);
    }
    CommandRunner(const CommandRunner &) = delete;
    CommandRunner &operator=(const CommandRunner &) = delete;

    System &system() { return wrapped_ ? static_cast<System &>(*wrapped_) : host_; }

private:
    HostSystem host_;
    std::optional<WrappedSystem> wrapped_;
};

// The wrapper a module's options name ("command_wrapper"), or "".
inline std::string command_wrapper(const std::map<std::string, std::string> &module_options) {
    auto it = module_options.find("command_wrapper");
    return it == module_options.end() ? std::string() : it->second;
}

}  // namespace ilvm
