// Domains running on this host as the reconciler sees them: libvirt's status files
// (/run/libvirt/qemu/<name>.xml), read as files like the qemu hook does, so a reconcile
// pass needs no libvirtd. Each with its state and its iscsi-lvm disks.
#pragma once

#include <string>
#include <vector>

#include "domain_disks.hpp"
#include "domains.hpp"
#include "volume_locks.hpp"

namespace ilvm::cli {

struct LocalDomain {
    std::string name;
    DomainRun run = DomainRun::active;
    std::vector<hook::DiskRef> disks;
};

// One entry per readable status file; unreadable ones are skipped with a warning.
std::vector<LocalDomain> read_status_dir(const std::string &dir, const std::vector<hook::PoolBinding> &pools);

// The volumes whose lock must be exclusive: disks neither <readonly/> nor <shareable/>
// (those are activated shared on purpose), each volume once, in disk order.
std::vector<VolumeRef> exclusive_volumes(const std::vector<hook::DiskRef> &disks);

}  // namespace ilvm::cli
