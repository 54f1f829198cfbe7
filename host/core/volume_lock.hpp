// SPDX-License-Identifier: LGPL-2.1-or-later
// One writer per volume on this host: an exclusive lock per volume that every maintenance
// verb (create, clone, wipe, upload, download, delete, resize, activate, deactivate) holds
// for its whole length, and the qemu hook holds while it checks and activates a domain's
// volumes. The file says who holds it, so a refusal or a wait can name the operation.
//
//   $ILVM_RUN_DIR/pools/<pool>.volumes/<volume>.lock
//
// Across hosts the same job is done by lvmlockd's LV locks; on one host a second local
// user of an LV that is already active here would pass them (lvchange -aey of an LV active
// here is a no-op), so this lock closes that gap.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/file_lock.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

// Who holds a volume's lock, as its file says.
struct VolumeLockHolder {
    bool domain = false;      // the qemu hook starting or stopping a domain (not maintenance)
    std::string operation;    // "vol-wipe", "start of domain web1", …
    long pid = 0;
    int64_t since = 0;        // unix seconds

    // "vol-wipe (pid 4711, for 12 s)"
    std::string describe(int64_t now) const;
};

class VolumeLock {
public:
    // Takes the volume's lock for `operation` (domain: the hook's own work), waiting up to
    // `wait` while another process holds it and, if it must wait, calling `on_wait` once with
    // the holder. Still held after the wait: a conflict naming the holder.
    static Result<VolumeLock> acquire(const PoolStore &store, const VolumeRef &v, const std::string &operation,
                                      bool domain, Clock &clock, std::chrono::milliseconds wait,
                                      const std::function<void(const VolumeLockHolder &)> &on_wait = {});
    // One attempt: the lock, or the holder that has it right now.
    static Result<std::variant<VolumeLock, VolumeLockHolder>> try_acquire(const PoolStore &store, const VolumeRef &v,
                                                                          const std::string &operation, bool domain);
    // The holder, while someone holds the volume's lock (a probe: takes nothing).
    static std::optional<VolumeLockHolder> holder(const PoolStore &store, const VolumeRef &v);

    // Every volume of `pool` whose lock is held right now, with its holder, in name order.
    static std::vector<std::pair<std::string, VolumeLockHolder>> held_in_pool(const PoolStore &store, const std::string &pool);

    const VolumeRef &volume() const { return volume_; }

private:
    VolumeLock(FileLock lock, VolumeRef v) : lock_(std::move(lock)), volume_(std::move(v)) {}
    FileLock lock_;
    VolumeRef volume_;
};

// The directory of a pool's per-volume files, created (0700) on demand.
Result<std::string> volume_state_dir(const PoolStore &store, const std::string &pool);

}  // namespace ilvm::host
