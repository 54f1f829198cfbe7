// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/hook.hpp"

#include <algorithm>
#include <ctime>
#include <ostream>

#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "shim/disk_format.hpp"
#include "shim/volume_claims.hpp"

namespace ilvm::hook {

using host::DiskRef;

namespace {

std::string describe(const DiskRef &d) {
    return "disk " + (d.target.empty() ? std::string("?") : d.target) + " (" + d.source + ")";
}

bool same_volume(const DiskRef &a, const DiskRef &b) { return a.pool == b.pool && a.volume == b.volume; }

// all_shared: an incoming migration; until the source lets go both hosts hold the lock shared.
int activate_all(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc,
                 std::ostream &err, bool all_shared = false, const std::string &refusal_hint = "") {
    const bool migrating = inv.op == "migrate";
    auto fail = [&](const std::string &msg, const std::string &hint) {
        err << "iscsi-lvm: " << (migrating ? "cannot accept the live migration of" : "cannot start") << " domain '"
            << inv.domain << "': " << msg;
        if (!hint.empty()) err << " (hint: " << hint << ")";
        err << "\n";
        spdlog::error("domain {}: {}", inv.domain, msg);
        return 1;
    };
    // Check and activate under the volumes' host locks: no maintenance runs on them, and no
    // other domain's hook checks them at the same moment.
    auto locks = lock_volumes(*env.store, disks, (migrating ? "incoming migration of domain " : "start of domain ") + inv.domain,
                              /*refuse_maintenance=*/true, *env.clock, env.wait_for_other_hooks);
    if (!locks.ok()) return fail(locks.error().message, locks.error().hint);

    // A volume is used by at most one domain unless every user marks it shareable/readonly:
    // the owners recorded by earlier starts (whose status files libvirt may not have written
    // yet), and the domains libvirt runs.
    if (auto owned = check_owners(*env.store, inv.domain, disks); !owned.ok())
        return fail(owned.error().message, owned.error().hint);
    if (env.disks_of_other_running_domains) {
        auto others = env.disks_of_other_running_domains();
        if (!others.ok()) return fail(others.error().message, others.error().hint);
        for (const auto &d : disks)
            for (const auto &o : *others)
                if (same_volume(d, o) && !(d.shared && o.shared))
                    return fail(describe(d) + ": volume '" + d.volume + "' of pool " + d.pool +
                                    " is in use by another running domain on this host",
                                "mark the disk <shareable/> in both domains if that is intended");
    }

    std::vector<DiskRef> activated;
    // All or nothing: undo what this invocation activated.
    auto roll_back = [&] {
        for (const auto &a : activated) {
            auto r = vc.deactivate(a.pool, a.volume);
            if (!r.ok()) spdlog::error("domain {}: rollback of {} failed: {}", inv.domain, describe(a), r.error().message);
        }
    };
    const auto out_of_time = [&] { return env.timed_out && env.timed_out(); };
    const auto caller_gone = [&] { return env.caller_gone && env.caller_gone(); };
    const std::string gone_message =
        "libvirt stopped waiting for this hook (its daemon exited or restarted): what it activated is undone";
    for (const auto &d : disks) {
        Status st;
        if (caller_gone()) {
            roll_back();
            return fail(gone_message, "start the domain again");
        }
        if (out_of_time()) {
            st = system_error("the hook ran out of time (ILVM_HOOK_TIMEOUT) before this disk");
        } else if (!vc.pool_started(d.pool)) {
            st = conflict("pool " + d.pool + " is not started on this host", "ilvm pool-start " + d.pool);
        } else {
            auto done = vc.activate(d.pool, d.volume, d.shared || all_shared);
            if (!done.ok()) {
                st = done.take_error();
            } else {
                if (done->changed) activated.push_back(d);
                st = check_disk_format(d, done->format);
            }
        }
        if (!st.ok()) {
            roll_back();
            const bool lock_conflict = st.error().code == ErrorCode::conflict && vc.pool_started(d.pool);
            return fail(describe(d) + ": " + st.error().message,
                        lock_conflict && !refusal_hint.empty() ? refusal_hint : st.error().hint);
        }
        spdlog::info("domain {}: {} active here ({})", inv.domain, describe(d),
                     d.shared || all_shared ? "shared" : "exclusive");
    }
    if (out_of_time()) {
        roll_back();
        return fail("the hook ran out of time (ILVM_HOOK_TIMEOUT)", "");
    }
    if (caller_gone()) {
        roll_back();
        return fail(gone_message, "start the domain again");
    }
    // The record is what stops a second domain: without it the start is not safe.
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    for (const auto &d : disks) {
        auto recorded = host::add_volume_owner(*env.store, {d.pool, d.volume}, {inv.domain, d.shared, now});
        if (!recorded.ok()) {
            for (const auto &r : disks)
                continue_after(host::remove_volume_owner(*env.store, {r.pool, r.volume}, inv.domain),
                               "the start is refused; a record left behind is removed by the reconciler");
            roll_back();
            return fail(describe(d) + ": " + recorded.error().message, recorded.error().hint);
        }
    }
    return 0;
}

// Never fails: libvirt cannot undo a release, so each failure is logged loudly instead.
void deactivate_all(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc) {
    // Another hook call (a start of a domain on the same volume) is waited for. Maintenance
    // is not: it never works on a volume a domain owns, so a volume it holds is one this
    // domain never activated, which the owner check below leaves alone; waiting would only
    // keep a refused `virsh start` from returning.
    auto locks = lock_volumes(*env.store, disks, "stop of domain " + inv.domain, /*refuse_maintenance=*/true, *env.clock,
                              env.wait_for_other_hooks);
    if (!locks.ok())
        spdlog::warn("domain {}: {}; releasing without the host locks: only the volumes this domain activated are "
                     "deactivated, a volume it did not activate is left to its holder",
                     inv.domain, locks.error().message);
    std::vector<DiskRef> others;
    if (env.disks_of_other_running_domains) {
        auto running = env.disks_of_other_running_domains();
        if (running.ok()) others = std::move(*running);
        else spdlog::error("domain {}: {} (volumes other domains may use stay active)", inv.domain, running.error().message);
    }
    for (const auto &d : disks) {
        const host::VolumeRef v{d.pool, d.volume};
        // Release undoes what this domain's prepare (or incoming migration) did, nothing
        // more: without its owner record it never activated the volume here (its start was
        // refused, say while a vol-wipe held the volume, and libvirt releases all the same),
        // so whoever made the volume active keeps it. A domain started before owner records
        // existed gets one at libvirtd's reconnect; until then the reconciler releases its
        // volumes once they are idle.
        auto left = host::remove_volume_owner(*env.store, v, inv.domain);
        if (left.ok() && !*left) {
            spdlog::info("domain {}: {} left as it is: this domain did not activate it here (no owner record)",
                         inv.domain, describe(d));
            continue;
        }
        // Owners unknown (the record unreadable): the volume may be in use, so it stays.
        if (!left.ok()) spdlog::error("domain {}: {}", inv.domain, left.error().message);
        const std::vector<host::VolumeOwner> owners = left.ok() ? **left : std::vector<host::VolumeOwner>();
        bool still_used = !left.ok() || !owners.empty();
        for (const auto &o : others) still_used = still_used || same_volume(d, o);
        if (still_used) {
            spdlog::info("domain {}: {} stays active: another domain here uses it{}", inv.domain, describe(d),
                         owners.empty() ? "" : " (" + host::owner_names(owners) + ")");
            continue;
        }
        auto st = vc.deactivate(d.pool, d.volume);
        if (!st.ok())
            spdlog::error("domain {}: could not deactivate {}: {}", inv.domain, describe(d), st.error().message);
        else
            spdlog::info("domain {}: {} deactivated", inv.domain, describe(d));
    }
}

// Asks this host's agent to have the holders of the domain's volumes share them (a stock
// `virsh migrate`: the source still holds them exclusively). No agent here: nothing asked,
// the shared activation decides (it works after `ilvm migrate` on the source). The agent's
// refusal, or an agent that cannot answer, refuses the migration.
Status ask_holders_to_share(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env) {
    if (!env.ask_agent) return {};
    host::AgentRequest request{host::AgentOp::incoming, inv.domain, host::exclusive_volumes(disks), {}, {}};
    if (request.volumes.empty()) return {};
    auto answer = env.ask_agent(request);
    if (!answer.ok() && answer.error().code == ErrorCode::not_found) {
        spdlog::info("domain {}: no agent on this host to ask for the hand-over ({}); only a source that ran "
                     "`ilvm migrate` has shared the volumes", inv.domain, answer.error().message);
        return {};
    }
    if (!answer.ok()) return answer.take_error();
    if (!answer->status.ok()) return answer->status;
    spdlog::info("domain {}: {}", inv.domain, answer->detail);
    return {};
}

// Destination of a live migration, before libvirt starts the incoming qemu (and before any
// memory is copied). The source's agent shares the volumes when asked (ilvmd), or the
// source's `ilvm migrate` has; otherwise the source still holds the locks exclusively, the
// shared activation fails, and the migration is refused here.
int accept_migration(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc,
                     std::ostream &err) {
    if (env.handover == nullptr) {
        err << "iscsi-lvm: live migration of domain '" << inv.domain << "' is refused: this hook has no hand-over state\n";
        return 1;
    }
    if (auto asked = ask_holders_to_share(inv, disks, env); !asked.ok()) {
        err << "iscsi-lvm: cannot accept the live migration of domain '" << inv.domain << "': " << asked.error().message;
        if (!asked.error().hint.empty()) err << " (hint: " << asked.error().hint << ")";
        err << "\n";
        spdlog::error("domain {}: {}", inv.domain, asked.error().message);
        return 1;
    }
    const std::string hint = "if that is the migration's source, run the agent on both hosts (systemctl start ilvmd), or "
                             "migrate with `ilvm migrate " + inv.domain + " DESTURI` on it: either shares the volumes' "
                             "locks for the hand-over";
    if (int rc = activate_all(inv, disks, env, vc, err, true, hint); rc != 0) return rc;
    auto marked = env.handover->mark_incoming(inv.domain);
    if (!marked.ok()) {
        // Without the marker, prepare would ask for exclusive locks and fail the migration
        // later; fail it now, cleanly, instead.
        deactivate_all(inv, disks, env, vc);
        err << "iscsi-lvm: cannot accept the live migration of domain '" << inv.domain << "': " << marked.error().message << "\n";
        return 1;
    }
    auto finisher = env.handover->start_finisher(inv.domain);
    if (!finisher.ok())
        spdlog::error("domain {}: {}; the volumes stay shared until `ilvm reconcile` restores the exclusive lock",
                      inv.domain, finisher.error().message);
    spdlog::info("domain {}: accepted an incoming live migration ({} volume(s) shared for the hand-over)", inv.domain,
                 disks.size());
    return 0;
}

int verify_all(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc) {
    // A running domain owns its volumes: record it where the record is missing (a domain
    // started before this version, or by a hook that could not write it).
    if (auto locks = lock_volumes(*env.store, disks, "reconnect of domain " + inv.domain, /*refuse_maintenance=*/false,
                                  *env.clock, env.wait_for_other_hooks);
        locks.ok()) {
        const int64_t now = static_cast<int64_t>(std::time(nullptr));
        for (const auto &d : disks) {
            auto owners = host::read_volume_owners(*env.store, {d.pool, d.volume});
            const bool recorded = owners.ok() && std::any_of(owners->begin(), owners->end(), [&](const host::VolumeOwner &o) {
                return o.domain == inv.domain;
            });
            if (!recorded)
                continue_after(host::add_volume_owner(*env.store, {d.pool, d.volume}, {inv.domain, d.shared, now}),
                               "the domain runs already; the next start of another domain on the volume still "
                               "meets libvirt's status file");
        }
    } else {
        spdlog::error("domain {}: {}", inv.domain, locks.error().message);
    }
    for (const auto &d : disks) {
        auto active = vc.active_here(d.pool, d.volume);
        if (!active.ok())
            spdlog::critical("domain {} is running but the state of {} is unknown: {}", inv.domain, describe(d),
                             active.error().message);
        else if (!*active)
            spdlog::critical("domain {} is running but {} is NOT active on this host: exclusivity is not guaranteed",
                             inv.domain, describe(d));
    }
    return 0;
}

}  // namespace

Action action_for(const Invocation &inv) {
    if ((inv.op == "prepare" || inv.op == "restore") && inv.subop == "begin") return Action::activate;
    if (inv.op == "release" && inv.subop == "end") return Action::deactivate;
    if (inv.op == "reconnect" && inv.subop == "begin") return Action::verify;
    if (inv.op == "migrate" && inv.subop == "begin") return Action::accept_migration;
    return Action::none;
}

int run_hook(const Invocation &inv, std::string_view domain_xml, const HookEnv &env, VolumeControl &vc, std::ostream &err) {
    if (action_for(inv) == Action::none) return 0;
    return run_hook_on_disks(inv, host::domain_disks(domain_xml, env.pools), env, vc, err);
}

int run_hook_on_disks(const Invocation &inv, const Result<std::vector<DiskRef>> &disks, const HookEnv &env, VolumeControl &vc,
                      std::ostream &err) {
    const Action action = action_for(inv);
    if (action == Action::none) return 0;
    if (!disks.ok()) {
        // Fail closed only where it matters: we cannot vouch for a start we cannot read.
        spdlog::error("domain {} ({} {}): {}", inv.domain, inv.op, inv.subop, disks.error().message);
        if (action == Action::activate || action == Action::accept_migration) {
            err << "iscsi-lvm: cannot check the disks of domain '" << inv.domain << "': " << disks.error().message << "\n";
            return 1;
        }
        return 0;
    }
    if (disks->empty()) return 0;
    switch (action) {
    case Action::activate: {
        // The `prepare` of an accepted incoming migration keeps the hand-over's shared locks.
        const bool incoming = inv.op == "prepare" && env.handover && env.handover->incoming(inv.domain);
        return activate_all(inv, *disks, env, vc, err, incoming);
    }
    case Action::deactivate: {
        deactivate_all(inv, *disks, env, vc);
        if (env.handover) env.handover->clear_incoming(inv.domain);  // a failed incoming migration ends here too
        return 0;
    }
    case Action::verify: return verify_all(inv, *disks, env, vc);
    case Action::accept_migration: return accept_migration(inv, *disks, env, vc, err);
    case Action::none: break;
    }
    return 0;
}

}  // namespace ilvm::hook
