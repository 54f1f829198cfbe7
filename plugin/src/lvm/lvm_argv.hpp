// SPDX-License-Identifier: LGPL-2.1-or-later
// argv builders for every LVM command the backend runs. Each is a pure function of its
// inputs, so golden tests can pin the exact command line (like libvirt's
// storagepoolxml2argvtest). Names must already be validated by the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/command.hpp"
#include "model/pool_def.hpp"

namespace ilvm::lvm {

enum class ActivationMode { exclusive, shared };

// Reports: JSON, bytes, no unit suffix, 0/1 for binary fields.
Command vgs_report(const std::string &vg);
Command lvs_report(const std::string &vg);
// The same report without lvmlockd's VG lock (--nolocking): for the activation paths, which
// only need local device-mapper state before lvchange takes the locks that matter. Every VG
// lock is a sanlock paxos round on the LUN; sanlock 3.8.5 (Debian 12) was seen in the lab to
// spin forever acquiring the VG lock while the other host cycled it (see docs/hook.md).
Command lvs_report_unlocked(const std::string &vg);
Command lvs_report_one(const std::string &vg, const std::string &lv);
// lvs_report() with the VG's free space and extent size on each row (parse_lvs_with_space_json).
Command lvs_report_with_space(const std::string &vg);
// lvs_report_one() with the same two VG fields.
Command lvs_report_one_with_space(const std::string &vg, const std::string &lv);
Command pvs_report(const std::string &device);
// The VG's metadata area: vg_mda_free, vg_mda_size (`ilvm doctor`).
Command vgs_mda_report(const std::string &vg);
// vgs_report()'s fields and the metadata area's in one report (pool-info: one vgs, not two).
Command vgs_report_with_mda(const std::string &vg);

// Shared VG (sanlock/dlm through lvmlockd) or local VG (lock type none); autoactivation off
// so no host activates anything from it at boot.
// metadata_bytes: the PV's metadata area (--metadatasize), PoolDef::metadata_size.
Command vgcreate(const std::string &vg, const std::string &device, LockType lock, uint64_t metadata_bytes);
Command vgremove(const std::string &vg);
// The forced way out of lvmlockd for a VG no host uses (lvmlockd(8), "Changing a shared VG to
// a local VG"): `vgchange --locktype none --lockopt force --yes VG` rewrites the lock type
// without taking a lock, and `vgremove --force --config global{use_lvmlockd=0} VG` removes
// the now local VG, its lvmlock LV included, without lvmlockd (whose global lock may have
// lived in that VG). Only where lvmlockd's own vgremove cannot work (backend/vg_removal.cpp).
Command vg_lock_type_none_forced(const std::string &vg);
Command vgremove_without_lvmlockd(const std::string &vg);
Command vg_lock_start(const std::string &vg);
Command vg_lock_stop(const std::string &vg);
// `lvmlockctl --drop VG`: lvmlockd forgets the VG's locks and its lockspace without releasing
// anything on disk (drop_vg, what lvmlockctl --kill asks after a kill command that exited 0),
// so that a later --lock-start joins it afresh. For a VG whose lease was lost only: the
// locks are gone from lvmlockd while the devices they guarded may still be in use.
// lvm2 2.03.16 lvmlockctl.c do_drop() exits 0 also when lvmlockd no longer has the
// lockspace (its answer -ENOLS is not checked); it fails when lvmlockd cannot be reached.
Command lockctl_drop(const std::string &vg);

// What every command that writes the VG's metadata carries: keep 4 archives of it in
// /etc/lvm/archive, however recent. LVM's default keeps every copy of the last 30 days: 548 MiB
// in 1,648 files at 1,648 volumes (issue 16); at 10,000 volumes one copy is ~4.6 MB. The VG's
// own metadata area keeps earlier versions too (docs/troubleshooting.md: recovery).
inline constexpr const char *kArchiveConfig = "backup{retain_min=4 retain_days=0}";

// The LVM tag of a volume whose content is not finished yet: set by lvcreate, removed once the
// volume is zeroed or copied. A crash (or SIGKILL) in between leaves it, so the volume never
// looks fine; `ilvm reconcile` reports it, and removes it with --remove-incomplete.
inline constexpr const char *kIncompleteTag = "ilvm_incomplete";

// Thick LV, never activated by creation: the activation-skip flag and autoactivation off
// keep libvirt's `vgchange -aly` (logical pool start) and udev autoactivation from touching
// it; tagged incomplete until its content is made, and with `tags` (lvm/volume_tags.hpp).
Command lvcreate(const std::string &vg, const std::string &lv, uint64_t bytes, const std::vector<std::string> &tags = {});
Command lvremove(const std::string &vg, const std::string &lv);
// lvcreate of a volume's new top (a snapshot's overlay): created and activated exclusively
// in one command (`--activate ey -K`: -K because the LV carries the skip flag), so that no
// other host can take the new LV's lock between its creation and our first write. Tagged
// incomplete until its image is written, and with `tags`.
Command lvcreate_locked(const std::string &vg, const std::string &lv, uint64_t bytes, const std::vector<std::string> &tags);
// `lvrename VG/OLD VG/NEW`. In a shared VG lvrename takes the LV's lock exclusively for the
// command's length (a transient lock that does nothing when this host holds it already: lvm2
// 2.03.16 tools/lvrename.c, lockd_lv(cmd, lv, "ex", 0)), so it is refused while another host
// has the LV active. The lock is keyed by the LV's UUID (lib/locking/lvmlockd.c lockd_lv:
// lv->lvid.id[1]) and its lease by lock_args: both stay with the LV under its new name.
Command lvrename(const std::string &vg, const std::string &from, const std::string &to);
Command lvextend(const std::string &vg, const std::string &lv, uint64_t bytes);
Command lvreduce(const std::string &vg, const std::string &lv, uint64_t bytes);
// `lvchange -aey -K` / `-asy -K`: -K is needed because the LV carries the skip flag.
Command lv_activate(const std::string &vg, const std::string &lv, ActivationMode mode);
Command lv_deactivate(const std::string &vg, const std::string &lv);
// `lvchange --refresh VG/LV`: loads the LV's table from its metadata again (suspend, reload,
// resume) in place of whatever device-mapper has, e.g. the error target lease-lost loaded.
// An activation of an LV already active does not: lvm2 2.03.16 activate.c _lv_activate()
// returns at once ("LV … is already active").
Command lv_refresh(const std::string &vg, const std::string &lv);
// `lvchange --deltag ilvm_incomplete`: the volume's content is made.
Command lv_mark_complete(const std::string &vg, const std::string &lv);
// `lvchange --deltag OLD --addtag NEW`: one tag replaced by another in one metadata write.
Command lv_replace_tag(const std::string &vg, const std::string &lv, const std::string &old_tag,
                       const std::string &new_tag);
// `lvchange --permission r|rw`, with `add_tags` added and `del_tags` removed in the same
// metadata write: a volume's old top becoming a read-only layer, a layer's permission during
// a rebase, a top's tags after a revert.
Command lv_change_layer(const std::string &vg, const std::string &lv, std::optional<bool> writable,
                        const std::vector<std::string> &add_tags, const std::vector<std::string> &del_tags);
// Repairs made by the reconciler and the activation path: skip flag on, autoactivation off.
Command lv_set_skip_flags(const std::string &vg, const std::string &lv);

std::string lv_path(const std::string &vg, const std::string &lv);
// /dev/mapper name with LVM's '-' doubling, e.g. vg-san/lvmlock -> vg--san-lvmlock.
std::string dm_path(const std::string &vg, const std::string &lv);

}  // namespace ilvm::lvm
