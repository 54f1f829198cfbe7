#include "reconcile.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>

#include "core/log.hpp"
#include "handover_guard.hpp"
#include "idle_tracker.hpp"
#include "local_domains.hpp"
#include "mirror_sync.hpp"
#include "module_control.hpp"
#include "output.hpp"
#include "summaries.hpp"
#include "xml/reconcile_xml.hpp"
#include "xml_query.hpp"

namespace ilvm::cli {
namespace {

constexpr const char *kIdleExt = "idle";

std::string env_or(const char *var, const char *dflt) {
    const char *v = std::getenv(var);
    return v && *v ? v : dflt;
}

// 10 s: longer than a domain start takes from the hook's activation to libvirt's status
// file, shorter than the 15 s timer period, so an idle volume goes within two passes.
int64_t grace_seconds() { return std::strtoll(env_or("ILVM_RECONCILE_GRACE_SECONDS", "10").c_str(), nullptr, 10); }

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Volumes of `pool` that domains on this host use (every status file: running, paused,
// or being migrated in or out).
std::set<std::string> volumes_in_use(const std::vector<LocalDomain> &domains, const std::string &pool) {
    std::set<std::string> out;
    for (const auto &dom : domains)
        for (const auto &d : dom.disks)
            if (d.pool == pool) out.insert(d.volume);
    return out;
}

// The live-migration part of a pass (handover_guard.hpp): leftovers of domains not here
// (host-wide, so the first pool's pass removes them), then this pool's restore steps.
std::vector<ReconcileStepView> handover_steps(Context &ctx, BackendModule &be, const std::string &pool,
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
            lock->release_clean();
        }
    std::vector<ReconcileStepView> out;
    if (plan.restore.empty()) return out;
    auto locks = make_module_volume_locks(be, ctx.store);
    for (auto &s : restore_exclusive(pool, plan.restore, *locks, files, clock, dry_run))
        out.push_back({pool, s.volume, "restore-exclusive", s.result, s.reason, s.error});
    return out;
}

Result<std::vector<ReconcileStepView>> parse_steps(const std::string &pool, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto q, XmlQuery::parse(xml));
    std::vector<ReconcileStepView> out;
    for (const auto &node : q.nodes_xml("/reconcile/step")) {
        ILVM_ASSIGN_OR_RETURN(auto s, XmlQuery::parse(node));
        out.push_back({pool, s.str("string(/step/@volume)"), s.str("string(/step/@action)"), s.str("string(/step/@result)"),
                       s.str("string(/step/@reason)"), s.str("string(/step/@error)")});
    }
    return out;
}

bool is_change(const ReconcileStepView &s) {
    return s.action == "set-flags" || s.action == "deactivate" || s.action == "restore-exclusive";
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

std::string describe(const ReconcileStepView &s) {
    if (s.action == "restore-exclusive") return describe_restore(s);
    const bool flags = s.action == "set-flags";
    std::string what = s.result == "planned" ? (flags ? "would set activation skip on and autoactivation off" : "would deactivate")
                       : s.result == "failed" ? (flags ? "FAILED to set activation skip / autoactivation" : "FAILED to deactivate")
                                              : (flags ? "set activation skip on and autoactivation off" : "deactivated");
    std::string line = s.pool + "/" + s.volume + ": " + what + " (" + s.reason + ")";
    if (!s.error.empty()) line += ": " + s.error;
    return line;
}

}  // namespace

Result<std::vector<ReconcileStepView>> reconcile_locked(Context &ctx, const std::string &pool, const std::string &pool_xml,
                                                        bool dry_run) {
    const int64_t now = unix_now();
    const IdleSince before = parse_idle_since(ctx.store.load_runtime_file(pool, kIdleExt));
    const auto domains = read_status_dir(env_or("ILVM_LIBVIRT_STATUS_DIR", "/run/libvirt/qemu"), hook::load_pool_bindings(ctx.store));
    const HandoverFiles files = HandoverFiles::for_store(ctx.store);
    const GuardPlan guard = plan_handover_guard(pool, domains, read_handover_traces(files, std::chrono::system_clock::now()));
    ReconcileInput input{volumes_in_use(domains, pool), settled_volumes(before, now, grace_seconds())};
    if (!guard.hold.empty()) {
        spdlog::info("pool {}: no idle volume is released in this pass: {}", pool, guard.hold);
        input.settled.clear();
    }
    const std::string state = format_reconcile_input_xml(input);
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto r, be->call([&](ilvm_reply *rep) {
        return be->ops().reconcile_pool(be->instance(), pool_xml.c_str(), state.c_str(), dry_run ? ILVM_RECONCILE_DRY_RUN : 0u, rep);
    }));
    ILVM_ASSIGN_OR_RETURN(auto steps, parse_steps(pool, r.xml));
    for (auto &s : handover_steps(ctx, *be, pool, guard, files, dry_run)) steps.push_back(std::move(s));
    if (dry_run) return steps;
    // Still idle: not deactivated yet, or the deactivation failed (retried next pass).
    std::vector<std::string> idle_now;
    for (const auto &s : steps)
        if (s.action == "idle" || (s.action == "deactivate" && s.result != "done")) idle_now.push_back(s.volume);
    auto next = next_idle_since(before, idle_now, now);
    if (next.empty()) ctx.store.remove_runtime_file(pool, kIdleExt);
    else ILVM_TRY(ctx.store.save_runtime_file(pool, kIdleExt, format_idle_since(next)));
    return steps;
}

void after_volume_change(Context &ctx, const std::string &pool, const std::string &pool_xml) {
    auto p = summarize_pool(pool_xml);
    if (p.ok()) mirror_refresh(ctx.mirror(), pool, p->vg);
    auto steps = reconcile_locked(ctx, pool, pool_xml, false);
    if (!steps.ok()) {
        spdlog::warn("reconcile of pool {} after the change failed: {}", pool, steps.error().message);
        return;
    }
    for (const auto &s : *steps)
        if (is_change(s)) {
            if (s.result == "failed") spdlog::warn("reconcile: {}", describe(s));
            else spdlog::info("reconcile: {}", describe(s));
        }
}

Status reconcile(Context &ctx, const Args &args) {
    const bool dry_run = args.flag("dry-run");
    std::vector<std::string> pools;
    if (auto only = args.opt("pool")) {
        ILVM_TRY(ctx.active_pool_xml(*only));
        pools.push_back(*only);
    } else {
        for (const auto &name : ctx.store.names())
            if (ctx.store.active(name)) pools.push_back(name);
    }
    std::vector<ReconcileStepView> all;
    std::optional<Error> first_error;
    size_t failed = 0;
    for (const auto &pool : pools) {
        auto xml = ctx.active_pool_xml(pool);
        if (!xml.ok()) continue;   // stopped meanwhile
        // A pool another ilvm command is changing is skipped, not waited for: the timer
        // comes back in 15 s, and that command reconciles its pool when it is done.
        auto lock = ctx.store.lock(pool);
        if (!lock.ok()) {
            if (args.opt("pool")) return lock.take_error();
            spdlog::info("pool {} skipped: {}", pool, lock.error().message);
            continue;
        }
        auto steps = reconcile_locked(ctx, pool, *xml, dry_run);
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
