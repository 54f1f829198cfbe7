// SPDX-License-Identifier: LGPL-2.1-or-later
// Where pool definitions and runtime state live, like libvirt's /etc/libvirt/storage and
// /run/libvirt/storage: persistent XML in the config dir (default /etc/iscsi-lvm/pools,
// $ILVM_CONFIG_DIR overrides the /etc/iscsi-lvm part), an autostart/ directory of links,
// and the live XML of active pools in the run dir (/run/iscsi-lvm, $ILVM_RUN_DIR).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "common/result.hpp"

namespace ilvm::host {

class PoolStore {
public:
    PoolStore(std::string config_dir, std::string run_dir);
    static PoolStore from_environment();

    std::string definition_path(const std::string &name) const;
    std::string runtime_path(const std::string &name) const;
    std::string autostart_path(const std::string &name) const;

    std::vector<std::string> names() const;   // defined pools, sorted
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

    bool autostart(const std::string &name) const;
    Status set_autostart(const std::string &name, bool on) const;

    // An exclusive flock on <run_dir>/<name>.lock for the lifetime of the returned guard,
    // so two ilvm commands never change the same pool at once on this host.
    Result<FileLock> lock(const std::string &name) const;

    const std::string &config_dir() const { return config_dir_; }
    const std::string &run_dir() const { return run_dir_; }

private:
    std::string config_dir_;
    std::string run_dir_;
};

}  // namespace ilvm::host
