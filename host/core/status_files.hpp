// SPDX-License-Identifier: LGPL-2.1-or-later
// The domains libvirt runs on this host, read from its status files
// (/run/libvirt/qemu/<name>.xml: <domstatus state=… reason=…><domain>…) as files, never
// through libvirtd: the qemu hook must not call libvirt (libvirtd waits for the hook), and
// a reconcile pass should not need libvirtd. The one reader the hook, the reconciler and
// the hand-over share.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/core/domain_disks.hpp"
#include "host/core/domain_state.hpp"

namespace ilvm::host {

struct LocalDomain {
    std::string name;                   // the file's name without .xml
    DomainRun run = DomainRun::active;  // a <domain> without <domstatus> counts as running
    std::vector<DiskRef> disks;         // its iscsi-lvm disks
    bool paused = false;                // <domstatus state='paused'>, whatever the reason
};

// libvirt's status files can be large (a domain's live XML with its runtime state); past
// this, a file is refused rather than read.
inline constexpr std::size_t kMaxStatusFileBytes = 16 * 1024 * 1024;

struct UnreadableStatus {
    std::string path;     // the file (or the directory itself)
    std::string domain;   // the file's domain name; "" for the directory
    std::string why;
};

struct StatusDir {
    std::vector<LocalDomain> domains;   // one per readable status file, sorted by name
    // Files that could not be read or parsed. Callers that must decide from every domain
    // fail closed on these (the hook refuses a start; the reconciler releases nothing).
    std::vector<UnreadableStatus> unreadable;
};

// A directory that does not exist is empty (no domain has run here since boot).
StatusDir read_status_dir(const std::string &dir, const std::vector<PoolBinding> &pools);

// libvirt's qemu status directory: $ILVM_LIBVIRT_STATUS_DIR, else /run/libvirt/qemu.
std::string status_dir();

// The iscsi-lvm disks of every domain but `self`; an error naming the first status file of
// another domain that cannot be read (what it uses is unknown).
Result<std::vector<DiskRef>> disks_of_others(const StatusDir &status, const std::string &self);

}  // namespace ilvm::host
