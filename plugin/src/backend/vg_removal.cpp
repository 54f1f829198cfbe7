// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/vg_removal.hpp"

#include <string>
#include <vector>

#include "backend/lockspace.hpp"
#include "backend/tool_messages.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "lvm/lvm_argv.hpp"
#include "lvm/lvm_version.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_dump.hpp"

namespace ilvm::vg_removal {
namespace {

std::string stop_elsewhere_hint(const PoolDef &pool) {
    return "stop the pool on every other host first (ilvm pool-destroy " + pool.name + ")";
}

Status remove_with_lvm(System &sys, const PoolDef &pool) {
    auto removed = sys.run(lvm::vgremove(pool.vg_name));
    if (!removed.ok()) return removed.take_error();
    if (removed->succeeded()) return {};
    const std::string line = removed->first_error_line();
    if (says(line, ToolMessage::vg_in_use_elsewhere))
        return conflict("vgremove " + pool.vg_name + ": " + line, stop_elsewhere_hint(pool));
    return system_error("vgremove " + pool.vg_name + ": " + line);
}

// Whether this host's lvm2 is one whose lvmlockd cannot remove a sanlock VG. A version that
// cannot be read keeps LVM's own vgremove, which is right on every other release.
bool lvmlockd_cannot_remove(System &sys) {
    auto out = sys.run(lvm::lvm_version());
    if (!out.ok() || !out->succeeded()) {
        spdlog::info("lvm version failed ({}): removing the VG with vgremove as usual",
                     out.ok() ? out->first_error_line() : out.error().message);
        return false;
    }
    const auto v = lvm::parse_lvm_version(out->out);
    if (!v) {
        spdlog::info("lvm version printed no 'LVM version:' line: removing the VG with vgremove as usual");
        return false;
    }
    return lvm::lvmlockd_vgremove_hangs(*v);
}

// The hosts other than this one that sanlock sees live in the pool's lockspace ("host 2
// (kvm-b)"). What lvmlockd's vgremove asks sanlock before it removes anything (lvm2
// lvmlockd-core.c, the hosts check of free_vg): a host whose lease is free left the lockspace
// cleanly; one whose lease stopped moving 8 io_timeouts ago is dead to sanlock too.
Result<std::vector<std::string>> other_live_hosts(System &sys, const PoolDef &pool, const std::string &lockspace,
                                                  uint32_t our_host_id) {
    auto out = sys.run(sanlock::sanlock_client_host_status(lockspace));
    if (!out.ok()) return out.take_error();
    if (!out->succeeded())
        return system_error("cannot tell which hosts are in lockspace " + lockspace + ": sanlock client host_status: " +
                                out->first_error_line(),
                            "is sanlock running? (systemctl status sanlock); pool " + pool.name + " stays as it is");
    std::vector<std::string> others;
    for (const auto &h : sanlock::parse_sanlock_host_status(out->out)) {
        if (h.host_id == our_host_id || !sanlock::sanlock_host_live(h)) continue;
        const std::string name = sanlock::host_name_from_owner(h.owner_name);
        others.push_back("host " + std::to_string(h.host_id) + (name.empty() ? std::string() : " (" + name + ")"));
    }
    return others;
}

Status remove_past_lvmlockd(System &sys, const PoolDef &pool) {
    const std::string lockspace = "lvm_" + pool.vg_name;
    const std::string what = "vgremove " + pool.vg_name;
    auto status = sys.run(sanlock::sanlock_client_status());
    if (!status.ok()) return status.take_error();
    if (!status->succeeded())
        return system_error(what + ": cannot ask sanlock for this host's lockspaces: " + status->first_error_line(),
                            "is sanlock running? (systemctl status sanlock); pool " + pool.name + " stays as it is");
    const auto our_id = sanlock::joined_host_id(sanlock::parse_sanlock_status(status->out), lockspace);
    if (!our_id)
        return conflict(what + ": this host has not joined lockspace " + lockspace,
                        "start the pool here (ilvm pool-start " + pool.name + "), then delete it");
    ILVM_ASSIGN_OR_RETURN(auto others, other_live_hosts(sys, pool, lockspace, *our_id));
    if (!others.empty())
        return conflict(what + ": " + join(others, ", ") + (others.size() == 1 ? " is" : " are") +
                            " still in its lockspace " + lockspace,
                        stop_elsewhere_hint(pool));

    // Nobody else is in the lockspace, and a host that starts the pool now needs its delta
    // lease first: sanlock writes it and waits two io_timeouts (20 s) before the host is in,
    // and only then may its lvmlockd lock anything in the VG. The three commands below take
    // a few seconds; a host joining meanwhile finds the VG gone when its wait ends.
    spdlog::warn("pool {}: lvm2's lvmlockd cannot remove a sanlock VG on this release (its vgremove never ends); "
                 "removing {} with lvmlockd(8)'s forced lock type change instead: no other host is in lockspace {}",
                 pool.name, pool.vg_name, lockspace);
    ILVM_TRY(run_status(sys, lvm::vg_lock_stop(pool.vg_name), "vgchange --lock-stop " + pool.vg_name));
    auto local = run_status(sys, lvm::vg_lock_type_none_forced(pool.vg_name),
                            "vgchange --locktype none --lockopt force " + pool.vg_name);
    if (!local.ok()) {
        // Still a shared VG, only this host left its lockspace: join it again, so that the
        // pool is as it was.
        Status back = lockspace::start_lockspace(sys, pool);
        if (back.ok()) back = lockspace::check_joined(sys, pool);
        return system_error(local.error().message,
                            back.ok() ? "nothing was removed; pool " + pool.name + " is started here as before"
                                      : "nothing was removed, but the pool left its lockspace here: ilvm pool-destroy " +
                                            pool.name + " && ilvm pool-start " + pool.name + " joins it again (" +
                                            back.error().message + ")");
    }
    auto removed = run_status(sys, lvm::vgremove_without_lvmlockd(pool.vg_name), what);
    if (!removed.ok())
        return system_error(removed.error().message,
                            "volume group " + pool.vg_name + " is a local VG now (lock type none), no longer shared: "
                            "remove it with vgremove --force --config 'global{use_lvmlockd=0}' " + pool.vg_name +
                                ", or make it shared again with vgchange --locktype sanlock " + pool.vg_name);
    return {};
}

}  // namespace

Status remove_vg(System &sys, const PoolDef &pool) {
    if (pool.lock_type == LockType::sanlock && lvmlockd_cannot_remove(sys)) return remove_past_lvmlockd(sys, pool);
    return remove_with_lvm(sys, pool);
}

}  // namespace ilvm::vg_removal
