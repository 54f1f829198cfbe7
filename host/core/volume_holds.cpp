// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/volume_holds.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "host/core/volume_lock.hpp"

namespace ilvm::host {
namespace {

constexpr const char *kHoldExt = ".hold";

std::string holds_dir(const PoolStore &store, const std::string &pool) { return store.run_dir() + "/" + pool + ".volumes"; }

std::string hold_path(const PoolStore &store, const VolumeRef &v) { return holds_dir(store, v.pool) + "/" + v.volume + kHoldExt; }

// The end of each hold of `pool`; nullopt for a hold that cannot be read.
std::map<std::string, std::optional<int64_t>> read_holds(const PoolStore &store, const std::string &pool) {
    std::map<std::string, std::optional<int64_t>> out;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(holds_dir(store, pool), ec)) {
        if (e.path().extension() != kHoldExt) continue;
        auto text = read_state_file(e.path().string());
        std::optional<uint64_t> until = text.ok() && *text ? parse_digits(trim(**text)) : std::nullopt;
        if (!until) spdlog::warn("{} is unreadable or damaged: the volume counts as held", e.path().string());
        out[e.path().stem().string()] = until ? std::optional<int64_t>(static_cast<int64_t>(*until)) : std::nullopt;
    }
    return out;
}

}  // namespace

Status hold_volume(const PoolStore &store, const VolumeRef &v, int64_t until) {
    ILVM_TRY(volume_state_dir(store, v.pool));
    return write_file_atomically(hold_path(store, v), std::to_string(until) + "\n", 0600);
}

Status release_hold(const PoolStore &store, const VolumeRef &v) {
    const std::string path = hold_path(store, v);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("cannot remove " + path + ": " + std::strerror(errno));
    return {};
}

std::set<std::string> held_volumes(const PoolStore &store, const std::string &pool, int64_t now) {
    std::set<std::string> out;
    for (const auto &[vol, until] : read_holds(store, pool))
        if (!until || *until > now) out.insert(vol);
    return out;
}

std::set<std::string> remove_ended_holds(const PoolStore &store, const std::string &pool, int64_t now) {
    std::set<std::string> out;
    for (const auto &[vol, until] : read_holds(store, pool)) {
        if (!until || *until > now) continue;
        auto st = release_hold(store, {pool, vol});
        if (st.ok()) out.insert(vol);
        else spdlog::warn("{} (the ended hold is tried again next pass)", st.error().message);
    }
    return out;
}

}  // namespace ilvm::host
