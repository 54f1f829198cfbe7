// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/volume_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::host {
namespace {

// "maintenance|domain <TAB> operation <TAB> pid <TAB> since": one line, written by the holder.
std::string format_holder(bool domain, const std::string &operation) {
    return std::string(domain ? "domain" : "maintenance") + "\t" + operation + "\t" + std::to_string(::getpid()) + "\t" +
           std::to_string(unix_seconds());
}

VolumeLockHolder parse_holder(const std::string &text) {
    VolumeLockHolder h;
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t tab; (tab = text.find('\t', start)) != std::string::npos; start = tab + 1) f.push_back(text.substr(start, tab - start));
    f.push_back(text.substr(start));
    if (f.size() != 4) {
        // Between another holder's flock and its describe(), or a damaged file.
        h.operation = "another ilvm command or the qemu hook";
        return h;
    }
    h.domain = f[0] == "domain";
    h.operation = f[1];
    h.pid = static_cast<long>(parse_digits(f[2]).value_or(0));
    h.since = static_cast<int64_t>(parse_digits(f[3]).value_or(0));
    return h;
}

Status make_private_dir(const std::string &dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return system_error("cannot create " + dir + ": " + std::strerror(errno));
    return {};
}

std::string lock_path(const std::string &dir, const VolumeRef &v) { return dir + "/" + v.volume + ".lock"; }

}  // namespace

std::string VolumeLockHolder::describe(int64_t now) const {
    std::string s = operation;
    if (pid > 0) {
        s += " (pid " + std::to_string(pid);
        if (since > 0 && now >= since) s += ", for " + std::to_string(now - since) + " s";
        s += ")";
    }
    return s;
}

Result<std::string> volume_state_dir(const PoolStore &store, const std::string &pool) {
    ILVM_TRY(make_private_dir(store.run_dir()));
    const std::string dir = store.run_dir() + "/" + pool + ".volumes";
    ILVM_TRY(make_private_dir(dir));
    return dir;
}

Result<std::variant<VolumeLock, VolumeLockHolder>> VolumeLock::try_acquire(const PoolStore &store, const VolumeRef &v,
                                                                           const std::string &operation, bool domain) {
    ILVM_ASSIGN_OR_RETURN(std::string dir, volume_state_dir(store, v.pool));
    const std::string path = lock_path(dir, v);
    ILVM_ASSIGN_OR_RETURN(auto lock, FileLock::try_acquire(path, LockMode::exclusive));
    if (!lock) return std::variant<VolumeLock, VolumeLockHolder>(parse_holder(FileLock::description(path)));
    ILVM_TRY(lock->describe(format_holder(domain, operation)));
    return std::variant<VolumeLock, VolumeLockHolder>(VolumeLock(std::move(*lock), v));
}

Result<VolumeLock> VolumeLock::acquire(const PoolStore &store, const VolumeRef &v, const std::string &operation,
                                       bool domain, Clock &clock, std::chrono::milliseconds wait,
                                       const std::function<void(const VolumeLockHolder &)> &on_wait) {
    const auto deadline = clock.now() + wait;
    bool said = false;
    for (;;) {
        ILVM_ASSIGN_OR_RETURN(auto got, try_acquire(store, v, operation, domain));
        if (auto *lock = std::get_if<VolumeLock>(&got)) return std::move(*lock);
        const auto &holder = std::get<VolumeLockHolder>(got);
        if (clock.now() >= deadline)
            return conflict("volume " + v.display() + " is busy: " + holder.describe(unix_seconds()),
                            "wait for it to finish, or give the command more time with --wait SECONDS");
        if (!said && on_wait) on_wait(holder);
        said = true;
        clock.sleep_for(std::chrono::milliseconds(100));
    }
}

std::vector<std::pair<std::string, VolumeLockHolder>> VolumeLock::held_in_pool(const PoolStore &store, const std::string &pool) {
    std::vector<std::pair<std::string, VolumeLockHolder>> out;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(store.run_dir() + "/" + pool + ".volumes", ec)) {
        if (e.path().extension() != ".lock") continue;
        if (auto h = holder(store, {pool, e.path().stem().string()})) out.emplace_back(e.path().stem().string(), *h);
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    return out;
}

std::optional<VolumeLockHolder> VolumeLock::holder(const PoolStore &store, const VolumeRef &v) {
    const std::string path = lock_path(store.run_dir() + "/" + v.pool + ".volumes", v);
    if (!FileLock::held(path)) return std::nullopt;
    return parse_holder(FileLock::description(path));
}

}  // namespace ilvm::host
