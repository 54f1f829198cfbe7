// SPDX-License-Identifier: LGPL-2.1-or-later
// The base of System decorators: everything goes to the inner System; a decorator overrides
// what it changes (WrappedSystem: run() through a test wrapper; the backend's LockIoRetry:
// run() again on a lock I/O error).
#pragma once

#include "common/system.hpp"

namespace ilvm {

class ForwardingSystem : public System {
public:
    explicit ForwardingSystem(System &inner) : inner_(inner) {}

    Result<CommandOutput> run(const Command &cmd) override { return inner_.run(cmd); }
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

protected:
    System &inner() { return inner_; }

private:
    System &inner_;
};

}  // namespace ilvm
