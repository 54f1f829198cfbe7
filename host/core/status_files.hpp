// SPDX-License-Identifier: LGPL-2.1-or-later
// The domains libvirt runs on this host, read from its status files
// (/run/libvirt/qemu/<name>.xml: <domstatus state=… reason=…><domain>…) as files, never
// through libvirtd: the qemu hook must not call libvirt (libvirtd waits for the hook), and
// a reconcile pass should not need libvirtd. The one reader the hook, the reconciler and
// the hand-over share.
#pragma once

#include <string>
#include <vector>

#include "host/core/domain_disks.hpp"
#include "host/core/domain_state.hpp"

namespace ilvm::host {

struct LocalDomain {
    std::string name;                   // the file's name without .xml
    DomainRun run = DomainRun::active;  // a <domain> without <domstatus> counts as running
    std::vector<DiskRef> disks;         // its iscsi-lvm disks
};

// One entry per readable status file, sorted by name; unreadable ones are skipped with a
// warning. `$ILVM_LIBVIRT_STATUS_DIR` overrides the directory in status_dir().
std::vector<LocalDomain> read_status_dir(const std::string &dir, const std::vector<PoolBinding> &pools);

// libvirt's qemu status directory: $ILVM_LIBVIRT_STATUS_DIR, else /run/libvirt/qemu.
std::string status_dir();

// The iscsi-lvm disks of every domain but `self`.
std::vector<DiskRef> disks_of_others(const std::vector<LocalDomain> &domains, const std::string &self);

}  // namespace ilvm::host
