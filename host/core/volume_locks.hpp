// SPDX-License-Identifier: LGPL-2.1-or-later
// A volume's lock on this host, as the qemu hook, the live-migration hand-over and the
// reconciler need it: read it (refresh_vol, optionally naming another host's lease) and set
// it (activate_vol, exclusive or shared, which converts an activation here in the other
// mode; deactivate_vol). VolumeLocks is the interface the hand-over's state machines are
// tested against; ModuleVolumeLocks is the real one, through the backend module.
#pragma once

#include <map>
#include <string>

#include "common/result.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/summaries.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

// What inspect() reads besides this host's activation.
struct InspectOptions {
    bool find_holder = false;  // a volume inactive here: the other host's lease (<holder mode=…>)
    // For loops that look every fraction of a second: no VG lock (lvs --nolocking). With it,
    // the source's poll starved the destination's lvchange of the VG lock for 17 s (lab).
    bool polling = false;
};

class VolumeLocks {
public:
    virtual ~VolumeLocks() = default;
    // activation: inactive | exclusive | shared (this host's lock, from lvmlockd).
    virtual Result<VolSummary> inspect(const VolumeRef &v, InspectOptions how) = 0;
    // Exclusive, or shared. Another host's incompatible lock is an ErrorCode::conflict
    // ("locked by other host"); the volume then stays as it was here.
    virtual Status activate(const VolumeRef &v, bool shared) = 0;
    // Exclusive, for a loop that tries again a moment later (the hand-over waiting for the
    // other host to let go): a refusal is a conflict at once, the leases are not read to name
    // the holder (two 8 MiB reads per refusal, ILVM_ACTIVATE_NO_LEASE_READ).
    virtual Status poll_exclusive(const VolumeRef &v) = 0;
};

// Through the module, with each pool's persistent definition (read once per pool).
class ModuleVolumeLocks final : public VolumeLocks {
public:
    // started_only: refuse (conflict naming pool-start) pools not started on this host, before
    // asking the module. The hook checks that itself and must still release volumes of a pool
    // whose run state is gone.
    // reuse_report: activate/deactivate pass ILVM_REUSE_LVS_REPORT (one lvs per pool for all
    // of them), for a caller that holds the host locks of every volume it changes (the hook).
    ModuleVolumeLocks(const BackendClient &client, const PoolStore &store, bool started_only = true,
                      bool reuse_report = false)
        : client_(client), store_(store), started_only_(started_only), reuse_report_(reuse_report) {}

    Result<VolSummary> inspect(const VolumeRef &v, InspectOptions how) override;
    Status activate(const VolumeRef &v, bool shared) override;
    Status poll_exclusive(const VolumeRef &v) override;
    // As activate(), returning the volume as found before the call: its activation says
    // whether this call changed anything, i.e. what a rollback must undo.
    Result<VolSummary> activate_from(const VolumeRef &v, bool shared, unsigned extra_flags = 0);
    // extra_flags: ILVM_DEACTIVATE_AFTER_USE for the release of a stopped domain.
    Status deactivate(const VolumeRef &v, unsigned extra_flags = 0);

private:
    Result<std::string> pool_xml(const std::string &pool);

    const BackendClient &client_;
    const PoolStore &store_;
    bool started_only_;
    bool reuse_report_;
    std::map<std::string, std::string> cache_;
};

}  // namespace ilvm::host
