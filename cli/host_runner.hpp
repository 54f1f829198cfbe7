// SPDX-License-Identifier: LGPL-2.1-or-later
// The System the host verbs (host-setup, host-validate, doctor's host checks) run their
// commands on: common/command_runner.hpp with the command wrapper the module gets
// (ILVM_COMMAND_WRAPPER under a test harness), so every command still goes through one runner.
#pragma once

#include "cli/context.hpp"
#include "common/command_runner.hpp"

namespace ilvm::cli {

class HostRunner : public CommandRunner {
public:
    explicit HostRunner(const Context &ctx) : CommandRunner(command_wrapper(ctx.module_options)) {}
};

}  // namespace ilvm::cli
