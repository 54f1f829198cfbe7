// SPDX-License-Identifier: LGPL-2.1-or-later
// A running domain's snapshot of one of its qcow2 volumes (issue 18), as `ilvm
// vol-snapshot-create` takes it when a domain here is recorded to use the volume:
//
//   1. the module makes the new top, an empty overlay on the volume's LV (begin);
//   2. libvirt switches the domain's disk to it: a disk-only external snapshot into that
//      existing image (Domains::snapshot_disks), QEMU writing the new top from then on;
//   3. the domain's owner record moves to the new top: the hook's release at the domain's
//      stop deactivates the chain the domain uses now;
//   4. the module records the chain (commit): the volume's LV becomes the snapshot's layer,
//      the new top the volume.
// libvirt's refusal removes the new top again (abort) and changes nothing else. The caller
// holds the volume's host lock (host/core/volume_lock.hpp) and the domain holds its LVM
// lock, exclusively: no other operation on this host or another touches the chain meanwhile.
// The module's side: plugin/src/backend/live_snapshots.cpp.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "host/core/block_devices.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/snapshot_wire.hpp"
#include "host/core/volume_owners.hpp"
#include "host/libvirt/domains.hpp"

namespace ilvm::host {

// The module's three steps (BackendClient::snapshot_vol with the ILVM_SNAPSHOT_LIVE_*
// actions), an interface so that the sequence is tested with a fake.
class LiveSnapshotSteps {
public:
    virtual ~LiveSnapshotSteps() = default;
    virtual Result<LiveSnapshotTop> begin() = 0;
    virtual Status commit() = 0;
    virtual Status abort() = 0;
};

struct LiveSnapshotRequest {
    std::string pool;
    std::string volume;
    std::string snapshot;
    VolumeOwner owner;    // the volume's owner record here (the caller read it under the volume's lock)
};

struct LiveSnapshotTaken {
    std::string target;   // the domain's disk, e.g. vda
    std::string top;      // the volume's name from now on (its new top's LV)
};

// Refused before anything is made (conflict): the domain not running here, not using the
// volume, or using it shareable or read-only (another domain may write it too).
Result<LiveSnapshotTaken> take_live_snapshot(Domains &domains, LiveSnapshotSteps &steps, const PoolStore &store,
                                             const std::vector<PoolBinding> &pools, const LiveSnapshotRequest &req,
                                             const BlockDevices &devices = host_block_devices());

}  // namespace ilvm::host
