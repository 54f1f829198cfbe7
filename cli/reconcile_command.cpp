// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/reconcile.hpp"

#include <optional>

#include "cli/agent_mirror.hpp"
#include "cli/ui/output.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/mirror_sync.hpp"
#include "host/reconcile/reconcile_pass.hpp"

namespace ilvm::cli {

using host::describe;
using host::is_change;
using host::ReconcileStepView;

Result<std::vector<ReconcileStepView>> reconcile_locked(Context &ctx, const std::string &pool, const std::string &pool_xml,
                                                        host::ReconcileOptions options) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    return host::reconcile_pass(ctx.store, *be, pool, pool_xml, options);
}

void after_volume_change(Context &ctx, const std::string &pool, const std::string &pool_xml,
                         const std::string &moved_domain) {
    if (mirror_refreshed_by_agent(ctx, pool, moved_domain)) return;
    auto p = host::summarize_pool(pool_xml);
    if (p.ok()) continue_after(host::mirror_refresh(ctx.mirror(), pool, p->vg), host::kMirrorIsAView);
    auto steps = reconcile_locked(ctx, pool, pool_xml, {});
    if (!steps.ok()) {
        spdlog::warn("reconcile of pool {} after the change failed: {}", pool, steps.error().message);
        return;
    }
    host::log_changes(*steps);
}

Status reconcile(Context &ctx, const Args &args) {
    const bool dry_run = args.flag("dry-run");
    ILVM_ASSIGN_OR_RETURN(const std::vector<std::string> pools, ctx.started_pools(args));
    std::vector<ReconcileStepView> all;
    std::optional<Error> first_error;
    size_t failed = 0;
    for (const auto &pool : pools) {
        auto xml = ctx.active_pool_xml(pool);
        if (!xml.ok()) continue;   // stopped meanwhile
        // A pool another ilvm command is changing is skipped, not waited for: the timer
        // comes back, and that command has its pool reconciled when it is done (by ilvmd, or itself).
        auto lock = ctx.store.lock(pool, LockMode::shared, ctx.clock, std::chrono::milliseconds(0));
        if (!lock.ok()) {
            if (args.opt("pool")) return lock.take_error();
            spdlog::info("pool {} skipped: {}", pool, lock.error().message);
            continue;
        }
        auto steps = reconcile_locked(ctx, pool, *xml, {.dry_run = dry_run, .remove_incomplete = args.flag("remove-incomplete")});
        if (!steps.ok()) {
            // One error line in the end (the first); the others as warnings.
            Error e = steps.take_error();
            e.message = "pool " + pool + ": " + e.message;
            if (first_error) spdlog::warn("{}", e.message);
            else first_error = std::move(e);
            continue;
        }
        for (auto &s : *steps) {
            if (s.result == "failed") ++failed;
            all.push_back(std::move(s));
        }
    }
    if (args.flag("json")) {
        JsonArray arr;
        for (const auto &s : all) {
            JsonObject o{{"pool", s.pool}, {"volume", s.volume}, {"action", s.action}, {"result", s.result}, {"reason", s.reason}};
            if (!s.error.empty()) o.emplace_back("error", s.error);
            arr.push_back(o);
        }
        *ctx.out << to_json(arr);
    } else {
        for (const auto &s : all) {
            if (is_change(s)) *ctx.out << describe(s) << "\n";
            else spdlog::info("{}/{}: left alone ({})", s.pool, s.volume, s.reason);
        }
    }
    if (first_error) return *first_error;
    if (failed) return system_error(std::to_string(failed) + " reconcile change(s) failed", "see the FAILED lines above");
    return {};
}

}  // namespace ilvm::cli
