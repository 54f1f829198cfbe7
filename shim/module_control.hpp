// VolumeControl backed by the iscsi-lvm.so module and the host's pool definitions.
#pragma once

#include <map>
#include <string>

#include "backend_module.hpp"
#include "hook.hpp"
#include "pool_store.hpp"

namespace ilvm::hook {

class ModuleControl final : public VolumeControl {
public:
    ModuleControl(BackendModule &module, const PoolStore &store) : module_(module), store_(store) {}

    bool pool_started(const std::string &pool) override { return store_.active(pool); }
    Result<bool> active_here(const std::string &pool, const std::string &volume) override;
    Result<bool> activate(const std::string &pool, const std::string &volume, bool shared) override;
    Status deactivate(const std::string &pool, const std::string &volume) override;

private:
    Result<std::string> pool_xml(const std::string &pool);

    BackendModule &module_;
    const PoolStore &store_;
    std::map<std::string, std::string> cache_;
};

// Bindings (name, VG) of every defined pool.
std::vector<PoolBinding> load_pool_bindings(const PoolStore &store);

// iscsi-lvm disks of running domains other than `self`, from libvirt's status directory
// (/run/libvirt/qemu/<name>.xml): reading files, not calling libvirt.
std::vector<DiskRef> disks_of_running_domains(const std::string &status_dir, const std::string &self,
                                              const std::vector<PoolBinding> &pools);

}  // namespace ilvm::hook
