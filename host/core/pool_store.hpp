// SPDX-License-Identifier: LGPL-2.1-or-later
// Where pool definitions and runtime state live, like libvirt's /etc/libvirt/storage and
// /run/libvirt/storage: persistent XML in the config dir (default /etc/iscsi-lvm/pools,
// $ILVM_CONFIG_DIR overrides the /etc/iscsi-lvm part), an autostart/ directory of links,
// and the live XML of active pools in the run dir (/run/iscsi-lvm, $ILVM_RUN_DIR).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/file_lock.hpp"
#include "common/result.hpp"

namespace ilvm::host {

class PoolStore {
public:
    PoolStore(std::string config_dir, std::string run_dir);
    static PoolStore from_environment();

    // Refuses (conflict) when the config dir, its pools/ and pools/autostart/, the run dir or
    // its pools/ exists but is not a directory, is owned by neither root nor us, or is writable
    // by group or others (common/atomic_file.hpp): a definition there may not be ours. Verbs
    // check before they read anything here, so pool-autostart-all at boot starts nothing from a
    // tampered directory.
    Status check_directories() const;

    std::string definition_path(const std::string &name) const;
    std::string runtime_path(const std::string &name) const;
    std::string autostart_path(const std::string &name) const;

    // Defined pools, sorted; none when the config dir does not exist. An error when it exists
    // but cannot be listed (a file, no permission): callers that must fail closed use this.
    Result<std::vector<std::string>> list() const;
    std::vector<std::string> names() const;   // list(), logging an error as none
    bool exists(const std::string &name) const;
    Result<std::string> load(const std::string &name) const;   // persistent XML
    Status save(const std::string &name, const std::string &xml) const;
    Status remove(const std::string &name) const;

    bool active(const std::string &name) const;
    Result<std::string> load_runtime(const std::string &name) const;
    Status save_runtime(const std::string &name, const std::string &xml) const;
    Status clear_runtime(const std::string &name) const;
    // Other per-pool runtime state, <run_dir>/<name>.<ext> (e.g. the reconciler's "idle"
    // bookkeeping): "" when absent; written atomically with mode 0600.
    std::string load_runtime_file(const std::string &name, const std::string &ext) const;
    Status save_runtime_file(const std::string &name, const std::string &ext, const std::string &content) const;
    void remove_runtime_file(const std::string &name, const std::string &ext) const;
    // The same kept as a log: `block` appended (mode 0600), so that runs at the same moment
    // each keep theirs (common/atomic_file.hpp append_state_file).
    Status append_runtime_file(const std::string &name, const std::string &ext, const std::string &block) const;
    std::string runtime_file_path(const std::string &name, const std::string &ext) const;

    bool autostart(const std::string &name) const;
    Status set_autostart(const std::string &name, bool on) const;

    // The pool's lock, <run_dir>/<name>.lock, for the lifetime of the returned guard:
    // exclusive for what changes the pool itself (define, build, start, destroy, delete,
    // undefine, autostart), shared for volume work (many at once; each volume has its own
    // lock, volume_lock.hpp). Waits up to `wait` (0: one attempt), calling `on_wait` once if it
    // must wait; still held then: a conflict.
    Result<FileLock> lock(const std::string &name, LockMode mode, Clock &clock, std::chrono::milliseconds wait,
                          const std::function<void()> &on_wait = {}) const;
    // One exclusive attempt, never waiting (the reconciler skips a pool that is busy).
    Result<FileLock> lock(const std::string &name) const;

    const std::string &config_dir() const { return config_dir_; }
    const std::string &run_dir() const { return run_dir_; }

private:
    std::string config_dir_;
    std::string run_dir_;
};

}  // namespace ilvm::host
