// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/lockspace.hpp"

#include "backend/device.hpp"
#include "backend/tool_messages.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "lvm/lvm_argv.hpp"
#include "sanlock/client_status.hpp"

namespace ilvm::lockspace {
namespace {

// vgchange --lock-start activates the VG's lvmlock LV and asks lvmlockd to join the
// lockspace; lvmlockd looks for the LV's device node one second later, and on a loaded host
// udev has not made it by then (tool_messages.cpp: lock_lv_not_ready). The failed start
// leaves the LV active, so once udev has settled the node is there and the next start finds
// it. Other failures are not retried.
constexpr int kLockStartAttempts = 3;

}  // namespace

Status start_lockspace(System &sys, const PoolDef &pool) {
    const std::string what = "vgchange --lock-start " + pool.vg_name;
    const std::string lock_lv = lvm::dm_path(pool.vg_name, "lvmlock");
    const std::string daemons_hint = "are lvmlockd and " + std::string(lock_type_name(pool.lock_type)) +
                                     " running, with a unique host_id in /etc/lvm/lvmlocal.conf? (see docs/troubleshooting.md)";
    for (int attempt = 1;; ++attempt) {
        auto run = sys.run(lvm::vg_lock_start(pool.vg_name));
        if (!run.ok()) return Error(run.error().code, run.error().message, daemons_hint);
        const CommandOutput &out = *run;
        if (out.succeeded()) return {};
        const std::string line = out.first_error_line();
        if (!says(out.err, ToolMessage::lock_lv_not_ready)) return system_error(what + ": " + line, daemons_hint);
        if (attempt == kLockStartAttempts)
            return system_error(what + ": " + line + " (" + std::to_string(attempt) + " attempts)",
                                "lvmlockd could not use " + lock_lv + ", the VG's lease volume: its log (journalctl -u lvmlockd) "
                                "says why; 'prepare_lockspace_san stat error 2' means the device node never appeared "
                                "(see docs/troubleshooting.md)");
        spdlog::warn("{}: {}: lvmlockd looked for {} before udev had made it; trying again once udev has settled "
                     "(attempt {} of {})",
                     what, line, lock_lv, attempt + 1, kLockStartAttempts);
        continue_after(run_status(sys, device::udev_settle(), "udevadm settle"),
                       "settling only gives udev time to make the device node; the next lock-start tells whether it did");
        if (!sys.path_exists(lock_lv)) spdlog::info("{} is still missing after udev settled", lock_lv);
    }
}

Join lockspace_join(System &sys, const PoolDef &pool) {
    auto res = sys.run(sanlock::sanlock_client_status());
    if (!res.ok() || !res->succeeded()) return Join::unknown;
    const auto *ls = sanlock::find_lockspace(sanlock::parse_sanlock_status(res->out), "lvm_" + pool.vg_name);
    if (ls == nullptr) return Join::absent;
    return ls->joined() ? Join::joined : Join::in_progress;
}

// vgchange --lock-start waits for lvmlockd's join and exits 0 even when the join failed
// (measured in the lab, host-failure: "add_lockspace error -5" in lvmlockd's log, vgchange
// exit 0; lvm2 lockd_start_wait() only logs). A pool whose lockspace is not joined would
// count as started while every lock in it fails, so sanlock is asked.
Status check_joined(System &sys, const PoolDef &pool) {
    if (pool.lock_type != LockType::sanlock) return {};
    const std::string what = "vgchange --lock-start " + pool.vg_name;
    const std::string ls = "lvm_" + pool.vg_name;
    switch (lockspace_join(sys, pool)) {
    case Join::joined: return {};
    case Join::unknown:
        return system_error(what + ": cannot ask sanlock whether it joined lockspace " + ls,
                            "is sanlock running? (systemctl status sanlock; see docs/troubleshooting.md)");
    case Join::in_progress:
    case Join::absent: break;
    }
    return system_error(what + ": sanlock has not joined lockspace " + ls + " although vgchange reported success",
                        "journalctl -u lvmlockd -u sanlock says why ('add_lockspace error -5': I/O errors on " +
                            lvm::dm_path(pool.vg_name, "lvmlock") + "; see docs/troubleshooting.md)");
}

}  // namespace ilvm::lockspace
