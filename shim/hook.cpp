// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/hook.hpp"

#include <ostream>

#include "common/log.hpp"

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
    // A volume is used by at most one domain unless every user marks it shareable/readonly.
    std::vector<DiskRef> others;
    if (env.disks_of_other_running_domains) others = env.disks_of_other_running_domains();
    for (const auto &d : disks)
        for (const auto &o : others)
            if (same_volume(d, o) && !(d.shared && o.shared))
                return fail(describe(d) + ": volume '" + d.volume + "' of pool " + d.pool +
                                " is in use by another running domain on this host",
                            "mark the disk <shareable/> in both domains if that is intended");

    std::vector<DiskRef> activated;
    for (const auto &d : disks) {
        Status st;
        if (!vc.pool_started(d.pool)) {
            st = conflict("pool " + d.pool + " is not started on this host", "ilvm pool-start " + d.pool);
        } else {
            auto changed = vc.activate(d.pool, d.volume, d.shared || all_shared);
            if (!changed.ok()) st = changed.take_error();
            else if (*changed) activated.push_back(d);
        }
        if (!st.ok()) {
            // All or nothing: undo what this invocation activated.
            for (const auto &a : activated) {
                auto r = vc.deactivate(a.pool, a.volume);
                if (!r.ok()) spdlog::error("domain {}: rollback of {} failed: {}", inv.domain, describe(a), r.error().message);
            }
            const bool lock_conflict = st.error().code == ErrorCode::conflict && vc.pool_started(d.pool);
            return fail(describe(d) + ": " + st.error().message,
                        lock_conflict && !refusal_hint.empty() ? refusal_hint : st.error().hint);
        }
        spdlog::info("domain {}: {} active here ({})", inv.domain, describe(d),
                     d.shared || all_shared ? "shared" : "exclusive");
    }
    return 0;
}

// Never fails: libvirt cannot undo a release, so each failure is logged loudly instead.
void deactivate_all(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc) {
    std::vector<DiskRef> others;
    if (env.disks_of_other_running_domains) others = env.disks_of_other_running_domains();
    for (const auto &d : disks) {
        bool still_used = false;
        for (const auto &o : others) still_used = still_used || same_volume(d, o);
        if (still_used) {
            spdlog::info("domain {}: {} stays active: another running domain uses it", inv.domain, describe(d));
            continue;
        }
        auto st = vc.deactivate(d.pool, d.volume);
        if (!st.ok())
            spdlog::error("domain {}: could not deactivate {}: {}", inv.domain, describe(d), st.error().message);
        else
            spdlog::info("domain {}: {} deactivated", inv.domain, describe(d));
    }
}

// Destination of a live migration, before libvirt starts the incoming qemu (and before any
// memory is copied). Without `ilvm migrate` on the source, the source still holds the locks
// exclusively, the shared activation fails, and the migration is refused here.
int accept_migration(const Invocation &inv, const std::vector<DiskRef> &disks, const HookEnv &env, VolumeControl &vc,
                     std::ostream &err) {
    if (env.handover == nullptr) {
        err << "iscsi-lvm: live migration of domain '" << inv.domain << "' is refused: this hook has no hand-over state\n";
        return 1;
    }
    const std::string hint = "if that is the migration's source, migrate with `ilvm migrate " + inv.domain +
                             " DESTURI` on it: it shares the volumes' locks for the hand-over";
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

int verify_all(const Invocation &inv, const std::vector<DiskRef> &disks, VolumeControl &vc) {
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
    const Action action = action_for(inv);
    if (action == Action::none) return 0;
    auto disks = host::domain_disks(domain_xml, env.pools);
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
    case Action::verify: return verify_all(inv, *disks, vc);
    case Action::accept_migration: return accept_migration(inv, *disks, env, vc, err);
    case Action::none: break;
    }
    return 0;
}

}  // namespace ilvm::hook
