// SPDX-License-Identifier: LGPL-2.1-or-later
// Activation: exclusive/shared for domains, short exclusive activations for our own
// maintenance, and naming the host that holds a lock when we cannot get it.
#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "backend/templates.hpp"
#include "backend/tool_messages.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/template_tags.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_table.hpp"
#include "sanlock/vg_lock_lease.hpp"

namespace ilvm {
namespace {

bool is_lock_conflict(const std::string &text) { return says(text, ToolMessage::lv_locked_elsewhere); }

// lvmlockd answers -EAGAIN, printed by lvchange as "LV locked by other host", not only for a
// lock another host holds but also when sanlock lost a race for the lease or timed out
// reading the lease area (SANLK_DBLOCK_LVER/MBAL, SANLK_AIO_TIMEOUT; lvm2
// daemons/lvmlockd/lvmlockd-sanlock.c, lm_lock_sanlock(), 2.03.16 and later). Seen in the lab
// under load: a brand-new volume refused after sanlock's "aio timeout RD … acquire_token disk
// error -202". When the lease shows no holder the lvchange is run again after a pause; when
// it shows one, the refusal is final at once. Retrying never weakens exclusivity: lvmlockd
// decides every attempt.
constexpr int kLockAttempts = 3;
constexpr std::chrono::milliseconds kLockRetryPause{1000};   // x the attempt number

// The host name `h` registered in the lockspace's delta leases (left empty when they cannot
// be read: the host is then named by its host_id alone).
void name_from_delta_leases(System &sys, const std::string &leases, sanlock::Holder &h) {
    auto delta = sys.run(sanlock::direct_dump(leases, 0, sanlock::kLeaseReadSize));
    if (delta.ok() && delta->succeeded()) h.host_name = sanlock::host_name_for(sanlock::parse_direct_dump(delta->out), h.host_id);
}

}  // namespace

std::optional<lvm::LockMode> Backend::local_lock_mode(const PoolDef &pool, const lvm::LvReport &lv) {
    if (!pool.shared() || !lv.active_locally) return std::nullopt;
    auto res = sys_.run(lvm::lockctl_info());
    if (!res.ok() || !res->succeeded()) {
        spdlog::warn("lvmlockctl -i failed ({}): cannot tell whether {}/{} is locked shared or exclusive here",
                     res.ok() ? res->first_error_line() : res.error().message, pool.vg_name, lv.name);
        return std::nullopt;
    }
    auto modes = lvm::parse_lockctl_lv_modes(res->out, pool.vg_name);
    auto it = modes.find(lv.uuid);
    return it == modes.end() ? lvm::LockMode::none : it->second;
}

void Backend::set_activation_mode(VolInfo &info, lvm::LockMode held) {
    if (held == lvm::LockMode::shared) info.status.activation = ActivationState::shared;
    else if (held == lvm::LockMode::exclusive) info.status.activation = ActivationState::exclusive;
}

std::optional<uint32_t> Backend::own_host_id(const PoolDef &pool) {
    auto res = sys_.run(sanlock::sanlock_client_status());
    if (!res.ok() || !res->succeeded()) return std::nullopt;
    return sanlock::joined_host_id(sanlock::parse_sanlock_status(res->out), "lvm_" + pool.vg_name);
}

std::optional<sanlock::Holder> Backend::find_holder(const PoolDef &pool, const lvm::LvReport &lv) {
    return look_up_lease(pool, lv).holder;
}

Backend::LeaseLookup Backend::look_up_lease(const PoolDef &pool, const lvm::LvReport &lv) {
    const LeaseLookup unreadable{LeaseLookup::Kind::unreadable, std::nullopt};
    if (pool.lock_type != LockType::sanlock) return unreadable;
    auto offset = lvm::sanlock_offset_from_lock_args(lv.lock_args);
    if (!offset.ok()) return unreadable;
    const std::string leases = lvm::dm_path(pool.vg_name, "lvmlock");
    auto res = sys_.run(sanlock::direct_dump(leases, *offset, sanlock::kLeaseReadSize));
    if (!res.ok() || !res->succeeded()) return unreadable;
    const sanlock::LeaseTable table(sanlock::parse_direct_dump(res->out), {});
    // Held shared while the LV is active here: this host is one of the shared holders itself
    // (a sh->ex conversion refused during a hand-over), and naming it would send the admin to
    // itself. Only then is sanlock asked for our host_id.
    std::optional<uint32_t> self;
    if (lv.active_locally && !table.owner(lv.uuid) && !table.shared_holders(lv.uuid).empty()) self = own_host_id(pool);
    auto h = table.holder(lv.uuid, self);
    if (!h) {
        // No record of the LV's lease in what was read: nothing tells that it is free.
        if (!table.has(lv.uuid)) return unreadable;
        return {LeaseLookup::Kind::free, std::nullopt};
    }
    name_from_delta_leases(sys_, leases, *h);
    return {LeaseLookup::Kind::held, h};
}

std::optional<sanlock::Holder> Backend::find_vg_lock_holder(const PoolDef &pool, const lvm::LvReport &lv) {
    if (pool.lock_type != LockType::sanlock) return std::nullopt;
    auto lv_offset = lvm::sanlock_offset_from_lock_args(lv.lock_args);
    const std::string leases = lvm::dm_path(pool.vg_name, "lvmlock");
    for (uint64_t offset : sanlock::vg_lock_offsets(lv_offset.ok() ? std::optional<uint64_t>(*lv_offset) : std::nullopt)) {
        // A candidate past the end of a smaller lease LV fails to read: the next one is tried.
        auto res = sys_.run(sanlock::direct_dump(leases, offset, sanlock::kLeaseReadSize));
        if (!res.ok() || !res->succeeded()) continue;
        const sanlock::LeaseTable table(sanlock::parse_direct_dump(res->out), {});
        const sanlock::LeaseRecord *vg_lock = table.record(sanlock::kVgLockResource);
        if (vg_lock == nullptr || vg_lock->offset != offset) continue;
        auto h = table.holder(sanlock::kVgLockResource);
        if (h) name_from_delta_leases(sys_, leases, *h);
        return h;   // nullopt: released since lvmlockd refused it
    }
    spdlog::info("the VG lock's lease of {} was not found in {}: its holder stays unnamed", pool.vg_name, leases);
    return std::nullopt;
}

Status Backend::activate_lv(const PoolDef &pool, const lvm::LvReport &lv, lvm::ActivationMode mode, const char *verb,
                            bool read_leases) {
    // The last guard of every write path: nothing takes a template exclusively.
    if (mode == lvm::ActivationMode::exclusive) ILVM_TRY(refuse_template(pool, lv, verb));
    for (int attempt = 1;; ++attempt) {
        ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lv_activate(pool.vg_name, lv.name, mode)));
        if (out.succeeded()) return {};
        if (!is_lock_conflict(out.err + out.out)) return activation_error(pool, lv, out, verb);
        // A loop that tries again in a moment (the hand-over waiting for the other host to
        // let go): reading two lease areas per refusal would only delay its next try.
        if (!read_leases)
            return conflict("cannot " + std::string(verb) + " volume '" + lv.name + "' of pool " + pool.name +
                                ": another host holds its lock (" + out.first_error_line() + ")",
                            "ilvm vol-info " + lv.name + " --pool " + pool.name + " names the host");
        const LeaseLookup lease = look_up_lease(pool, lv);
        if (lease.kind != LeaseLookup::Kind::free || attempt == kLockAttempts) return activation_error(pool, lv, out, verb, lease);
        spdlog::warn("lvchange of {}/{}: {}, but no host holds its lease (sanlock lost a race for it or timed out on "
                     "the lease area); trying again (attempt {} of {})",
                     pool.vg_name, lv.name, out.first_error_line(), attempt + 1, kLockAttempts);
        sys_.sleep_for(kLockRetryPause * attempt);
    }
}

