// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/migrate_out.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "host/core/status_files.hpp"
#include "host/handover/convert_back.hpp"

namespace ilvm::host {
namespace {

using std::chrono::milliseconds;

Error migration_failed(const MigrateOutOptions &opt, HandoverEnv &env, const std::vector<VolumeRef> &shared,
                       FileLock &lock, const Error &why) {
    const std::string what = "migration of " + opt.domain + " to " + opt.request.dest_uri + " failed: " + why.message;
    auto run = domain_state_with_retries(opt.domain, env, opt.state_retry_timeout, opt.state_retry_interval);
    if (!run.ok())
        return system_error(what + "; cannot tell whether it still runs here: " + run.error().message,
                            "if it runs here (virsh list), make its volumes exclusive again: ilvm vol-activate VOL --pool POOL");
    if (*run == DomainRun::absent || *run == DomainRun::inactive) {
        // Not here any more: libvirt stopped it and our release hook deactivated its volumes.
        lock.remove_and_release();
        return system_error(what, opt.domain + " is no longer running on this host: see whether it runs on the destination (virsh -c " +
                                      opt.request.dest_uri + " list)");
    }
    auto left = convert_back(shared, env, opt.convert_back_timeout, opt.convert_back_interval);
    if (left.empty()) {
        lock.remove_and_release();
        return system_error(what, opt.domain + " keeps running on this host with its volumes exclusive");
    }
    return system_error(what + "; " + names_of(left) + " still SHARED on this host", repair_hint(opt.domain, left));
}

void poll_destination(const MigrateOutOptions &opt, HandoverEnv &env, const std::vector<std::chrono::steady_clock::time_point> &began,
                      MigrateOutReport &report) {
    const auto deadline = env.clock.now() + opt.poll_timeout;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < report.volumes.size(); ++i) {
            auto &h = report.volumes[i];
            if (h.window_ms) continue;
            auto info = env.locks.inspect(h.volume, {.find_holder = true, .polling = true});
            const auto seen_at = env.clock.now();
            if (!info.ok()) {
                h.last_seen = "cannot read its lock: " + info.error().message;
            } else if (info->activation != "inactive") {
                h.last_seen = "still active here (" + info->activation + ")";
            } else if (info->has_holder && info->holder_mode == "exclusive") {
                h.window_ms = millis_between(began[i], seen_at);
                h.holder_id = info->holder_id;
                h.holder_name = info->holder_name;
                continue;
            } else {
                h.last_seen = info->has_holder ? describe_activation(*info) : "no host holds it";
            }
            all = false;
        }
        const auto now = env.clock.now();
        if (all || now >= deadline) return;
        env.clock.sleep_for(std::min(opt.poll_interval, std::chrono::duration_cast<milliseconds>(deadline - now)));
    }
}

}  // namespace

bool MigrateOutReport::confirmed() const {
    return std::all_of(volumes.begin(), volumes.end(), [](const HandedOverVolume &v) { return v.window_ms.has_value(); });
}

Result<MigrateOutReport> migrate_out(const MigrateOutOptions &opt, HandoverEnv &env) {
    ILVM_TRY(validate_domain_file_name(opt.domain));
    ILVM_ASSIGN_OR_RETURN(DomainRun run, env.domains.state(opt.domain));
    if (run == DomainRun::absent)
        return not_found("no domain " + opt.domain + " on this host", "virsh list --all shows the domains here");
    if (run != DomainRun::active)
        return conflict("domain " + opt.domain + " is not running on this host (" + domain_run_name(run) + ")",
                        "only a running domain can be live-migrated");
    ILVM_ASSIGN_OR_RETURN(auto lock, env.files.lock(opt.domain, env.clock, opt.lock_wait));
    // Before any lock changes (so a refusal leaves nothing behind): the volumes, and the
    // destination's connection: an unreachable destination costs nothing.
    auto prepared = [&]() -> Result<std::vector<VolumeRef>> {
        ILVM_ASSIGN_OR_RETURN(std::string xml, env.domains.live_xml(opt.domain));
        ILVM_ASSIGN_OR_RETURN(auto disks, domain_disks(xml, env.pools));
        ILVM_TRY(env.domains.open_destination(opt.request.dest_uri));
        return exclusive_volumes(disks);
    }();
    if (!prepared.ok()) {
        lock.remove_and_release();
        return prepared.take_error();
    }
    const std::vector<VolumeRef> volumes = std::move(*prepared);

    std::vector<VolumeRef> shared;
    std::vector<std::chrono::steady_clock::time_point> began;
    for (const auto &v : volumes) {
        const auto t = env.clock.now();
        auto st = env.locks.activate(v, true);
        if (!st.ok()) {
            Error e = st.take_error();
            e.message = "cannot share the lock of " + v.display() + " for the hand-over: " + e.message;
            auto left = convert_back(shared, env, opt.convert_back_timeout, opt.convert_back_interval);
            if (left.empty()) {
                lock.remove_and_release();
                e.hint = "nothing was migrated: " + opt.domain + " keeps running on this host with its volumes exclusive";
            } else {
                e.message += "; " + names_of(left) + " still SHARED on this host";
                e.hint = repair_hint(opt.domain, left);
            }
            return e;
        }
        spdlog::info("{}: shared for the hand-over", v.display());
        shared.push_back(v);
        began.push_back(t);
    }

    const auto migration_began = env.clock.now();
    auto migrated = env.domains.migrate(opt.domain, opt.request);
    if (!migrated.ok()) return migration_failed(opt, env, shared, lock, migrated.error());
    spdlog::info("domain {} migrated to {}", opt.domain, opt.request.dest_uri);

    MigrateOutReport report;
    report.migration_ms = millis_between(migration_began, env.clock.now());
    if (!began.empty()) report.share_ms = millis_between(began.front(), migration_began);
    for (const auto &v : shared) report.volumes.push_back({v, std::nullopt, 0, {}, "not polled yet"});
    poll_destination(opt, env, began, report);
    // Whatever the destination does now, nothing of this domain is left here to watch.
    lock.remove_and_release();
    return report;
}

}  // namespace ilvm::host
