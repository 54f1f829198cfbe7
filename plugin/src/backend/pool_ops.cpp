// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool lifecycle: build, start, refresh, stop, delete, forget.
#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "backend/lockspace.hpp"
#include "backend/multipath_lun.hpp"
#include "backend/vg_removal.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "iscsi/session.hpp"
#include "lvm/snapshot_tags.hpp"

namespace ilvm {
namespace {

using lockspace::check_joined;
using lockspace::Join;
using lockspace::lockspace_join;
using lockspace::start_lockspace;

// Whether every session the pool has now is one this call made: then the multipath map is
// this call's too.
bool made_every_session(const iscsi::PoolSessions &sessions) {
    for (size_t i = 0; i < sessions.size(); ++i)
        if (sessions.up(i) && !sessions.made(i)) return false;
    return true;
}

// A pool with several portals, before its sessions log out: the map goes first, so that no
// map is left without paths, queueing I/O (multipath_lun.hpp). A map that cannot go is logged:
// the logout goes on (it is what stops the pool), and the map's queue ends after
// no_path_retry × polling_interval; the next pool-start adds the paths back to it.
void remove_map(System &sys, const PoolDef &pool) {
    if (!pool.multipath()) return;
    continue_after(multipath_lun::flush_map(sys, pool),
                   "the sessions log out anyway; the map left behind fails its queued I/O after no_path_retry and "
                   "takes its paths back at the next pool-start");
}

// Undo the logins this operation made (and the multipath map, when it made every session),
// then pass the error on.
Error logout_if_new(System &sys, const PoolDef &pool, iscsi::PoolSessions &sessions, Error e) {
    if (sessions.any_up() && made_every_session(sessions)) remove_map(sys, pool);
    continue_after(sessions.logout_made(), "undoing this call's login after: " + e.message);
    return e;
}

// Undoes this call's login after a failed or stopped lock-start, unless that would pull the
// disk from under lvmlockd: a stopped vgchange does not stop lvmlockd's join, which goes on
// reading and writing leases on this session's disk (for minutes after an unclean power-off,
// when boot's deadline stops it). Logging out under it made the join fail with I/O errors
// and left the lvmlock device mapped to the vanished disk, so the retry failed too (lab,
// host-failure). A join in progress keeps the session: the next start reuses both. A
// lockspace that did join is stopped first. With several portals, "logged in before" is any of
// them: the lockspace may be that session's.
Error undo_lock_start(System &sys, iscsi::PoolSessions &sessions, bool was_logged_in, const PoolDef &pool, Error e) {
    if (was_logged_in || pool.lock_type != LockType::sanlock) return logout_if_new(sys, pool, sessions, std::move(e));
    const std::string stop = "vgchange --lock-stop " + pool.vg_name;
    switch (lockspace_join(sys, pool)) {
    case Join::in_progress:
        spdlog::warn("pool {}: lvmlockd is still joining lockspace lvm_{}: the iSCSI session stays logged in so that the "
                     "join keeps its disk; the next start of the pool reuses both (to give up instead: {} once the join "
                     "has ended, then log out of {})",
                     pool.name, pool.vg_name, stop, pool.target_iqn);
        return e;
    case Join::joined:
        if (auto st = run_status(sys, lvm::vg_lock_stop(pool.vg_name), stop); !st.ok()) {
            spdlog::warn("pool {}: {}: the iSCSI session stays logged in under the lockspace; the next start of the "
                         "pool reuses both",
                         pool.name, st.error().message);
            return e;
        }
        break;
    case Join::unknown:
        spdlog::warn("pool {}: cannot ask sanlock whether lvmlockd is still joining lockspace lvm_{}; logging out as "
                     "nothing was started",
                     pool.name, pool.vg_name);
        break;
    case Join::absent: break;
    }
    return logout_if_new(sys, pool, sessions, std::move(e));
}

}  // namespace

Result<bool> Backend::check_pool(const PoolDef &pool) {
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    ILVM_ASSIGN_OR_RETURN(bool in, sessions.logged_in());
    if (!in) return false;
    auto dev = lun_device(pool, sessions);
    if (!dev.ok()) {
        if (dev.error().code == ErrorCode::not_found) return false;
        return dev.take_error();
    }
    return sys_.path_exists(*dev);
}

Result<PoolDef> Backend::build_pool(const PoolDef &pool, BuildOptions opts) {
    // vgcreate refuses a VG whose /dev/<name> exists ("already exists in filesystem"):
    // validate_vg_name() knows the entries every host has, this host may have more (sdb).
    const std::string vg_dir = "/dev/" + pool.vg_name;
    if (sys_.path_exists(vg_dir))
        return invalid_input("volume group name '" + pool.vg_name + "' cannot be used on this host: " + vg_dir +
                                 " exists, and LVM puts a VG's volumes there",
                             "choose another <source><name> for pool " + pool.name + " (ilvm pool-define)");
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    ILVM_TRY(sessions.logged_in());
    ILVM_TRY(login(pool, sessions));
    // Leave the host as we found it when the build is refused or fails.
    auto restore = [&](Error e) { return logout_if_new(sys_, pool, sessions, std::move(e)); };

    auto lun = lun_device(pool, sessions, LunUse::map_it);
    if (!lun.ok()) return restore(lun.take_error());
    const std::string dev = *lun;
    auto sigs = device::signatures(sys_, dev);
    if (!sigs.ok()) return restore(sigs.take_error());
    if (!sigs->empty()) {
        if (!opts.overwrite)
            return restore(conflict("LUN " + std::to_string(pool.lun) + " of " + pool.target_iqn +
                                        " is not empty (found " + join(*sigs, ", ") + ")",
                                    "refusing to destroy it; pass --overwrite if its data is really not needed"));
        spdlog::warn("overwriting {} (found {})", dev, join(*sigs, ", "));
        auto w = run_checked(sys_, device::wipe_signatures(dev), "cannot wipe " + dev);
        if (!w.ok()) return restore(w.take_error());
    }

    // No separate pvcreate: it needs lvmlockd's global lock, which does not exist before
    // the first shared VG (lvmlockd(8)); vgcreate initialises the PV itself.
    auto vg = run_checked(sys_, lvm::vgcreate(pool.vg_name, dev, pool.lock_type, pool.metadata_size), "vgcreate " + pool.vg_name);
    if (!vg.ok()) {
        // Back to the blank LUN we had.
        continue_after(run_status(sys_, device::wipe_signatures(dev), "wipefs " + dev),
                       "vgcreate failed; a PV label left behind is refused by the next pool-build, not used");
        return restore(vg.take_error());
    }
    auto report = load_vg(pool);
    if (!report.ok()) return restore(report.take_error());

    PoolDef built = pool;
    built.vg_uuid = report->uuid;
    spdlog::info("built pool {}: VG {} ({}) on {}", pool.name, pool.vg_name, built.vg_uuid, dev);
    if (!opts.keep_started) {
        if (pool.shared())
            continue_after(run_status(sys_, lvm::vg_lock_stop(pool.vg_name), "vgchange --lock-stop " + pool.vg_name),
                           "the VG is built; a lockspace left started is stopped by pool-destroy or at shutdown");
        if (made_every_session(sessions)) remove_map(sys_, pool);
        ILVM_TRY(sessions.logout_made());
    }
    return built;
}

Result<PoolDef> Backend::start_pool(const PoolDef &pool) {
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    ILVM_ASSIGN_OR_RETURN(bool was_logged_in, sessions.logged_in());
    ILVM_TRY(login(pool, sessions));
    auto refuse = [&](Error e) { return logout_if_new(sys_, pool, sessions, std::move(e)); };

    auto lun = lun_device(pool, sessions, LunUse::map_it);
    if (!lun.ok()) return refuse(lun.take_error());
    auto found = find_vg_on_device(*lun);
    if (!found.ok()) return refuse(found.take_error());
    if (!*found)
        return refuse(not_found("LUN " + std::to_string(pool.lun) + " of " + pool.target_iqn + " carries no volume group",
                                "initialise it once with ilvm pool-build " + pool.name));
    const auto &[vg_name, vg_uuid] = **found;
    if (vg_name != pool.vg_name)
        return refuse(conflict("LUN " + std::to_string(pool.lun) + " of " + pool.target_iqn + " carries volume group " +
                                   vg_name + ", but pool " + pool.name + " expects " + pool.vg_name,
                               "check <device lun=…> and <source><name> in the pool XML"));
    if (!pool.vg_uuid.empty() && vg_uuid != pool.vg_uuid)
        return refuse(conflict("volume group " + vg_name + " on LUN " + std::to_string(pool.lun) + " has UUID " + vg_uuid +
                                   ", but pool " + pool.name + " is pinned to " + pool.vg_uuid,
                               "this is not the LUN the pool was built on; check the target and LUN in the pool XML"));

    if (pool.shared()) {
        Status joined = start_lockspace(sys_, pool);
        if (joined.ok()) joined = check_joined(sys_, pool);
        if (!joined.ok()) return undo_lock_start(sys_, sessions, was_logged_in, pool, joined.take_error());
    }
    PoolDef started = pool;
    if (started.vg_uuid.empty()) {
        // Trust on first use: from now on this pool only starts on this very VG.
        started.vg_uuid = vg_uuid;
        spdlog::info("pool {}: pinned volume group {} ({})", pool.name, vg_name, vg_uuid);
    }
    return started;
}

Result<PoolSnapshot> Backend::refresh_pool(const PoolDef &pool) {
    // Exactly one vgs and one lvs, whatever the number of volumes.
    ILVM_ASSIGN_OR_RETURN(auto vg, load_vg(pool));
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    // Snapshot layers are not volumes (vol-snapshot-list shows them); the pool's allocation,
    // from the VG, counts their space.
    return snapshot_of(pool, vg, lvm::volumes_only(std::move(lvs)));
}

PoolSnapshot Backend::snapshot_of(const PoolDef &pool, const lvm::VgReport &vg, const std::vector<lvm::LvReport> &lvs) {
    PoolSnapshot snap;
    snap.status.capacity = vg.size;
    snap.status.available = vg.free;
    snap.status.allocation = vg.size - vg.free;
    snap.status.extent_size = vg.extent_size;
    snap.status.vg_uuid = vg.uuid;
    snap.volumes.reserve(lvs.size());
    for (const auto &lv : lvs) snap.volumes.push_back(to_vol_info(pool, lv));
    return snap;
}

Status Backend::stop_pool(const PoolDef &pool, SessionUse use) {
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    ILVM_ASSIGN_OR_RETURN(bool in, sessions.logged_in());
    if (!in) return {};
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    for (const auto &lv : lvs)
        if (lv.device_open)
            return conflict("volume '" + lv.name + "' of pool " + pool.name + " is open on this host",
                            "stop the domain using it (virsh list) before stopping the pool");
    for (const auto &lv : lvs)
        if (lv.active_locally)
            ILVM_TRY(run_checked(sys_, lvm::lv_deactivate(pool.vg_name, lv.name), "cannot deactivate volume '" + lv.name + "'"));
    if (pool.shared())
        ILVM_TRY(run_checked(sys_, lvm::vg_lock_stop(pool.vg_name), "vgchange --lock-stop " + pool.vg_name));
    remove_map(sys_, pool);
    if (use == SessionUse::shared) return {};
    return sessions.logout();
}

Status Backend::delete_pool(const PoolDef &pool, SessionUse use) {
    ILVM_TRY(load_vg(pool));
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool));
    if (!lvs.empty()) {
        // Snapshot layers are no volumes of vol-list: counted apart (vol-delete --snapshots).
        const size_t volumes = lvm::volumes_only(lvs).size(), layers = lvs.size() - volumes;
        return conflict("pool " + pool.name + " still has " + std::to_string(volumes) + " volume(s)" +
                            (layers ? " and " + std::to_string(layers) + " snapshot layer(s)" : std::string()),
                        "delete them first (ilvm vol-list " + pool.name + "; vol-delete VOL --snapshots removes a "
                        "volume's snapshots with it); pool-delete never destroys volumes");
    }
    ILVM_TRY(vg_removal::remove_vg(sys_, pool));
    // The VG is gone: what follows is tidying, and must not leave the pool half-active.
    // wipefs instead of pvremove: pvremove needs lvmlockd's global lock, which may have
    // lived in the VG we just removed.
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    auto lun = lun_device(pool, sessions);
    auto wiped = lun.ok() ? run_checked(sys_, device::wipe_signatures(*lun), "wipefs") : Result<CommandOutput>(lun.error());
    if (!wiped.ok()) spdlog::warn("volume group removed, but the PV label stays: {}", wiped.error().message);
    remove_map(sys_, pool);
    if (use == SessionUse::shared) return {};
    auto out = sessions.logout();
    if (!out.ok()) spdlog::warn("volume group removed, but {}", out.error().message);
    return {};
}

Status Backend::forget_pool(const PoolDef &pool, SessionUse use) {
    if (use == SessionUse::shared) return {};  // the record serves another pool too
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    ILVM_ASSIGN_OR_RETURN(bool in, sessions.logged_in());
    if (in)
        return conflict("pool " + pool.name + " is still logged in to its target",
                        "stop it first with ilvm pool-destroy " + pool.name);
    ILVM_TRY(sessions.delete_records());
    return sessions.delete_iface();
}

}  // namespace ilvm
