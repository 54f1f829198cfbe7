// SPDX-License-Identifier: LGPL-2.1-or-later
// Backend::reconcile_pool: one lvs, the decisions of reconcile_plan, and the lvchange
// commands they call for. A failed repair does not stop the others: each step carries its
// own result, so the host can report all of them.
#include "backend/backend.hpp"
#include "common/log.hpp"

namespace ilvm {

Result<std::vector<ReconcileStep>> Backend::reconcile_pool(const PoolDef &pool, const ReconcileInput &input, bool dry_run) {
    // Without lvmlockd's VG lock (lvs --nolocking): every host runs this every 15 s, and
    // the state it decides on (active here, open, flags) is local or changes only under the
    // lvchange locks below. VG-lock rounds are what the sanlock livelock fed on (lab).
    ILVM_ASSIGN_OR_RETURN(auto lvs, load_lvs(pool, VgLock::none));
    auto steps = plan_reconcile(pool, lvs, input);
    if (dry_run) return steps;
    for (auto &step : steps) {
        if (!step.command) continue;
        auto out = sys_.run(*step.command);
        if (out.ok() && out->succeeded()) {
            step.result = StepResult::done;
            spdlog::info("reconcile {}/{}: {} ({})", pool.vg_name, step.volume, reconcile_action_name(step.action), step.reason);
            // A released top's snapshot layers go with it (backend/chain_activation.cpp).
            if (step.action == ReconcileAction::deactivate)
                for (const auto &lv : lvs)
                    if (lv.name == step.volume) release_layers(pool, lv);
            continue;
        }
        step.result = StepResult::failed;
        step.error = out.ok() ? out->first_error_line() : out.error().message;
        spdlog::warn("reconcile {}/{}: {} failed: {}", pool.vg_name, step.volume, reconcile_action_name(step.action), step.error);
        // A failed flag repair does not block the LV's deactivation: releasing the lock
        // matters on its own.
    }
    return steps;
}

}  // namespace ilvm
