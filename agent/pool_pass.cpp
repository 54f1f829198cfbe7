// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/pool_pass.hpp"

#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/mirror_sync.hpp"
#include "host/reconcile/reconcile_pass.hpp"

namespace ilvm::agent {

PassOutcome run_pool_pass(const host::PoolStore &store, const host::BackendClient &client, host::MirrorPool *mirror,
                          const std::string &pool) {
    using Kind = PassOutcome::Kind;
    if (!store.active(pool)) return {Kind::not_started};
    SystemClock clock;
    auto lock = store.lock(pool, LockMode::shared, clock, std::chrono::milliseconds(0));
    if (!lock.ok()) {
        if (lock.error().code == ErrorCode::conflict) {
            spdlog::debug("pool {}: busy ({}); looking again shortly", pool, lock.error().message);
            return {Kind::busy};
        }
        spdlog::warn("pool {}: pass not run: {}", pool, lock.error().message);
        return {Kind::failed};
    }
    auto xml = store.load_runtime(pool);
    if (!xml.ok()) {
        if (!store.active(pool)) return {Kind::not_started};   // stopped meanwhile
        spdlog::warn("pool {}: pass not run: {}", pool, xml.error().message);
        return {Kind::failed};
    }
    auto steps = host::reconcile_pass(store, client, pool, *xml, {});
    if (!steps.ok()) {
        spdlog::warn("pool {}: reconcile failed: {}", pool, steps.error().message);
        return {Kind::failed};
    }
    PassOutcome out;
    host::log_changes(*steps);
    for (const auto &s : *steps) {
        if (host::still_idle(s)) ++out.idle;
        if (host::is_change(s) && (s.result == "failed" || s.result == "conflict")) ++out.retry;
    }
    if (mirror) {
        auto summary = host::summarize_pool(*xml);
        if (summary.ok()) continue_after(host::mirror_refresh(*mirror, pool, summary->vg), host::kMirrorIsAView);
        else continue_after(summary, "the mirror is refreshed again by the next pass");
    }
    return out;
}

}  // namespace ilvm::agent
