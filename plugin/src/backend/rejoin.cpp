// SPDX-License-Identifier: LGPL-2.1-or-later
// Backend::rejoin_pool (rejoin.hpp): `sanlock client status -D`; when the lockspace is gone,
// `lvmlockctl --drop`, `vgchange --lock-start` and the status again; then, for the volumes
// asked about, one lvs, two `sanlock direct dump`s (delta leases, then the volumes' leases)
// and one `dmsetup info`; then per volume either `lvchange -aey -K`, one dump of its lease
// and `lvchange --refresh` (taken back), or `dmsetup remove` / `lvchange -an` (let go).
#include <map>
#include <set>

#include "backend/backend.hpp"
#include "backend/lease_reading.hpp"
#include "backend/lockspace.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "dm/dm_argv.hpp"
#include "dm/dm_report.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_table.hpp"

namespace ilvm {
namespace {

constexpr const char *kSanlockHint = "is sanlock running? (systemctl status sanlock; see docs/troubleshooting.md)";

// This host in the pool's lockspace, as sanlock says once it has joined.
struct Self {
    uint32_t host_id = 0;
    uint64_t generation = 0;
};

// What the listings say about one volume asked about, read before anything changes.
struct VolumeState {
    const lvm::LvReport *lv = nullptr;             // nullptr: no longer an LV of the VG
    const dm::DmDevice *device = nullptr;          // nullptr: no device-mapper device here
    std::optional<uint64_t> lease_offset;          // in the lvmlock LV, from its lock_args
    const sanlock::LeaseRecord *lease = nullptr;   // its lease's leader; nullptr: not found
    std::optional<sanlock::Holder> holder;         // another host holding it now
};

Result<sanlock::SanlockStatus> sanlock_status(System &sys) {
    auto out = run_checked(sys, sanlock::sanlock_client_status(), "sanlock client status");
    if (!out.ok()) return Error(out.error().code, out.error().message, kSanlockHint);
    return sanlock::parse_sanlock_status(out->out);
}

// lvmlockd forgets the VG's lockspace, then joins it afresh as pool-start does. lvmlockctl
// --kill dropped it already when lease-lost exited 0; when lease-lost failed, lvmlockd may
// still keep it (killed: every lock request in it refused, lvmlockd-core.c kill_vg), and a
// lock-start of a VG whose lockspace lvmlockd keeps does not join it again.
Status join_again(System &sys, const PoolDef &pool) {
    spdlog::info("pool {}: sanlock has no lockspace lvm_{} on this host any more: joining it again", pool.name, pool.vg_name);
    // Not a warning (continue_after's level): the drop has nothing to do after lvmlockctl --kill
    // dropped the lockspace already, and whatever it could not do, the lock-start that follows
    // reports. (lvm2 2.03.16 do_drop() exits 0 even then, lvmlockd's -ENOLS unchecked; it fails
    // when lvmlockd does not answer.)
    if (auto dropped = run_status(sys, lvm::lockctl_drop(pool.vg_name), "lvmlockctl --drop " + pool.vg_name); !dropped.ok())
        spdlog::info("{} (going on: lvmlockd kept nothing of the lockspace to drop, or does not answer, which the "
                     "lock-start that follows reports)",
                     dropped.error().message);
    Status started = lockspace::start_lockspace(sys, pool);
    if (started.ok()) started = lockspace::check_joined(sys, pool);
    if (started.ok()) return {};
    // docs/troubleshooting.md (a failed lock-start): after a loss lvmlockd may have lost its
    // registration with sanlock, and then starts no lockspace until it is restarted, which
    // host-setup's stop guard refuses by hand.
    Error e = started.take_error();
    e.hint = "after a lease loss lvmlockd may need a restart once it holds no lock (lvmlockctl -i lists none): "
             "systemctl restart lvmlockd (remove host-setup's stop guard first, docs/troubleshooting.md)";
    return e;
}

// The lease is the one this host held before it lost the lockspace, and nobody acquired it
// since (rejoin.hpp).
bool untouched(const VolumeState &s, const Self &self) {
    return s.lease && s.lease->owner_id == self.host_id && s.lease->generation < self.generation;
}

// This host acquired the lease since it joined again (an earlier pool-rejoin took it back):
// lvmlockd holds its lock here.
bool held_since_rejoin(const VolumeState &s, const Self &self) {
    return s.lease && s.lease->timestamp != 0 && s.lease->owner_id == self.host_id &&
           s.lease->generation == self.generation;
}

// Why a volume asked to be taken back is let go instead.
std::string why_not_taken_back(const VolumeState &s, const Self &self, const sanlock::LeaseTable *leases) {
    if (!s.device) return "it has no device here";
    if (!s.lease) return "its lease was not found in the lease area: whether another host had it is not known";
    if (s.lease->owner_id != self.host_id) {
        const sanlock::Holder by{s.lease->owner_id, leases ? leases->host_name(s.lease->owner_id) : "", false};
        return sanlock::describe_holder(by) + " acquired its lease while this host was cut off";
    }
    return "this host has locked it again since it rejoined (generation " + std::to_string(s.lease->generation) +
           "): whether another host had it before is not known here";
}

std::string open_times(uint32_t n) { return "open " + std::to_string(n) + (n == 1 ? " time" : " times"); }

// The device of a volume not taken back goes: removed (dmsetup remove), or deactivated
// through LVM when this host holds its lock since the rejoin, so that lvmlockd lets the lock
// go too (a removed device would leave it held, and every other host refused). An open
// device is left to whoever holds it.
RejoinedVolume let_go(System &sys, const PoolDef &pool, const std::string &name, const VolumeState &s, const Self &self,
                      std::string why) {
    RejoinedVolume out{name, RejoinVerdict::released, s.holder, {}};
    if (!s.device) {
        out.detail = why + (why == "it has no device here" ? "" : "; it has no device here");
        return out;
    }
    if (s.device->open_count > 0) {
        out.verdict = RejoinVerdict::in_use;
        out.detail = open_times(s.device->open_count) + ": destroy what uses it first";
        spdlog::info("pool {}: {} is not taken back ({}) but is {}: left", pool.name, s.device->name, why,
                     open_times(s.device->open_count));
        return out;
    }
    const bool release_lock = s.lv && held_since_rejoin(s, self);
    auto gone = release_lock ? run_status(sys, lvm::lv_deactivate(pool.vg_name, name), "lvchange -an " + pool.vg_name + "/" + name)
                             : run_status(sys, dm::dmsetup_remove(s.device->name), "dmsetup remove " + s.device->name);
    if (!gone.ok()) {
        out.verdict = RejoinVerdict::failed;
        out.detail = gone.error().message;
        spdlog::info("pool {}: {} could not be removed: {}", pool.name, s.device->name, out.detail);
        return out;
    }
    out.detail = why + (release_lock ? "; its device was removed and its lock released" : "; its device was removed");
    spdlog::info("pool {}: {} removed ({})", pool.name, s.device->name, why);
    return out;
}

// lvchange -aey takes the lock again (lvm2 lv_active_change() locks before it activates) but
// leaves the wiped table (the LV counts as active already); its lease must then show this
// acquisition alone: our host_id and generation, lver one more than before the loss.
// Otherwise another host had the lease in between, however briefly, and the data may have
// changed under the paused domain: the lock is ours now, but the volume is not taken back.
RejoinedVolume take_back(System &sys, const PoolDef &pool, const std::string &name, const VolumeState &s, const Self &self) {
    RejoinedVolume out{name, RejoinVerdict::failed, std::nullopt, {}};
    const std::string vg_lv = pool.vg_name + "/" + name;
    if (auto locked = run_status(sys, lvm::lv_activate(pool.vg_name, name, lvm::ActivationMode::exclusive), "lvchange -aey " + vg_lv);
        !locked.ok()) {
        out.detail = locked.error().message;
        spdlog::info("pool {}: {} could not be locked again: {}", pool.name, vg_lv, out.detail);
        return out;
    }
    const uint64_t before = s.lease->lver;
    auto dump = sys.run(sanlock::direct_dump(lvm::dm_path(pool.vg_name, "lvmlock"), *s.lease_offset, sanlock::kLeaseReadSize));
    if (!dump.ok() || !dump->succeeded()) {
        out.detail = "its lock is taken again, but its lease could not be read to check that it did not change hands (" +
                     (dump.ok() ? dump->first_error_line() : dump.error().message) + ")";
        spdlog::warn("pool {}: {}: {}", pool.name, vg_lv, out.detail);
        return out;
    }
    const sanlock::LeaseTable now(sanlock::parse_direct_dump(dump->out), {});
    const sanlock::LeaseRecord *after = now.record(s.lv->uuid);
    if (!after || after->owner_id != self.host_id || after->generation != self.generation || after->lver != before + 1) {
        out.detail = "its lease changed hands while it was taken back (lver " + std::to_string(before) + " -> " +
                     (after ? std::to_string(after->lver) : std::string("?")) + ")";
        spdlog::warn("pool {}: {}: {}", pool.name, vg_lv, out.detail);
        return out;
    }
    if (auto refreshed = run_status(sys, lvm::lv_refresh(pool.vg_name, name), "lvchange --refresh " + vg_lv); !refreshed.ok()) {
        out.detail = refreshed.error().message;
        spdlog::warn("pool {}: {} is locked again but keeps the error table: {}", pool.name, vg_lv, out.detail);
        return out;
    }
    out.verdict = RejoinVerdict::taken_back;
    out.detail = "nobody acquired its lease while this host was cut off (lver " + std::to_string(before) + " -> " +
                 std::to_string(after->lver) + ")";
    spdlog::info("pool {}: {} taken back: {}", pool.name, vg_lv, out.detail);
    return out;
}

}  // namespace

Result<RejoinResult> Backend::rejoin_pool(const PoolDef &pool, const RejoinRequest &req) {
    if (pool.lock_type != LockType::sanlock)
        return invalid_input("pool " + pool.name + " uses lock type " + lock_type_name(pool.lock_type) +
                                 ": only a sanlock pool has a lease to lose and a lockspace to rejoin",
                             "pool-rejoin follows ilvm lease-lost, which lvmlockd runs for sanlock VGs only");
    std::set<std::string> asked;
    for (const auto &v : req.volumes) {
        ILVM_TRY(validate_lv_name(v.name));
        if (!asked.insert(v.name).second) return invalid_input("volume '" + v.name + "' is named twice in the rejoin request");
    }

    // 1. The lockspace: joined, being joined or left (wait), or gone (join it again).
    const std::string ls_name = "lvm_" + pool.vg_name;
    RejoinResult result;
    ILVM_ASSIGN_OR_RETURN(sanlock::SanlockStatus status, sanlock_status(sys_));
    if (const auto *ls = sanlock::find_lockspace(status, ls_name); ls != nullptr) {
        if (!ls->joined() || ls->space_dead)
            return conflict("lockspace " + ls_name + " is still being joined or left; run pool-rejoin again in a minute",
                            ls->joined() ? "sanlock could not renew its lease and is ending it (space_dead=1 in "
                                           "sanlock client status -D)"
                                         : "sanlock client status lists it as " + ls->list);
    } else {
        ILVM_TRY(join_again(sys_, pool));
        result.lockspace_started = true;
        ILVM_ASSIGN_OR_RETURN(status, sanlock_status(sys_));
    }

    // 2. This host's host_id and generation in it.
    const auto *ls = sanlock::find_lockspace(status, ls_name);
    if (ls == nullptr || !ls->joined() || ls->host_id == 0 || ls->host_generation == 0)
        return system_error("sanlock client status -D does not say with which host_id and generation this host joined "
                            "lockspace " + ls_name,
                            "run sanlock client status -D; then ilvm pool-rejoin " + pool.name + " again");
    const Self self{ls->host_id, ls->host_generation};
    if (req.volumes.empty()) return result;

    // 3. The volumes' rows and leases, 4. their devices: all read before anything changes.
    ILVM_ASSIGN_OR_RETURN(std::vector<lvm::LvReport> lvs, load_lvs(pool));
    std::map<std::string, VolumeState> state;
    for (const auto &v : req.volumes) state[v.name];
    std::vector<uint64_t> offsets;
    for (const auto &lv : lvs) {
        auto it = state.find(lv.name);
        if (it == state.end()) continue;
        VolumeState &s = it->second;
        s.lv = &lv;
        if (auto offset = lvm::sanlock_offset_from_lock_args(s.lv->lock_args); offset.ok()) {
            s.lease_offset = *offset;
            offsets.push_back(*offset);
        }
    }
    std::optional<sanlock::LeaseTable> leases;
    if (!offsets.empty()) {
        auto read = read_leases(sys_, pool, offsets);
        // Without them no volume can be taken back, and a paused domain would be destroyed
        // for a failed read: nothing is changed, the call can be run again.
        if (!read.ok())
            return Error(read.error().code, read.error().message,
                         "nothing was taken back or removed; run ilvm pool-rejoin " + pool.name + " again");
        leases = std::move(*read);
    }
    ILVM_ASSIGN_OR_RETURN(CommandOutput listed, run_checked(sys_, dm::dmsetup_info_devices(), "dmsetup info"));
    ILVM_ASSIGN_OR_RETURN(std::vector<dm::DmDevice> devices, dm::parse_dm_info(listed.out));
    for (const auto &d : devices)
        if (auto lv = dm::lv_of(d, pool.vg_name); lv && state.count(*lv)) state[*lv].device = &d;
    for (auto &[name, s] : state) {
        if (!s.lv || !s.lease_offset || !leases) continue;
        s.lease = leases->record(s.lv->uuid);
        if (auto h = leases->holder(s.lv->uuid, self.host_id); h && h->host_id != self.host_id) s.holder = h;
    }

    // 5. Each volume, in the request's order.
    for (const auto &v : req.volumes) {
        const VolumeState &s = state[v.name];
        forget_lv(pool, v.name);   // whatever runs below, a kept lvs row no longer says how it is
        if (!s.lv)
            result.volumes.push_back(let_go(sys_, pool, v.name, s, self, "no longer a volume of the pool"));
        else if (v.take_back && untouched(s, self) && s.device)
            result.volumes.push_back(take_back(sys_, pool, v.name, s, self));
        else
            result.volumes.push_back(
                let_go(sys_, pool, v.name, s, self, v.take_back ? why_not_taken_back(s, self, leases ? &*leases : nullptr)
                                                                : "no domain here uses it"));
    }
    return result;
}

}  // namespace ilvm
