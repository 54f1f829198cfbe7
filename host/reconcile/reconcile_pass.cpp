// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/reconcile/reconcile_pass.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <variant>

#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/env.hpp"
#include "common/log.hpp"
#include "host/core/handover_files.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/status_files.hpp"
#include "host/core/volume_holds.hpp"
#include "host/core/volume_lock.hpp"
#include "host/core/volume_locks.hpp"
#include "host/core/volume_owners.hpp"
#include "host/handover/handover_guard.hpp"
#include "host/reconcile/idle_tracker.hpp"

namespace ilvm::host {
namespace {

constexpr const char *kIdleExt = "idle";

// The live-migration part of a pass (handover_guard.hpp): leftovers of domains not here
// (host-wide, so the first pool's pass removes them), then this pool's restore steps.
std::vector<ReconcileStepView> handover_steps(const PoolStore &store, const BackendClient &client, const std::string &pool,
                                              const GuardPlan &plan, const HandoverFiles &files, bool dry_run) {
    SystemClock clock;
    if (!dry_run)
        for (const auto &domain : plan.leftovers) {
            auto lock = files.lock(domain, clock, std::chrono::milliseconds(0));
            if (!lock.ok()) continue;   // a hand-over of it has just begun
            if (files.marker_time(domain)) {
                files.remove_marker(domain);
                spdlog::warn("removed the stale live-migration marker of domain {} (no hand-over running, domain not here)",
                             domain);
            }
            lock->remove_and_release();
        }
    std::vector<ReconcileStepView> out;
    if (plan.restore.empty()) return out;
    ModuleVolumeLocks locks(client, store);
    for (auto &s : restore_exclusive(pool, plan.restore, locks, files, clock, dry_run))
        out.push_back({pool, s.volume, "restore-exclusive", s.result, s.reason, s.error});
    return out;
}

struct Owners {
    std::set<std::string> owned;      // volumes a domain here may still use
    std::map<std::string, std::string> orphaned;   // volume → its owners, every record stale
};

std::set<std::string> known_domains(const StatusDir &status) {
    std::set<std::string> known;
    for (const auto &d : status.domains) known.insert(d.name);
    for (const auto &u : status.unreadable) known.insert(u.domain);   // unreadable is not gone
    return known;
}

bool is_stale(const VolumeOwner &o, const std::set<std::string> &known, int64_t now) {
    return !known.count(o.domain) && now - o.since >= kStaleOwnerSeconds;
}

// Removes the stale owner records of `vol`, under the volume's lock: a volume the hook or an
// ilvm verb is working on is skipped (the next pass tries again).
void remove_stale_owners(const PoolStore &store, const VolumeRef &v, const std::set<std::string> &known, int64_t now) {
    auto lock = VolumeLock::try_acquire(store, v, "reconcile", /*domain=*/false);
    if (!lock.ok() || !std::holds_alternative<VolumeLock>(*lock)) return;
    auto owners = read_volume_owners(store, v);   // again, under the lock
    if (!owners.ok()) return;
    for (const auto &o : *owners)
        if (is_stale(o, known, now)) {
            continue_after(remove_volume_owner(store, v, o.domain), "the record is tried again next pass");
            spdlog::warn("pool {}: removed the stale owner record of {} for domain {} (no such domain here)", v.pool,
                         v.volume, o.domain);
        }
}

// Owner records (host/core/volume_owners.hpp) of domains libvirt does not know here are
// stale after kStaleOwnerSeconds. Beside a live owner they are removed at once; a volume with
// stale records only is "orphaned": released by this pass, its records kept until then.
Owners owned_volumes(const PoolStore &store, const std::string &pool, const std::set<std::string> &known, int64_t now,
                     bool dry_run) {
    Owners out;
    for (const auto &vol : volumes_with_owners(store, pool)) {
        const VolumeRef v{pool, vol};
        auto owners = read_volume_owners(store, v);
        if (!owners.ok()) {   // damaged: the hook refuses starts on it; keep it in use
            spdlog::warn("pool {}: {}", pool, owners.error().message);
            out.owned.insert(vol);
            continue;
        }
        const auto stale = std::count_if(owners->begin(), owners->end(), [&](const auto &o) { return is_stale(o, known, now); });
        if (stale > 0 && stale == static_cast<std::ptrdiff_t>(owners->size())) {
            out.orphaned.emplace(vol, owner_names(*owners));
            continue;
        }
        out.owned.insert(vol);
        if (stale > 0 && !dry_run) remove_stale_owners(store, v, known, now);
    }
    return out;
}

// The step that keeps `vol` active on this host after the pass (open, in use, held, busy,
// idle, or a deactivation that failed); none when the pass released it or it is not active.
const ReconcileStepView *still_active(const std::vector<ReconcileStepView> &steps, const std::string &vol) {
    for (const auto &s : steps)
        if (s.volume == vol && (s.action == "keep" || still_idle(s))) return &s;
    return nullptr;
}

// An orphaned volume's records go once the volume is no longer active here. While it is
// (QEMU still closing it, or the hand-over guard holding releases), they stay: libvirt
// deletes a stopping domain's status file before it runs the hook's `release`, and that
// `release` deactivates only a volume its domain has a record for. Measured in the lab: a
// pass removed the record of a domain that had just migrated away, but could not release its
// volume yet; the hook 184 ms later left the volume active ("no owner record"), and the
// destination's finisher waited 17 s for the idle grace of a later pass.
void forget_released_owners(const PoolStore &store, const std::string &pool, const Owners &owners,
                            const std::vector<ReconcileStepView> &steps, const std::set<std::string> &known,
                            int64_t now) {
    for (const auto &[vol, names] : owners.orphaned) {
        if (const auto *kept = still_active(steps, vol)) {
            spdlog::info("{}/{}: keeps the owner record of domain {} (no longer here) until the volume is released "
                         "({}), so that the domain's release hook still deactivates it",
                         pool, vol, names, kept->reason);
            continue;
        }
        remove_stale_owners(store, {pool, vol}, known, now);
    }
}

std::string describe_restore(const ReconcileStepView &s) {
    const std::string what = s.result == "planned"    ? "would restore the exclusive lock"
                             : s.result == "done"     ? "restored the exclusive lock"
                             : s.result == "conflict" ? "still shared: another host holds it too"
                                                      : "FAILED to restore the exclusive lock";
    std::string line = s.pool + "/" + s.volume + ": " + what + " (" + s.reason + ")";
    if (!s.error.empty() && s.result == "failed") line += ": " + s.error;
    return line;
}

}  // namespace

std::set<std::string> volumes_in_use(const std::vector<LocalDomain> &domains, const std::string &pool) {
    std::set<std::string> out;
    for (const auto &dom : domains)
        for (const auto &d : dom.disks)
            if (d.pool == pool) out.insert(d.volume);
    return out;
}

Result<int64_t> reconcile_grace_seconds() {
    ILVM_ASSIGN_OR_RETURN(uint64_t s, env_number("ILVM_RECONCILE_GRACE_SECONDS", 10, 0, 86400));
    return static_cast<int64_t>(s);
}

Result<std::vector<ReconcileStepView>> reconcile_pass(const PoolStore &store, const BackendClient &client,
                                                      const std::string &pool, const std::string &pool_xml,
                                                      ReconcileOptions options) {
    const bool dry_run = options.dry_run;
    ILVM_ASSIGN_OR_RETURN(const int64_t grace, reconcile_grace_seconds());
    const int64_t now = unix_seconds();
    const IdleSince before = parse_idle_since(store.load_runtime_file(pool, kIdleExt));
    const StatusDir status = read_status_dir(status_dir(), load_pool_bindings(store));
    const auto &domains = status.domains;
    const HandoverFiles files = HandoverFiles::for_store(store);
    const GuardPlan guard = plan_handover_guard(pool, domains, read_handover_traces(files, std::chrono::system_clock::now()));
    std::set<std::string> settled = settled_volumes(before, now, grace);
    if (!guard.hold.empty()) {
        spdlog::info("pool {}: no idle volume is released in this pass: {}", pool, guard.hold);
        settled.clear();
    }
    if (!status.unreadable.empty()) {
        // A domain whose status file does not read may use any volume: release nothing.
        spdlog::warn("pool {}: no idle volume is released in this pass: cannot read {}: {}", pool,
                     status.unreadable.front().path, status.unreadable.front().why);
        settled.clear();
    }
    std::set<std::string> in_use = volumes_in_use(domains, pool);
    const std::set<std::string> known = known_domains(status);
    Owners owners = owned_volumes(store, pool, known, now, dry_run);
    in_use.merge(owners.owned);   // moves them: only `orphaned` is used after this
    // A volume whose every owner record is stale is released now, as the hook's `release`
    // would have: the idle grace is for a domain that may still be starting, and these records
    // are older than kStaleOwnerSeconds. Measured in the lab: waiting for the grace kept a
    // migrated volume shared on the source 24 s longer, and the destination's finisher waited.
    // The module still keeps an open volume, or one a running domain uses.
    if (guard.hold.empty() && status.unreadable.empty())
        for (const auto &[vol, names] : owners.orphaned)
            if (!in_use.count(vol)) settled.insert(vol);
    std::set<std::string> busy;
    for (const auto &[vol, holder] : VolumeLock::held_in_pool(store, pool)) busy.insert(vol);
    if (!dry_run)
        for (const auto &vol : remove_ended_holds(store, pool, now)) spdlog::info("pool {}: the hold of {} ended", pool, vol);
    const std::string state = format_reconcile_state(in_use, settled, busy, held_volumes(store, pool, now));
    const unsigned flags = (dry_run ? ILVM_RECONCILE_DRY_RUN : 0u) | (options.remove_incomplete ? ILVM_RECONCILE_REMOVE_INCOMPLETE : 0u);
    ILVM_ASSIGN_OR_RETURN(std::string result, client.reconcile_pool(pool_xml, state, flags));
    ILVM_ASSIGN_OR_RETURN(auto steps, parse_reconcile_steps(pool, result));
    for (auto &s : handover_steps(store, client, pool, guard, files, dry_run)) steps.push_back(std::move(s));
    if (dry_run) return steps;
    forget_released_owners(store, pool, owners, steps, known, now);
    // Still idle: not deactivated yet, or the deactivation failed (retried next pass).
    std::vector<std::string> idle_now;
    for (const auto &s : steps)
        if (still_idle(s)) idle_now.push_back(s.volume);
    auto next = next_idle_since(before, idle_now, now);
    if (next.empty()) store.remove_runtime_file(pool, kIdleExt);
    else ILVM_TRY(store.save_runtime_file(pool, kIdleExt, format_idle_since(next)));
    return steps;
}

bool still_idle(const ReconcileStepView &s) {
    return s.action == "idle" || (s.action == "deactivate" && s.result != "done");
}

void log_changes(const std::vector<ReconcileStepView> &steps) {
    for (const auto &s : steps) {
        if (!is_change(s)) continue;
        if (s.result == "failed") spdlog::warn("reconcile: {}", describe(s));
        else spdlog::info("reconcile: {}", describe(s));
    }
}

bool is_change(const ReconcileStepView &s) {
    return s.action == "set-flags" || s.action == "deactivate" || s.action == "restore-exclusive" ||
           s.action == "incomplete" || s.action == "remove-incomplete";
}

std::string describe(const ReconcileStepView &s) {
    if (s.action == "restore-exclusive") return describe_restore(s);
    if (s.action == "incomplete")
        return s.pool + "/" + s.volume + ": INCOMPLETE: " + s.reason + "; remove it with ilvm reconcile --remove-incomplete";
    if (s.action == "remove-incomplete") {
        const std::string what = s.result == "planned" ? "would remove the incomplete volume"
                                 : s.result == "done"  ? "removed the incomplete volume"
                                                       : "FAILED to remove the incomplete volume";
        return s.pool + "/" + s.volume + ": " + what + " (" + s.reason + ")" + (s.error.empty() ? "" : ": " + s.error);
    }
    const bool flags = s.action == "set-flags";
    std::string what = s.result == "planned" ? (flags ? "would set activation skip on and autoactivation off" : "would deactivate")
                       : s.result == "failed" ? (flags ? "FAILED to set activation skip / autoactivation" : "FAILED to deactivate")
                                              : (flags ? "set activation skip on and autoactivation off" : "deactivated");
    std::string line = s.pool + "/" + s.volume + ": " + what + " (" + s.reason + ")";
    if (!s.error.empty()) line += ": " + s.error;
    return line;
}

}  // namespace ilvm::host
