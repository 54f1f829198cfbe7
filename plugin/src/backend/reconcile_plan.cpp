// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/reconcile_plan.hpp"

#include "common/names.hpp"
#include "lvm/lvm_argv.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/template_tags.hpp"

namespace ilvm {

const char *reconcile_action_name(ReconcileAction a) {
    switch (a) {
    case ReconcileAction::set_flags: return "set-flags";
    case ReconcileAction::deactivate: return "deactivate";
    case ReconcileAction::idle: return "idle";
    case ReconcileAction::keep: return "keep";
    case ReconcileAction::incomplete: return "incomplete";
    case ReconcileAction::remove_incomplete: return "remove-incomplete";
    }
    return "keep";
}

const char *step_result_name(StepResult r) {
    switch (r) {
    case StepResult::planned: return "planned";
    case StepResult::done: return "done";
    case StepResult::failed: return "failed";
    }
    return "planned";
}

namespace {

std::string flags_reason(const lvm::LvReport &lv) {
    if (!lv.skip_activation && lv.autoactivation) return "activation skip flag off and autoactivation on";
    return lv.skip_activation ? "autoactivation on" : "activation skip flag off";
}

}  // namespace

std::vector<ReconcileStep> plan_reconcile(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                          const ReconcileInput &input) {
    std::vector<ReconcileStep> steps;
    // A template a clone active here reads (shared, with the clone's chain): it is no
    // domain's disk in libvirt's status files, and may be closed between the hook's prepare
    // and QEMU's open; released with the last clone here that reads it.
    const std::set<std::string> read = lvm::read_by_active_chains(lvs);
    for (const auto &lv : lvs) {
        // Defence in depth: the parser drops "lvmlock"; anything we would not have created
        // (reserved names, LVM-internal suffixes) is not ours to change either.
        if (lv.name == "lvmlock" || !validate_lv_name(lv.name).ok()) continue;
        // A snapshot layer is its chain's: activated and released with its volume's top
        // (backend/chain_activation.cpp), read-only, open through the top, never a domain's
        // disk in libvirt's status files (so never "in use" here), its flags those of the
        // volume it was. ilvm doctor still reports a stale lock on one.
        if (lvm::is_layer(lv)) continue;
        if (input.busy.count(lv.name)) {
            steps.push_back({lv.name, ReconcileAction::keep, "an ilvm command on this host is working on it", std::nullopt,
                             StepResult::planned, {}});
            continue;
        }
        if (lv.incomplete() && !lv.device_open && !input.in_use.count(lv.name)) {
            // A snapshot's new top (it has a backing): removing it would leave the volume
            // without its name, its data in the layer. Reported only; the way back is by
            // hand (docs/troubleshooting.md, "Snapshot chains").
            const bool snapshot_top = lvm::backing_of(lv).has_value();
            const std::string why = snapshot_top
                                        ? "the new top of an interrupted vol-snapshot-create (never removed by the "
                                          "reconciler: see docs/troubleshooting.md, Snapshot chains)"
                                        : "created or copied but never finished (an interrupted vol-create or vol-clone)";
            if (input.remove_incomplete && !snapshot_top)
                steps.push_back({lv.name, ReconcileAction::remove_incomplete, why, lvm::lvremove(pool.vg_name, lv.name),
                                 StepResult::planned, {}});
            else
                steps.push_back({lv.name, ReconcileAction::incomplete, why, std::nullopt, StepResult::planned, {}});
            continue;
        }
        if (!lv.skip_activation || lv.autoactivation)
            steps.push_back({lv.name, ReconcileAction::set_flags, flags_reason(lv),
                             lvm::lv_set_skip_flags(pool.vg_name, lv.name), StepResult::planned, {}});
        if (!lv.active_locally) continue;
        if (lv.device_open) {
            steps.push_back({lv.name, ReconcileAction::keep, "open on this host", std::nullopt, StepResult::planned, {}});
        } else if (input.in_use.count(lv.name)) {
            steps.push_back({lv.name, ReconcileAction::keep, "used by a running domain on this host", std::nullopt,
                             StepResult::planned, {}});
        } else if (read.count(lv.name)) {
            steps.push_back({lv.name, ReconcileAction::keep, "read by a linked clone active on this host", std::nullopt,
                             StepResult::planned, {}});
        } else if (input.held.count(lv.name)) {
            steps.push_back({lv.name, ReconcileAction::keep, "held on this host by ilvm vol-activate --hold", std::nullopt,
                             StepResult::planned, {}});
        } else if (input.settled.count(lv.name)) {
            steps.push_back({lv.name, ReconcileAction::deactivate,
                             "active on this host, not open, used by no running domain",
                             lvm::lv_deactivate(pool.vg_name, lv.name), StepResult::planned, {}});
        } else {
            steps.push_back({lv.name, ReconcileAction::idle,
                             "active on this host and unused; released by the next pass if it stays unused",
                             std::nullopt, StepResult::planned, {}});
        }
    }
    return steps;
}

}  // namespace ilvm
