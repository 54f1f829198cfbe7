// SPDX-License-Identifier: LGPL-2.1-or-later
// The iscsi-lvm storage backend: libvirt's storage backend callbacks (checkPool,
// startPool, buildPool, refreshPool, stopPool, deletePool, createVol, buildVol,
// buildVolFrom, refreshVol, deleteVol, resizeVol, wipeVol, upload/download) plus exclusive
// / shared activation for the qemu hook. Every effect goes through System.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/diagnosis.hpp"
#include "backend/fencing.hpp"
#include "backend/multipath_lun.hpp"
#include "backend/reconcile_plan.hpp"
#include "backend/rejoin.hpp"
#include "backend/snapshot_chain.hpp"
#include "common/system.hpp"
#include "lvm/lock_info.hpp"
#include "lvm/lvm_argv.hpp"
#include "lvm/lvm_report.hpp"
#include "lvm/volume_tags.hpp"
#include "model/pool_def.hpp"
#include "model/vol_def.hpp"
#include "qemu/qemu_img.hpp"
#include "sanlock/lease_dump.hpp"
#include "secret/secret_provider.hpp"

namespace ilvm {

namespace iscsi {
class PoolSessions;
}

struct BackendConfig {
    // Where open-iscsi keeps its node records: Debian 13's open-iscsi (2.1.10-3 and later)
    // under /var/lib/iscsi (its upgrade moves them there), Debian 12's under /etc/iscsi. Both
    // are looked in (iscsi/node_record.hpp); ILVM_ISCSI_NODES_DIR names one instead.
    std::vector<std::string> iscsi_nodes_dirs = {"/var/lib/iscsi/nodes", "/etc/iscsi/nodes"};
    std::chrono::milliseconds device_timeout{std::chrono::seconds(30)};
    // The wall clock, for what is recorded (a snapshot's creation time); tests fix it.
    std::function<std::chrono::system_clock::time_point()> wall_clock = [] { return std::chrono::system_clock::now(); };
};

struct VolInfo {
    VolDef def;
    VolStatus status;
};

struct PoolSnapshot {
    PoolStatus status;
    std::vector<VolInfo> volumes;
    // inspect_pool only: the VG's metadata area (vgs vg_mda_size, vg_mda_free), when vgs said.
    std::optional<lvm::VgMdaReport> metadata_area;
    // inspect_pool only, a pool with several portals: each portal's path (multipath_lun.hpp).
    std::vector<multipath_lun::PathHealth> paths;
};

struct BuildOptions {
    bool overwrite = false;     // destroy whatever the LUN carries
    bool keep_started = false;  // stay logged in with the lockspace started (pool-start --build)
};
struct DeleteVolOptions {
    std::optional<bool> wipe;   // unset: the pool's wipe_on_delete
    bool snapshots = false;     // also every snapshot layer of the volume (else: refused while it has any)
};
struct ResizeOptions {
    bool allow_shrink = false;
    bool allocation = false;   // ILVM_RESIZE_ALLOCATION: grow a qcow2 volume's LV, not its image
};
// Whether other pools on this host share the pool's target session and node record (two
// pools on two LUNs of one target): then stopping or forgetting one must leave them.
enum class SessionUse { exclusive, shared };
enum class WipeAlgorithm { zero };

class Backend {
public:
    Backend(System &sys, SecretProvider &secrets, BackendConfig cfg = {});

    // Pool lifecycle.
    Result<bool> check_pool(const PoolDef &pool);
    Result<PoolDef> build_pool(const PoolDef &pool, BuildOptions opts);
    Result<PoolDef> start_pool(const PoolDef &pool);
    Result<PoolSnapshot> refresh_pool(const PoolDef &pool);
    // refresh_pool plus where each volume is (backend/placement.cpp): this host's lock mode
    // of those active here, the host holding each of the others; and the VG's metadata area.
    // At most six commands.
    Result<PoolSnapshot> inspect_pool(const PoolDef &pool);
    Status stop_pool(const PoolDef &pool, SessionUse use = SessionUse::exclusive);
    Status delete_pool(const PoolDef &pool, SessionUse use = SessionUse::exclusive);
    Status forget_pool(const PoolDef &pool, SessionUse use = SessionUse::exclusive);

