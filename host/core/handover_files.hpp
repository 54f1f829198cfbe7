// SPDX-License-Identifier: LGPL-2.1-or-later
// The live-migration hand-over's files on each host, in $ILVM_RUN_DIR/migrate (mode 0700):
//
//   <domain>.incoming  written by the destination's qemu hook at `migrate begin` (its mtime
//                      is when the hand-over began there); removed by `ilvm migrate-finish`,
//                      or by the hook's `release end` when the incoming domain goes away.
//   <domain>.lock      an flock held for the whole hand-over by `ilvm migrate` (source) and
//                      `ilvm migrate-finish` (destination), so two never run for one domain
//                      on one host. Held = in flight. Removed under the lock when a
//                      hand-over ends cleanly; one left behind (not held) means a hand-over
//                      here did not end cleanly, and `ilvm reconcile` then checks that the
//                      domain's volumes are exclusive again (and removes it once they are).
//
// Removing a lock file is safe only with a check after every flock that the path still
// names the locked inode: a waiter that locked an unlinked file retries on the new one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/file_lock.hpp"
#include "common/result.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::host {

// Domain names become file names: refuse what libvirt refuses ('/') and what is not a name.
Status validate_domain_file_name(const std::string &domain);

class HandoverFiles {
public:
    explicit HandoverFiles(std::string run_dir);   // $ILVM_RUN_DIR, not its pools/ subdirectory
    static HandoverFiles for_store(const PoolStore &store);

    const std::string &dir() const { return dir_; }
    std::string lock_path(const std::string &domain) const;
    std::string marker_path(const std::string &domain) const;

    // The domain's exclusive lock, creating the directory (0700) and file (0600) as needed.
    // Retries every 250 ms for up to `wait` (0: one attempt); a conflict when still held.
    Result<FileLock> lock(const std::string &domain, Clock &clock, std::chrono::milliseconds wait) const;
    // Someone holds the domain's lock right now. Probes with a shared, non-blocking flock,
    // so two probes never disturb each other; creates nothing.
    bool lock_held(const std::string &domain) const;
    bool has_lock_file(const std::string &domain) const;
    // The marker's mtime, or nothing when there is no marker.
    std::optional<std::chrono::system_clock::time_point> marker_time(const std::string &domain) const;
    void remove_marker(const std::string &domain) const;
    // Writes the marker (the destination's hook, at `migrate begin`), creating the directory.
    Status write_marker(const std::string &domain) const;
    // Every domain with a marker or a lock file, sorted, each once.
    std::vector<std::string> domains() const;

private:
    std::string run_dir_;
    std::string dir_;
};

}  // namespace ilvm::host
