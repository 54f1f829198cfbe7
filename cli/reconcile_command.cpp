#include "reconcile.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>

#include "core/log.hpp"
#include "idle_tracker.hpp"
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

// Volumes of `pool` that running domains on this host use.
std::set<std::string> volumes_in_use(Context &ctx, const std::string &pool) {
    const auto bindings = hook::load_pool_bindings(ctx.store);
    std::set<std::string> out;
    for (const auto &d : hook::disks_of_running_domains(env_or("ILVM_LIBVIRT_STATUS_DIR", "/run/libvirt/qemu"), "", bindings))
        if (d.pool == pool) out.insert(d.volume);
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

bool is_change(const ReconcileStepView &s) { return s.action == "set-flags" || s.action == "deactivate"; }

std::string describe(const ReconcileStepView &s) {
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
    ReconcileInput input{volumes_in_use(ctx, pool), settled_volumes(before, now, grace_seconds())};
    const std::string state = format_reconcile_input_xml(input);
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto r, be->call([&](ilvm_reply *rep) {
        return be->ops().reconcile_pool(be->instance(), pool_xml.c_str(), state.c_str(), dry_run ? ILVM_RECONCILE_DRY_RUN : 0u, rep);
    }));
    ILVM_ASSIGN_OR_RETURN(auto steps, parse_steps(pool, r.xml));
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