Error Backend::activation_error(const PoolDef &pool, const lvm::LvReport &lv, const CommandOutput &out, const char *verb,
                                const std::optional<LeaseLookup> &lease) {
    const std::string text = out.err + out.out;
    if (is_lock_conflict(text) && lease && lease->kind == LeaseLookup::Kind::free)
        return system_error("cannot " + std::string(verb) + " volume '" + lv.name + "' of pool " + pool.name +
                                ": lvmlockd refused its lock " + std::to_string(kLockAttempts) +
                                " times, but no host holds its lease",
                            "sanlock lost a race for the lease or timed out reading the lease area: look for 'aio "
                            "timeout' in sanlock log_dump (the LUN answered too slowly); try again, and see "
                            "docs/troubleshooting.md");
    if (is_lock_conflict(text)) {
        auto holder = lease ? lease->holder : find_holder(pool, lv);
        return conflict("cannot " + std::string(verb) + " volume '" + lv.name + "' of pool " + pool.name +
                            ": it is active on " + sanlock::describe_holder(holder),
                        "stop the domain that uses it there, or run ilvm vol-deactivate " + lv.name + " --pool " +
                            pool.name + " on that host");
    }
    if (says(text, ToolMessage::vg_locked_elsewhere))
        return conflict("cannot " + std::string(verb) + " volume '" + lv.name + "' of pool " + pool.name + ": " +
                            sanlock::describe_holder(find_vg_lock_holder(pool, lv)) + " holds the lock of volume group " +
                            pool.vg_name + " (" + out.first_error_line() + ")",
                        "an LVM command there holds it for a moment: try again. If that host is down, sanlock frees its "
                        "locks when its host lease expires, 2-3 minutes after it stopped (docs/troubleshooting.md)");
    if (says(text, ToolMessage::lockspace_not_started))
        return system_error("cannot " + std::string(verb) + " volume '" + lv.name + "': " + out.first_error_line(),
                            "is pool " + pool.name + " started on this host (ilvm pool-start " + pool.name + ")?");
    return system_error("cannot " + std::string(verb) + " volume '" + lv.name + "': " + out.first_error_line());
}

