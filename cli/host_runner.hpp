// SPDX-License-Identifier: LGPL-2.1-or-later
// The System the host verbs (host-setup, host-validate, doctor's host checks) run their
// commands on: the real host, or under a test harness the same recording command wrapper
// the module gets (ILVM_COMMAND_WRAPPER), so every command still goes through one runner.
#pragma once

#include <optional>

#include "cli/context.hpp"
#include "common/host_system.hpp"
#include "common/wrapped_system.hpp"

namespace ilvm::cli {

class HostRunner {
public:
    explicit HostRunner(const Context &ctx) {
        if (auto it = ctx.module_options.find("command_wrapper"); it != ctx.module_options.end())
            wrapped_.emplace(host_, it->second);
    }
    System &system() { return wrapped_ ? static_cast<System &>(*wrapped_) : host_; }

private:
    HostSystem host_;
    std::optional<WrappedSystem> wrapped_;
};

}  // namespace ilvm::cli
