// SPDX-License-Identifier: LGPL-2.1-or-later
// The reconciler's decisions, as a pure function of one `lvs` report: which LVs of a pool
// get their activation-skip flag / autoactivation repaired, and which LVs active on this
// host are idle and get deactivated (releasing their lock for other hosts). Kept apart from
// running the commands so every decision can be tested with plain data.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/command.hpp"
#include "lvm/lvm_report.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

// What the host knows and LVM does not.
struct ReconcileInput {
    // Volumes that running domains on this host use (libvirt's status files).
    std::set<std::string> in_use;
    // Volumes the host has seen idle (active here, not open, unused) for a grace period
    // already: only these are deactivated. A volume that has just become active may belong
    // to a domain whose start is in progress (the hook activates before libvirt writes the
    // domain's status file and before qemu opens the device), so one idle sighting is not
    // enough.
    std::set<std::string> settled;
    // Volumes an ilvm command on this host is working on (their volume lock is held): left
    // alone whatever they look like (a volume being created is incomplete and idle).
    std::set<std::string> busy;
    // Volumes an administrator holds active here (`ilvm vol-activate --hold`), e.g. while
    // virt-install's wizard picks them from the mirror: kept until the hold ends.
    std::set<std::string> held;
    // Remove volumes tagged incomplete (an interrupted create or copy), ILVM_RECONCILE_REMOVE_INCOMPLETE.
    bool remove_incomplete = false;
};

enum class ReconcileAction {
    set_flags,   // lvchange --setactivationskip y --setautoactivation n
    deactivate,  // lvchange -an
    idle,        // active here and unused, not settled yet: deactivated by a later pass
    keep,        // active here and in use (open / running domain): left alone
    incomplete,  // tagged ilvm_incomplete and nobody here works on it: reported
    remove_incomplete,  // the same, removed (lvremove: refused by lvmlockd while another host has it)
};
const char *reconcile_action_name(ReconcileAction a);

enum class StepResult { planned, done, failed };
const char *step_result_name(StepResult r);

struct ReconcileStep {
    std::string volume;
    ReconcileAction action = ReconcileAction::keep;
    std::string reason;
    std::optional<Command> command;   // set for set_flags and deactivate
    StepResult result = StepResult::planned;
    std::string error;                // one line, when failed
};

// Steps in LV order; an LV may have two (flags, then deactivation). LVs that are inactive
// here with both flags right produce no step. lvmlockd's "lvmlock" LV (already dropped by
// the parser) and names iscsi-lvm would not create are never touched.
std::vector<ReconcileStep> plan_reconcile(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs,
                                          const ReconcileInput &input);

}  // namespace ilvm
