// SPDX-License-Identifier: LGPL-2.1-or-later
// A System decorator that runs an LVM command again when lvmlockd refused it a lock because
// sanlock could not read or write the lease in time (ToolMessage::lock_io_error, lvmlockd's
// ELOCKIO): the command failed before it did anything, and the next request is usually
// granted. Seen in the lab under load: sanlock's "aio timeout RD … ioto 10" on the LUN, then
// "Cannot access VG vg_san due to failed lock" from vol-create-as's lvchange and "Global lock
// failed: error -221" from pool-start's pvs, each granted a second later.
//
// At most kLockIoAttempts runs, with a pause of kLockIoPause x the attempt in between; each
// retry is logged with what LVM said. A lock another host holds ("locked by other host") or
// any other failure is returned at once: lvmlockd already decided those.
#pragma once

#include <chrono>

#include "common/system.hpp"

namespace ilvm {

inline constexpr int kLockIoAttempts = 3;
inline constexpr std::chrono::milliseconds kLockIoPause{1000};

class LockIoRetry final : public System {
public:
    explicit LockIoRetry(System &inner) : inner_(inner) {}

    Result<CommandOutput> run(const Command &cmd) override;
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
};

}  // namespace ilvm