Result<bool> Backend::activate_for_maintenance(const PoolDef &pool, const lvm::LvReport &lv, const char *verb) {
    // A template is only ever read (the write paths refused it before): shared, beside the
    // hosts whose clones read it, and open here only by those clones' readers.
    const bool read_only = lvm::is_template(lv);
    if (lv.active_locally) {
        if (lv.device_open && !read_only)
            return conflict("volume '" + lv.name + "' is open on this host", "stop the domain that uses it first");
        return false;
    }
    ILVM_TRY(activate_lv(pool, lv, read_only ? lvm::ActivationMode::shared : lvm::ActivationMode::exclusive, verb));
    return true;
}

Status Backend::with_volume_active(const PoolDef &pool, const lvm::LvReport &lv, const std::function<Status()> &work,
                                   const char *verb) {
    ILVM_ASSIGN_OR_RETURN(bool activated, activate_for_maintenance(pool, lv, verb));
    Status result = work();
    if (activated) {
        auto d = run_status(sys_, lvm::lv_deactivate(pool.vg_name, lv.name), "cannot deactivate volume '" + lv.name + "'");
        if (result.ok())
            result = d;
        else
            continue_after(d, "the work's own failure is reported; the volume stays active here until "
                              "ilvm vol-deactivate or the reconciler releases it");
    }
    return result;
}

