// SPDX-License-Identifier: LGPL-2.1-or-later
// A System decorator that runs every command through a wrapper program
// (`<wrapper> <argv...>`). Only for test harnesses that exercise a whole host binary
// (the CLI, the hook) against a recording fake of lvm/iscsiadm; never set in production.
#pragma once

#include <string>

#include "common/system.hpp"

namespace ilvm {

class WrappedSystem final : public System {
public:
    WrappedSystem(System &inner, std::string wrapper) : inner_(inner), wrapper_(std::move(wrapper)) {}

    Result<CommandOutput> run(const Command &cmd) override {
        Command wrapped = cmd;
        wrapped.argv.insert(wrapped.argv.begin(), wrapper_);
        return inner_.run(wrapped);
    }
    bool path_exists(const std::string &path) override { return inner_.path_exists(path); }
    Result<std::string> read_file(const std::string &path) override { return inner_.read_file(path); }
    Status write_file(const std::string &path, std::string_view content, mode_t mode) override {
        return inner_.write_file(path, content, mode);
    }
    Result<std::vector<std::string>> list_dir(const std::string &path) override { return inner_.list_dir(path); }
    Result<mode_t> file_mode(const std::string &path) override { return inner_.file_mode(path); }
    Status make_directories(const std::string &path, mode_t mode) override { return inner_.make_directories(path, mode); }
    void sleep_for(std::chrono::milliseconds d) override { inner_.sleep_for(d); }
    std::chrono::steady_clock::time_point now() override { return inner_.now(); }

private:
    System &inner_;
    std::string wrapper_;
};

}  // namespace ilvm
