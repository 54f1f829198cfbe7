// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/live_snapshot.hpp"

#include <algorithm>

#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/volume_owners.hpp"
#include "host/libvirt/snapshot_xml.hpp"

namespace ilvm::host {
namespace {

// The domain's disk on the volume, from its live XML.
Result<DiskRef> disk_on_volume(Domains &domains, const std::vector<PoolBinding> &pools, const LiveSnapshotRequest &req,
                               const BlockDevices &devices, std::string &live_xml) {
    const std::string &domain = req.owner.domain;
    ILVM_ASSIGN_OR_RETURN(const DomainRun run, domains.state(domain));
    if (run != DomainRun::active)
        return conflict("volume '" + req.volume + "' of pool " + req.pool + " is recorded as used by domain '" + domain +
                            "', which is not running here (" + domain_run_name(run) + ")",
                        "start or stop it first; a record left by a domain that is gone is removed by ilvm reconcile");
    ILVM_ASSIGN_OR_RETURN(live_xml, domains.live_xml(domain));
    ILVM_ASSIGN_OR_RETURN(const auto disks, domain_disks(live_xml, pools, devices));
    const auto it = std::find_if(disks.begin(), disks.end(),
                                 [&](const DiskRef &d) { return d.pool == req.pool && d.volume == req.volume; });
    if (it == disks.end())
        return conflict("domain '" + domain + "' is recorded to use volume '" + req.volume + "' of pool " + req.pool +
                            ", but no disk of its live XML is on it",
                        "virsh domblklist " + domain + " lists its disks; ilvm reconcile removes a stale record");
    if (it->shared)
        return conflict("domain '" + domain + "' uses volume '" + req.volume + "' as a shareable or read-only disk (" +
                            it->target + "): another domain may use it too",
                        "a snapshot of a shared disk is taken with every domain on it stopped");
    return *it;
}

}  // namespace

Result<LiveSnapshotTaken> take_live_snapshot(Domains &domains, LiveSnapshotSteps &steps, const PoolStore &store,
                                             const std::vector<PoolBinding> &pools, const LiveSnapshotRequest &req,
                                             const BlockDevices &devices) {
    const std::string &domain = req.owner.domain;
    std::string live_xml;
    ILVM_ASSIGN_OR_RETURN(const DiskRef disk, disk_on_volume(domains, pools, req, devices, live_xml));
    ILVM_ASSIGN_OR_RETURN(const LiveSnapshotTop top, steps.begin());
    auto abort = [&](Error e) -> Error {
        if (Status undone = steps.abort(); !undone.ok()) {
            e.hint = "the new top " + top.top + " is left behind (" + undone.error().message + "): lvremove it";
            return e;
        }
        e.hint = "nothing was changed: volume '" + req.volume + "' is as it was" + (e.hint.empty() ? "" : "; " + e.hint);
        return e;
    };
    auto document = disk_only_snapshot_xml(live_xml, disk.target, top.path,
                                           "iscsi-lvm snapshot " + req.snapshot + " of volume " + req.pool + "/" + req.volume);
    if (!document.ok()) return abort(document.error());
    if (Status switched = domains.snapshot_disks(domain, *document); !switched.ok()) return abort(switched.error());

    // The domain writes the new top now: its release must deactivate that chain.
    std::optional<Error> first;
    auto keep_first = [&](Status s, const std::string &hint) {
        if (s.ok() || first) return;
        Error e = s.take_error();
        e.message = "domain '" + domain + "' writes " + top.top + " now, but " + e.message;
        e.hint = hint;
        first = e;
    };
    keep_first(add_volume_owner(store, {req.pool, top.top}, {domain, false, req.owner.since}),
               "the hook cannot release " + top.top + " at the domain's stop: ilvm vol-deactivate " + top.top + " --pool " +
                   req.pool + " after it");
    if (!first) {
        auto removed = remove_volume_owner(store, {req.pool, req.volume}, domain);
        keep_first(removed.ok() ? Status{} : Status(removed.error()), "ilvm reconcile removes the stale record of " + req.volume);
    }
    if (Status recorded = steps.commit(); !recorded.ok()) {
        if (!first) first = recorded.error();
        else spdlog::error("snapshot {} of {}/{}: {}", req.snapshot, req.pool, req.volume, recorded.error().message);
    }
    if (first) return *first;
    spdlog::info("snapshot {} of volume {}/{} taken while domain {} runs: its disk {} is on {} now", req.snapshot, req.pool,
                 req.volume, domain, disk.target, top.top);
    return LiveSnapshotTaken{disk.target, top.top};
}

}  // namespace ilvm::host