Result<VolInfo> Backend::activate_vol(const PoolDef &pool, const std::string &name, lvm::ActivationMode mode,
                                      bool reuse_report, bool polling) {
    // Local state only (is it active here, open?); lvchange takes the real locks.
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv_unlocked(pool, name, reuse_report));
    // A snapshot layer is read through its volume's top, never a disk of its own: a domain
    // (or vol-activate) naming it would lock it exclusively and hold other readers off.
    if (lvm::is_layer(lv))
        return invalid_input("'" + name + "' is snapshot '" + lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or("?") +
                                 "' of volume '" + lvm::layer_of(lv).value_or("?") + "', not a volume",
                             "give the volume itself (/dev/" + pool.vg_name + "/" + lvm::layer_of(lv).value_or("VOL") +
                                 "): its snapshot layers are activated with it; a snapshot's data is reached by "
                                 "ilvm vol-snapshot-revert");
    // A template is read by its clones, shared; a domain or vol-activate wanting it for
    // itself would write it (and hold the clones' hosts off).
    if (mode == lvm::ActivationMode::exclusive) ILVM_TRY(refuse_template(pool, lv, "activate (exclusive)"));
    VolInfo before = to_vol_info(pool, lv);
    const bool want_exclusive = mode == lvm::ActivationMode::exclusive;
    bool converting = false;
    if (lv.active_locally) {
        if (!pool.shared()) {
            if (want_exclusive || !lv.active_exclusively) return before;  // one host: nothing to convert
        } else if (polling) {
            // The loop knows it holds the volume shared; lvchange converts, or does nothing if
            // it is exclusive already. Asking lvmlockd first costs a command per try, and right
            // after a switch-over (lab, lvm2 2.03.16) `lvmlockctl -i` did not answer for 30 s.
            converting = true;
        } else if (auto held = local_lock_mode(pool, lv)) {
            set_activation_mode(before, *held);
            if ((*held == lvm::LockMode::exclusive) == want_exclusive) return before;  // idempotent
            converting = true;
        } else {
            // lvmlockd could not be asked: lvchange converts, or does nothing for the same mode.
            converting = true;
        }
    }
    // Active here in the other mode: the same lvchange converts the lock (ex->sh always
    // works; sh->ex fails with "locked by other host" while another host still holds it
    // shared, and the LV stays active shared here: measured, lvm2 2.03.16 + sanlock).
    forget_lv(pool, name);  // whatever lvchange did, the kept row no longer says how it is
    ILVM_TRY(activate_lv(pool, lv, mode, converting ? "convert the lock of" : "activate", /*read_leases=*/!polling));
    // A snapshot chain's layers, shared, or nothing stays active (backend/chain_activation.cpp).
    if (Status layers = activate_layers(pool, lv); !layers.ok()) {
        if (!converting) release_lv(pool, name, "its snapshot chain could not be activated: nothing of it stays active");
        return layers.error();
    }
    spdlog::info("{} {}/{} ({})", converting ? "converted" : "activated", pool.vg_name, name,
                 want_exclusive ? "exclusive" : "shared");
    return before;
}

Result<VolInfo> Backend::deactivate_vol(const PoolDef &pool, const std::string &name, bool reuse_report) {
    // Local state only (is it active here, open?); lvchange takes the real locks.
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv_unlocked(pool, name, reuse_report));
    VolInfo before = to_vol_info(pool, lv);
    if (!lv.active_locally) return before;
    if (lv.device_open) {
        // What has it open may be udev: closing a device opened for writing makes udev probe
        // it (the "watch" option of lvm2's udev rules, then blkid; Debian 13 adds sg3-utils'
        // rules). Seen in the lab: under load the release hook found a volume open 2 s after
        // QEMU had gone and left it active, and locked, here; on Debian 13 `ilvm vol-deactivate`
        // right after a qemu-io write was refused "open on this host". udev's queue is waited
        // for (at most 30 s; at once when it is empty, as when a domain holds the volume), then
        // the volume looked at again.
        continue_after(run_status(sys_, device::udev_settle(), "udevadm settle"),
                       "the volume is looked at again all the same");
        forget_lv(pool, name);
        ILVM_ASSIGN_OR_RETURN(lv, load_lv_unlocked(pool, name, false));
        if (!lv.active_locally) return before;
    }
    if (lv.device_open)
        return conflict("volume '" + name + "' is open on this host", "stop the domain that uses it first");
    forget_lv(pool, name);
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lv_deactivate(pool.vg_name, name)));
    if (!out.succeeded()) return activation_error(pool, lv, out, "deactivate");
    if (const std::string why = lvm::lvmlockd_skipped(out); pool.shared() && !why.empty())
        // The device is gone, so this is not a failure to deactivate; the lock is the problem.
        spdlog::warn("deactivated {}/{}, but LVM did not reach lvmlockd ({}): this host keeps the volume's lock and "
                     "other hosts are refused it; ilvm doctor --fix repairs it",
                     pool.vg_name, name, why);
    else
        spdlog::info("deactivated {}/{}", pool.vg_name, name);
    release_layers(pool, lv);
    return before;
}

}  // namespace ilvm
