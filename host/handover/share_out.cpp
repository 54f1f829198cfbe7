// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/share_out.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "host/handover/convert_back.hpp"

namespace ilvm::host {
namespace {

using std::chrono::milliseconds;

// The domain's job, asked again while libvirt cannot answer (a restarted libvirtd). A domain
// libvirt no longer knows has no job.
Result<DomainJob> job_with_retries(const std::string &domain, HandoverEnv &env, const ShareOutOptions &opt) {
    const auto deadline = env.clock.now() + opt.state_retry_timeout;
    for (;;) {
        auto job = env.domains.job(domain);
        if (job.ok()) return job;
        if (job.error().code == ErrorCode::not_found) return DomainJob::none;
        if (env.clock.now() >= deadline) return job.take_error();
        spdlog::info("cannot read the job of {} yet ({}); asking libvirt again", domain, job.error().message);
        env.clock.sleep_for(opt.state_retry_interval);
    }
}

}  // namespace

const char *watch_end_name(WatchEnd end) {
    switch (end) {
    case WatchEnd::migrated: return "migrated";
    case WatchEnd::exclusive_again: return "exclusive again";
    case WatchEnd::still_shared: return "still shared";
    case WatchEnd::stopped: return "agent stopping";
    case WatchEnd::unknown: return "unknown";
    }
    return "unknown";
}

Result<SharedOut> share_out(const std::string &domain, const std::string &requester, HandoverEnv &env,
                            const ShareOutOptions &opt) {
    ILVM_TRY(validate_domain_file_name(domain));
    ILVM_ASSIGN_OR_RETURN(DomainRun run, env.domains.state(domain));
    if (run == DomainRun::absent) return not_found("no domain " + domain + " on this host");
    if (run != DomainRun::active && run != DomainRun::transitional)
        return conflict("domain " + domain + " is not running on this host (" + domain_run_name(run) + ")",
                        "only the source of a live migration shares its volumes");
    ILVM_ASSIGN_OR_RETURN(DomainJob job, env.domains.job(domain));
    if (job != DomainJob::outgoing_migration)
        return conflict("domain " + domain + " runs on this host with " + domain_job_name(job) +
                            ", not an outgoing migration: its volumes stay exclusive here",
                        "migrate it from this host (virsh migrate --live " + domain + " DESTURI)");
    ILVM_ASSIGN_OR_RETURN(auto lock, env.files.lock(domain, env.clock, opt.lock_wait));
    auto listed = [&]() -> Result<std::vector<VolumeRef>> {
        ILVM_ASSIGN_OR_RETURN(std::string xml, env.domains.live_xml(domain));
        ILVM_ASSIGN_OR_RETURN(auto disks, domain_disks(xml, env.pools));
        return exclusive_volumes(disks);
    }();
    if (!listed.ok()) {
        lock.remove_and_release();
        return listed.take_error();
    }
    std::vector<VolumeRef> shared;
    for (const auto &v : *listed) {
        const auto t0 = env.clock.now();
        auto st = env.locks.activate(v, true);
        if (st.ok()) {
            spdlog::info("{}: shared for the migration of {} to {} ({} ms)", v.display(), domain, requester,
                         millis_between(t0, env.clock.now()));
            shared.push_back(v);
            continue;
        }
        Error e = st.take_error();
        e.message = "cannot share the lock of " + v.display() + " for the migration of " + domain + ": " + e.message;
        auto left = convert_back(shared, env, opt.convert_back_timeout, opt.convert_back_interval);
        if (left.empty()) {
            lock.remove_and_release();
            e.hint = domain + " keeps its volumes exclusive on this host; the migration is refused";
        } else {
            e.message += "; " + names_of(left) + " still SHARED on this host";
            e.hint = repair_hint(domain, left);
        }
        return e;
    }
    return SharedOut{domain, std::move(shared), std::move(lock)};
}

WatchOutcome watch_out(SharedOut shared, HandoverEnv &env, const ShareOutOptions &opt,
                       const std::function<bool()> &stopping) {
    const std::string &domain = shared.domain;
    for (;;) {
        if (stopping && stopping())
            return {WatchEnd::stopped, "the agent stopped during the migration of " + domain +
                                           "; the reconciler makes its volumes exclusive again if it stays here", 0};
        auto job = job_with_retries(domain, env, opt);
        if (!job.ok())
            return {WatchEnd::unknown, "cannot read the job of " + domain + ": " + job.error().message, 0};
        if (*job != DomainJob::outgoing_migration) break;
        env.clock.sleep_for(opt.job_poll);
    }
    const auto ended = env.clock.now();
    auto run = domain_state_with_retries(domain, env, opt.state_retry_timeout, opt.state_retry_interval);
    if (!run.ok())
        return {WatchEnd::unknown, "the migration of " + domain + " ended, but libvirt cannot say whether it still runs here: " +
                                       run.error().message, 0};
    if (*run == DomainRun::absent || *run == DomainRun::inactive) {
        shared.lock.remove_and_release();
        return {WatchEnd::migrated, domain + " left this host", 0};
    }
    auto left = convert_back(shared.volumes, env, opt.convert_back_timeout, opt.convert_back_interval);
    if (!left.empty())
        return {WatchEnd::still_shared, "the migration of " + domain + " did not happen; " + names_of(left) +
                                            " still SHARED here: " + repair_hint(domain, left), 0};
    shared.lock.remove_and_release();
    return {WatchEnd::exclusive_again, "the migration of " + domain + " did not happen; it keeps running here, exclusive",
            millis_between(ended, env.clock.now())};
}

}  // namespace ilvm::host
