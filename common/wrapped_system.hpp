// SPDX-License-Identifier: LGPL-2.1-or-later
// A System decorator that runs every command through a wrapper program
// (`<wrapper> <argv...>`). Only for test harnesses that exercise a whole host binary
// (the CLI, the hook) against a recording fake of lvm/iscsiadm; never set in production.
#pragma once

#include <string>

#include "common/forwarding_system.hpp"

namespace ilvm {

class WrappedSystem final : public ForwardingSystem {
public:
    WrappedSystem(System &inner, std::string wrapper) : ForwardingSystem(inner), wrapper_(std::move(wrapper)) {}

    Result<CommandOutput> run(const Command &cmd) override {
        Command wrapped = cmd;
        wrapped.argv.insert(wrapped.argv.begin(), wrapper_);
        return inner().run(wrapped);
    }

private:
    std::string wrapper_;
};

}  // namespace ilvm
