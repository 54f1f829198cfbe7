// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/doctor_command.hpp"

#include <optional>

#include "cli/host_runner.hpp"
#include "cli/hostprep/host_validate.hpp"
#include "cli/hostprep/lvmlockd_guard.hpp"
#include "common/clock.hpp"
#include "common/strings.hpp"
#include "host/core/agent_status.hpp"
#include "host/core/fence_record.hpp"
#include "host/reconcile/diagnose_pass.hpp"

namespace ilvm::cli {
namespace {

std::string label(const std::string &severity) {
    if (severity == "ok") return "ok  ";
    if (severity == "warn") return "WARN";
    return "FAIL";
}

// This host's checks (units, host_id, lvmlockd) as findings of the pool "". The one repair
// among them, with `fix`: lvmlockd's missing pid file (lvmlockd_guard.hpp).
void host_findings(System &sys, const HostRoot &root, bool fix, std::vector<host::FindingView> &out) {
    for (auto &c : service_checks(sys, root)) {
        host::FindingView f{"", c.name, c.ok ? "ok" : "fail", "", c.ok ? std::string() : c.problem, c.ok ? "" : c.fix, "", ""};
        if (!c.ok && fix && c.name == kLvmlockdPidFileCheck) {
            auto restored = restore_lvmlockd_pid_file(sys, root);
            // Done only when the check now passes: two lvmlockd processes are left to a human.
            const bool passes = restored.ok() && lvmlockd_pid_file_check(sys, root).ok;
            f.applied = passes ? "done" : "failed";
            if (restored.ok() && *restored)
                f.fix = "write " + std::to_string(**restored) + " to " + kLvmlockdPidFile;
            if (!restored.ok()) f.error = restored.error().message;
            else if (!passes) f.error = "not a case --fix repairs: " + c.problem;
        }
        out.push_back(std::move(f));
    }
}

// ilvmd's own view (host/core/agent_status.hpp): running, passing, reaching libvirt.
host::FindingView agent_finding(const host::PoolStore &store) {
    const auto h = host::agent_health(store, unix_seconds());
    return {"", "agent", h.severity, "", h.what, h.fix, "", ""};
}

// The pool's lease-lost record (host/core/fence_record.hpp), as a finding that fails until
// pool-rejoin (or the pool's next start) removes it.
std::optional<host::FindingView> lease_lost_finding(const host::PoolStore &store, const std::string &pool) {
    const auto record = host::read_fence_record(store, pool);
    if (!record) return std::nullopt;
    std::string what = "VG " + record->vg + " lost its sanlock lease at " + record->first_time + "; I/O stopped on " +
                       std::to_string(record->wiped.size()) + " device(s)";
    if (!record->not_wiped.empty()) what += ", not on " + join(record->not_wiped, ", ");
    if (!record->domains_done.empty()) what += "; domains " + join(record->domains_done, ", ");
    if (!record->domains_failed.empty()) what += "; failed: " + join(record->domains_failed, ", ");
    if (record->problems) what += "; " + std::to_string(record->problems) + " problem(s)";
    what += " (lease-lost ran " + std::to_string(record->runs) + " time(s): " +
            store.runtime_file_path(pool, host::kFenceRecordExt) + ")";
    return host::FindingView{pool, "lease lost", "fail", "", what,
                             "once the LUN answers again: ilvm pool-rejoin " + pool,
                             "", ""};
}

}  // namespace

bool still_fails(const host::FindingView &f) { return f.severity == "fail" && f.applied != "done"; }

std::string format_finding(const host::FindingView &f) {
    std::string where = f.pool.empty() ? "host" : f.pool + (f.volume.empty() ? "" : "/" + f.volume);
    std::string line = label(f.severity) + " " + where + ": " + f.check + (f.what.empty() ? "" : ": " + f.what);
    if (!f.fix.empty() && f.severity != "ok") line += " (fix: " + f.fix + ")";
    if (f.applied == "done") line += "\n     ran: " + f.fix + ": done";
    else if (f.applied == "failed") line += "\n     ran: " + f.fix + ": FAILED: " + f.error;
    return line;
}

JsonValue findings_to_json(const std::vector<host::FindingView> &findings) {
    JsonArray arr;
    uint64_t ok = 0, warn = 0, fail = 0;
    for (const auto &f : findings) {
        JsonObject o{{"pool", f.pool.empty() ? JsonValue(nullptr) : JsonValue(f.pool)}, {"check", f.check}, {"severity", f.severity}};
        if (!f.volume.empty()) o.emplace_back("volume", f.volume);
        o.emplace_back("what", f.what);
        if (!f.fix.empty()) o.emplace_back("fix", f.fix);
        if (!f.applied.empty()) o.emplace_back("applied", f.applied);
        if (!f.error.empty()) o.emplace_back("error", f.error);
        arr.emplace_back(std::move(o));
        if (still_fails(f)) ++fail;
        else if (f.severity == "warn") ++warn;
        else ++ok;
    }
    return JsonObject{{"findings", std::move(arr)}, {"ok", ok}, {"warn", warn}, {"fail", fail}};
}

Status doctor(Context &ctx, const Args &args) {
    const bool fix = args.flag("fix");
    ILVM_ASSIGN_OR_RETURN(const std::vector<std::string> pools, ctx.started_pools(args));
    // The host first: with --fix, lvmlockd's pid file must be back before a stale lock is
    // released (without it, lvchange -an skips lvmlockd and releases nothing). Printed last.
    std::vector<host::FindingView> host_checks;
    HostRunner runner(ctx);
    host_findings(runner.system(), HostRoot::from_environment(), fix, host_checks);
    host_checks.push_back(agent_finding(ctx.store));
    std::vector<host::FindingView> findings;
    // First: a pool whose lease was lost here is what matters most on this host.
    for (const auto &pool : args.opt("pool") ? std::vector<std::string>{*args.opt("pool")} : ctx.store.names())
        if (auto f = lease_lost_finding(ctx.store, pool)) findings.push_back(std::move(*f));
    for (const auto &pool : pools) {
        auto xml = ctx.active_pool_xml(pool);
        if (!xml.ok()) continue;   // stopped meanwhile
        ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
        auto found = host::diagnose_pass(ctx.store, *be, pool, *xml, fix);
        if (!found.ok()) {
            findings.push_back({pool, "pool", "fail", "", found.error().message, found.error().hint, "", ""});
            continue;
        }
        for (auto &f : *found) findings.push_back(std::move(f));
    }
    for (auto &f : host_checks) findings.push_back(std::move(f));

    size_t failed = 0;
    for (const auto &f : findings) failed += still_fails(f) ? 1 : 0;
    if (args.flag("json")) *ctx.out << to_json(findings_to_json(findings));
    else
        for (const auto &f : findings) *ctx.out << format_finding(f) << "\n";
    if (failed)
        return system_error(std::to_string(failed) + " of " + std::to_string(findings.size()) + " doctor findings failed",
                            "each FAIL line ends with its fix; ilvm doctor --fix releases stale LV locks and restores "
                            "lvmlockd's pid file");
    return {};
}

}  // namespace ilvm::cli