    // Volumes.
    Result<VolInfo> create_vol(const PoolDef &pool, const VolDef &vol);
    Result<VolInfo> build_vol(const PoolDef &pool, const std::string &name);
    Result<VolInfo> build_vol_from(const PoolDef &pool, const VolDef &vol, const std::string &source);
    // A linked clone (issue 18, backend/linked_clones.cpp): a qcow2 volume `vol.name` whose
    // image is an empty overlay on `source`, its template; the first clone makes the template
    // read-only and tags it (lvm/template_tags.hpp) under its exclusive lock. The clone's
    // capacity is the template's, or vol.capacity when larger; its format is qcow2.
    Result<VolInfo> build_linked_clone(const PoolDef &pool, const VolDef &vol, const std::string &source);
    // with_holder: for a volume inactive here, read sanlock's leases to name the host holding it.
    // without_vg_lock: lvs --nolocking. Enough to see this host's activation and to find the
    // lease; a poll that takes the VG lock every fraction of a second starves the other
    // host's lvchange of it (measured under a live migration: 17 s of sanlock retries).
    Result<VolInfo> refresh_vol(const PoolDef &pool, const std::string &name, bool with_holder = false,
                                bool without_vg_lock = false);
    Status delete_vol(const PoolDef &pool, const std::string &name, DeleteVolOptions opts);
    Result<VolInfo> resize_vol(const PoolDef &pool, const std::string &name, uint64_t capacity, ResizeOptions opts);
    // The LV of a qcow2 volume a running guest fills, grown towards `target` bytes by ilvmd on
    // the host that holds it exclusively (agent/thin_growth.hpp): rounded up to whole extents,
    // never beyond qcow2_allocation_ceiling() nor the VG's free space (a partial growth buys
    // the guest time). The volume's new row; unchanged at its ceiling.
    Result<VolInfo> grow_allocation(const PoolDef &pool, const std::string &name, uint64_t target);
    Status wipe_vol(const PoolDef &pool, const std::string &name, WipeAlgorithm algorithm);
    Status upload_vol(const PoolDef &pool, const std::string &name, const std::string &src_file, uint64_t offset,
                      uint64_t length);
    Status download_vol(const PoolDef &pool, const std::string &name, const std::string &dst_file, uint64_t offset,
                        uint64_t length);

    // Snapshots of a qcow2 volume (issue 18; backend/snapshots.cpp, the chain:
    // backend/snapshot_chain.hpp), offline: the volume inactive here and its lock free on
    // every host (a running domain's snapshot: below). Each
    // change takes the volume's lock (`lvchange -aey -K` of its top), lists the VG again
    // under it and plans from that listing, then releases the lock.
    Result<VolumeChain> list_snapshots(const PoolDef &pool, const std::string &volume);
    Status create_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                           const std::string &description);
    Status revert_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name);
    Status delete_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name);
    // A running domain's snapshot (backend/live_snapshots.cpp), around libvirt's disk-only
    // external snapshot that `ilvm` asks for between begin and commit: begin makes the new top
    // (its name: plan_live_snapshot) and answers it; commit makes the volume's LV the layer
    // of snapshot `name` of that top; abort removes the new top (libvirt refused).
    Result<std::string> begin_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                            const std::string &description);
    Status commit_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                const std::string &description);
    Status abort_live_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name);

    // Activation for the hook and vol-activate/vol-deactivate.
    // Both return the volume as found before the call, so a caller (the hook) learns from the
    // one lvs they already run whether the call changed anything: what it must undo on rollback.
    // reuse_report: the unlocked lvs this instance read for the pool's VG before, unless this
    // volume was changed since (ILVM_REUSE_LVS_REPORT, the hook: one lvs per pool per call).
    // polling (ILVM_ACTIVATE_NO_LEASE_READ, the hand-over's loops, which try again a moment
    // later): a refusal is a conflict at once, without lease reads; a volume active here is
    // handed to lvchange without asking lvmlockd its mode first (one command per try).
    Result<VolInfo> activate_vol(const PoolDef &pool, const std::string &name, lvm::ActivationMode mode,
                                 bool reuse_report = false, bool polling = false);
    // An open count is waited out once (udev probing the device its last writer closed)
    // before the volume is refused as open here.
    Result<VolInfo> deactivate_vol(const PoolDef &pool, const std::string &name, bool reuse_report = false);

    // The reconciler: one lvs, then repairs of missing skip flags / autoactivation and
    // deactivation of settled idle LVs (reconcile_plan.hpp). dry_run runs only the lvs.
    Result<std::vector<ReconcileStep>> reconcile_pool(const PoolDef &pool, const ReconcileInput &input, bool dry_run);
    // `ilvm doctor`'s read-only checks of the pool on this host (backend/diagnose.cpp);
    // with `fix`, `lvchange -an VG/LV` of each stale LV lock whose LV no domain here uses.
    Result<std::vector<Finding>> diagnose_pool(const PoolDef &pool, const ReconcileInput &input, bool fix);
    // Storage-loss fencing (backend/fencing.hpp): every device of the pool's VG on this host
    // but lvmlockd's lease LV gets the error target. A failed wipe is in the result, not an
    // error: the others are still wiped. An error only when dmsetup cannot list the devices.
    Result<FenceResult> fence_pool(const PoolDef &pool);
    // The way back after fence_pool (backend/rejoin.hpp; sanlock pools only): the lockspace is
    // joined again unless it is (a conflict while sanlock is still joining or leaving it), then
    // each volume asked about is taken back (take_back, and its lease untouched since the loss)
    // or its device removed (in_use when it is still open). A volume's failure is in the
    // result; an error only for the lockspace and the listings (sanlock, lvs, leases, dmsetup).
    Result<RejoinResult> rejoin_pool(const PoolDef &pool, const RejoinRequest &req);

private:
    Result<lvm::VgReport> load_vg(const PoolDef &pool);
    // load_vg() and the VG's metadata area from the same vgs (pool-info); the area is
    // nullopt, and the log says why, when the report lacks it.
    Result<std::pair<lvm::VgReport, std::optional<lvm::VgMdaReport>>> load_vg_with_metadata_area(const PoolDef &pool);
    enum class VgLock { shared, none };  // none: lvs --nolocking (local state only)
    Result<std::vector<lvm::LvReport>> load_lvs(const PoolDef &pool, VgLock lock = VgLock::shared);
    Result<lvm::LvReport> load_lv(const PoolDef &pool, const std::string &name, VgLock lock = VgLock::shared);
    // The LVs and the VG's free space and extent size, in one lvs (vgs too only for a VG without LVs).
    Result<lvm::LvsWithSpace> load_lvs_with_space(const PoolDef &pool);
    // One LV and the VG's free space and extent size, in one lvs (an LV's row repeats them).
    Result<std::pair<lvm::LvReport, lvm::VgSpace>> load_lv_with_space(const PoolDef &pool, const std::string &name);
    // load_lv(pool, name, VgLock::none), from the report kept for the VG when `reuse` and the
    // volume was not changed since it was read (backend/lvs_cache.cpp).
    Result<lvm::LvReport> load_lv_unlocked(const PoolDef &pool, const std::string &name, bool reuse);
    // This volume's row of the kept report no longer says how it is (we just changed it).
    void forget_lv(const PoolDef &pool, const std::string &name);
    // The row of volume `name` among `lvs`, else not_found (with where to list the pool's volumes).
    static Result<lvm::LvReport> lv_named(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &name);
    VolInfo to_vol_info(const PoolDef &pool, const lvm::LvReport &lv);
    // The pool's numbers and one VolInfo per LV, in the report's order.
    PoolSnapshot snapshot_of(const PoolDef &pool, const lvm::VgReport &vg, const std::vector<lvm::LvReport> &lvs);
    Result<std::optional<std::pair<std::string, std::string>>> find_vg_on_device(const std::string &dev);
    // Logs in each portal `sessions` (logged_in() asked) found without a session, then waits
    // for the LUN's by-path device of each portal with one. A single portal: its login's or its
    // device's failure is the error. Several: a path that fails either way is a warning (and
    // its new session undone) as long as one path has its device; else the first path's error.
    Status login(const PoolDef &pool, iscsi::PoolSessions &sessions);
    // The device of the pool's LUN on this host, for pvs, blkid, vgcreate and wipefs. One
    // portal: its by-path device. Several: the dm-multipath map of the paths the sessions give
    // (multipath_lun.hpp), never a path: made when `use` is map_it (build, start: the WWIDs
    // checked, the WWID whitelisted, multipathd asked, the map waited for), else only found
    // (not_found when it is not there).
    enum class LunUse { existing, map_it };
    Result<std::string> lun_device(const PoolDef &pool, iscsi::PoolSessions &sessions, LunUse use = LunUse::existing);
    // Activates for our own short maintenance work (clearing, wiping, copying); returns
    // whether we did so, so the caller can restore the inactive state afterwards. `verb`
    // says what a refusal refused ("cannot VERB volume …: it is active on host N").
    Result<bool> activate_for_maintenance(const PoolDef &pool, const lvm::LvReport &lv, const char *verb = "activate");
    // Runs `work` with the volume active here (exclusively, unless it already was) and
    // restores its previous state; the first error wins, a later one is logged.
    Status with_volume_active(const PoolDef &pool, const lvm::LvReport &lv, const std::function<Status()> &work,
                              const char *verb = "activate");
    // The checks and the lvcreate of a new volume, tagged incomplete (and with its format's
    // tags, lvm/volume_tags.hpp); the size asked of lvcreate. `listing`: the pool's LVs and
    // space as the caller already read them (vol-clone reads its source there), checked
    // against here; without it lvcreate checks the name and the space itself.
    Result<uint64_t> create_lv(const PoolDef &pool, const VolDef &vol, const lvm::LvsWithSpace *listing = nullptr);
    // The LV size of a new qcow2 volume: its allocation if given (at least what an empty
    // image needs), else one chunk, at most what the image can ever need (qemu-img measure).
    Result<uint64_t> qcow2_lv_size(const VolDef &vol);
    // `qemu-img measure` of a qcow2 image of `capacity` bytes (qemu/qemu_img.hpp).
    Result<qemu::Qcow2Measure> measure_qcow2(uint64_t capacity);
    // An empty qcow2 image of the volume's capacity at the start of `dev` (active here
    // exclusively); nothing for raw volumes.
    Status write_empty_image(const lvm::ImageInfo &image, const std::string &dev);
    Result<VolInfo> resize_qcow2_vol(const PoolDef &pool, const lvm::LvReport &lv, const lvm::ImageInfo &image,
                                     uint64_t capacity);
    // The volume's chain from a fresh listing (with the VG's space), refused when its top is
    // active here: snapshots are offline (a running domain: stop it first).
    Result<std::pair<lvm::LvsWithSpace, VolumeChain>> offline_chain(const PoolDef &pool, const std::string &volume,
                                                                     const char *verb);
    // The volume's lock (its top active exclusively here), then its chain listed again under
    // it: what every chain change plans from. On an error the lock is released again.
    Result<std::pair<lvm::LvsWithSpace, VolumeChain>> lock_chain(const PoolDef &pool, const VolumeChain &planned,
                                                                 const char *verb);
    // The layers under a volume's top, activated shared after it (backend/chain_activation.cpp),
    // or none: a refusal deactivates those activated before it. Nothing for a volume
    // without a backing tag.
    Status activate_layers(const PoolDef &pool, const lvm::LvReport &top);
    // After the top's deactivation: each of its layers that no other chain active here
    // reads, deactivated; a failure is logged.
    void release_layers(const PoolDef &pool, const lvm::LvReport &top);
    // lock_chain() for snapshot `name` of `volume`: checked before the lock and again under it
    // (not_found: another host deleted it meanwhile; the lock released again).
    Result<LockedSnapshot> lock_snapshot(const PoolDef &pool, const std::string &volume, const std::string &name,
                                         const char *verb);
    // `work` with the chain of `top` active here shared (top and layers), released after
    // unless it was active here already (backend/chain_copy.cpp).
    Status with_chain_shared(const PoolDef &pool, const lvm::LvReport &top, const char *verb,
                             const std::function<Status()> &work);
    // vol-clone / vol-create-from of a qcow2 volume that reads through a backing: one
    // standalone qcow2 image of its whole chain in a new LV (backend/chain_copy.cpp).
    Result<VolInfo> copy_chain(const PoolDef &pool, const VolDef &vol, const lvm::LvReport &src,
                               const lvm::ImageInfo &image, const lvm::LvsWithSpace &listing);
    // vol-download of such a volume: the whole chain as one qcow2 image in `dst_file`.
    Status download_chain(const PoolDef &pool, const lvm::LvReport &src, const std::string &dst_file, uint64_t offset,
                          uint64_t length);
    // The size of a snapshot's new top for an image of `capacity` (one chunk, at most what the
    // image can ever need, in whole extents), refused when the VG has not that much free.
    Result<uint64_t> new_top_size(const PoolDef &pool, const std::string &volume, uint64_t capacity,
                                  const lvm::LvsWithSpace &listing);
    // A snapshot's new top: LV `name` of `size` created with its lock taken, tagged
    // incomplete, an empty qcow2 overlay of `capacity` on LV `backing` written into it (the
    // LV cleared first, as a new volume is). On a failure the half-made LV is removed.
    Status make_overlay_top(const PoolDef &pool, const std::string &name, uint64_t size, uint64_t capacity,
                            const std::string &backing);
    // lvchange -an of an LV this operation activated; a failure is logged.
    void release_lv(const PoolDef &pool, const std::string &name, const char *why);
    // delete_vol of a qcow2 volume: false when it has no snapshot (delete_vol goes on);
    // refused while it has some unless opts.snapshots; with it, the top and every layer
    // removed under the volume's lock (true).
    Result<bool> delete_chain(const PoolDef &pool, const lvm::LvReport &top, DeleteVolOptions opts);
    // Removes the incomplete tag: the volume's content is made.
    Status mark_complete(const PoolDef &pool, const std::string &name);
    // Copies `src` into the new volume `target` (activating both as needed, zeroing a tail
    // past the source's size), and deactivates what it activated.
    Status copy_into(const PoolDef &pool, const lvm::LvReport &src, const lvm::LvReport &target, uint64_t target_size);
    // lvremove of a volume this call made and could not finish; a failure is logged.
    void remove_unfinished(const PoolDef &pool, const std::string &name);
    // What the sanlock lease area says about an LV's lock: held (by whom), free, or unreadable
    // (another lock manager, no lease, a failed read).
    struct LeaseLookup {
        enum class Kind { held, free, unreadable } kind;
        std::optional<sanlock::Holder> holder;
    };
    // lvchange -aey/-asy -K, run again (at most 3 times) while lvmlockd refuses the lock but
    // the lease shows no holder; a refusal is activation_error()'s, `verb` naming the work.
    // read_leases false: one lvchange; a lock refusal is a conflict without reading leases.
    Status activate_lv(const PoolDef &pool, const lvm::LvReport &lv, lvm::ActivationMode mode, const char *verb,
                       bool read_leases = true);
    // The error of a failed lvchange/lvremove/lvextend on `lv`; `lease`, when the caller read
    // it already, spares a second read.
    Error activation_error(const PoolDef &pool, const lvm::LvReport &lv, const CommandOutput &out, const char *verb,
                           const std::optional<LeaseLookup> &lease = std::nullopt);
    // The host_id this host joined the pool's sanlock lockspace with, if sanlock can say.
    std::optional<uint32_t> own_host_id(const PoolDef &pool);
    LeaseLookup look_up_lease(const PoolDef &pool, const lvm::LvReport &lv);
    std::optional<sanlock::Holder> find_holder(const PoolDef &pool, const lvm::LvReport &lv);
    // Who holds the VG lock of `pool` (lvmlockd refused it: "held by other host"), from the
    // VG lock's lease, found with the help of `lv`'s lease offset (sanlock/vg_lock_lease.hpp).
    std::optional<sanlock::Holder> find_vg_lock_holder(const PoolDef &pool, const lvm::LvReport &lv);
    // The mode of this host's lock on an LV active here in a shared VG (lvmlockctl -i);
    // nullopt for other VGs / inactive LVs, or when lvmlockd cannot be asked.
    std::optional<lvm::LockMode> local_lock_mode(const PoolDef &pool, const lvm::LvReport &lv);
    static void set_activation_mode(VolInfo &info, lvm::LockMode held);

    System &sys_;
    SecretProvider &secrets_;
    BackendConfig cfg_;
    // The last `lvs --nolocking` of each VG, and the volumes changed since it was read.
    struct KeptReport {
        std::vector<lvm::LvReport> lvs;
        std::set<std::string> changed;
    };
    std::map<std::string, KeptReport> kept_reports_;
};

}  // namespace ilvm
