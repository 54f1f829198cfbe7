// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/migrate_in.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "common/log.hpp"
#include "host/core/status_files.hpp"

namespace ilvm::host {
namespace {

using std::chrono::milliseconds;

// The loop's memory between ticks.
struct Progress {
    bool seen = false;                              // the domain has existed (paused or running)
    DomainRun last_run = DomainRun::absent;
    std::optional<std::vector<VolumeRef>> volumes;  // its exclusive volumes, once read
    std::vector<FinishedVolume> done;
    std::map<VolumeRef, std::string> last_error;    // per volume still shared
    // Per volume: conversion attempts and the time spent in them, logged when it turns
    // exclusive: how much of the hand-over's tail is our own attempts, how much the wait
    // for the source to let go.
    std::map<VolumeRef, std::pair<int, milliseconds>> attempts;
    std::string last_state_error;

    bool is_done(const VolumeRef &v) const {
        return std::any_of(done.begin(), done.end(), [&](const FinishedVolume &f) { return f.volume == v; });
    }
};

double seconds_between(std::chrono::system_clock::time_point a, std::chrono::system_clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// Reads the domain's exclusive volumes once; an unreadable XML is retried next tick.
void read_volumes(const MigrateInOptions &opt, HandoverEnv &env, Progress &p) {
    if (p.volumes) return;
    auto xml = env.domains.live_xml(opt.domain);
    if (!xml.ok()) {
        spdlog::info("domain {}: cannot read its XML yet: {}", opt.domain, xml.error().message);
        return;
    }
    auto disks = domain_disks(*xml, env.pools);
    if (!disks.ok()) {
        spdlog::warn("domain {}: {}", opt.domain, disks.error().message);
        return;
    }
    p.volumes = exclusive_volumes(*disks);
}

void convert(const MigrateInOptions &opt, HandoverEnv &env, std::chrono::system_clock::time_point began, Progress &p) {
    for (const auto &v : *p.volumes) {
        if (p.is_done(v)) continue;
        const auto t0 = env.clock.now();
        auto st = env.locks.poll_exclusive(v);
        auto &[count, spent] = p.attempts[v];
        const auto took = std::chrono::duration_cast<milliseconds>(env.clock.now() - t0);
        ++count;
        spent += took;
        if (st.ok()) {
            p.done.push_back({v, seconds_between(began, env.clock.wall_now())});
            spdlog::info("domain {}: {} exclusive at attempt {} ({} ms; {} ms in all attempts)", opt.domain,
                         v.display(), count, took.count(), spent.count());
            p.last_error.erase(v);
            continue;
        }
        auto &last = p.last_error[v];
        if (last != st.error().message)
            spdlog::info("domain {}: {} not exclusive yet{} (attempt {}, {} ms): {}", opt.domain, v.display(),
                         st.error().code == ErrorCode::conflict ? " (the source has not let go)" : "", count,
                         took.count(), st.error().message);
        last = st.error().message;
    }
}

std::string still_shared(const Progress &p) {
    std::string s;
    if (!p.volumes) return s;
    for (const auto &v : *p.volumes)
        if (!p.is_done(v)) {
            s += (s.empty() ? "" : ", ") + v.display();
            if (auto it = p.last_error.find(v); it != p.last_error.end()) s += " (" + it->second + ")";
        }
    return s;
}

}  // namespace

Result<MigrateInReport> migrate_in(const MigrateInOptions &opt, HandoverEnv &env) {
    ILVM_TRY(validate_domain_file_name(opt.domain));
    const auto start = env.clock.now();
    const auto deadline = start + opt.timeout;
    // The source's migrate holds its own host's lock, not this one: a holder here is another
    // finisher (or a reconcile pass) of the same domain, which ends within the same bound.
    ILVM_ASSIGN_OR_RETURN(auto lock, env.files.lock(opt.domain, env.clock, opt.timeout));
    MigrateInReport report;
    auto marker = env.files.marker_time(opt.domain);
    report.since_marker = marker.has_value();
    const auto began = marker.value_or(env.clock.wall_now());
    const auto appear_by = start + std::min(opt.appear_within, opt.timeout);

    Progress p;
    auto finish = [&](bool finished, std::string why) -> Result<MigrateInReport> {
        env.files.remove_marker(opt.domain);   // before letting go of the lock: see handover_guard.hpp
        lock.remove_and_release();
        report.finished = finished;
        report.why = std::move(why);
        report.volumes = std::move(p.done);
        return report;
    };
    for (;;) {
        auto run = env.domains.state(opt.domain);
        if (!run.ok()) {
            // libvirtd restarting: it comes back within the bound, or the bound says so.
            if (p.last_state_error != run.error().message) spdlog::warn("domain {}: {}", opt.domain, run.error().message);
            p.last_state_error = run.error().message;
        } else if (*run == DomainRun::absent || *run == DomainRun::inactive) {
            if (p.seen)
                return finish(false, "domain " + opt.domain + " is " + domain_run_name(*run) +
                                         " here now: the migration failed or was cancelled");
            if (env.clock.now() >= appear_by)
                return finish(false, "domain " + opt.domain + " did not appear on this host");
        } else {
            p.seen = true;
            p.last_run = *run;
            read_volumes(opt, env, p);
            if (*run == DomainRun::active && p.volumes) {
                convert(opt, env, began, p);
                if (p.done.size() == p.volumes->size()) return finish(true, "");
            }
        }
        const auto now = env.clock.now();
        if (now >= deadline) {
            // Hand over to the reconciler: it restores exclusivity once the source lets go,
            // and it keeps away while a marker is fresh.
            if (p.seen) env.files.remove_marker(opt.domain);
            const std::string limit = std::to_string(opt.timeout.count() / 1000) + " s";
            if (!p.seen && run.ok()) return finish(false, "domain " + opt.domain + " did not appear on this host");
            if (!p.seen)
                return system_error("cannot tell whether domain " + opt.domain + " arrived within " + limit + ": " +
                                    run.error().message);
            const std::string left = still_shared(p);
            if (p.last_run == DomainRun::transitional)
                return system_error("domain " + opt.domain + " was still being migrated in after " + limit +
                                        (left.empty() ? "" : ": " + left + " still shared here"),
                                    "ilvm reconcile makes its volumes exclusive once it runs");
            return system_error("the hand-over of domain " + opt.domain + " did not finish within " + limit + ": " + left +
                                    " still shared here",
                                "has the source let go (its ilvm migrate done, the domain stopped there)? ilvmd's reconcile "
                                "retries on each domain or pool event and at least every 5 minutes; by hand: ilvm vol-activate VOL --pool POOL");
        }
        env.clock.sleep_for(std::min(opt.tick, std::chrono::duration_cast<milliseconds>(deadline - now)));
    }
}

std::string format_finish_report(const MigrateInOptions &opt, const MigrateInReport &r) {
    if (!r.finished) return "Nothing to finish for " + opt.domain + ": " + r.why + "\n";
    std::string out;
    for (const auto &v : r.volumes) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f", v.seconds);
        out += v.volume.display() + ": exclusive on this host " + seconds + " s after " +
               (r.since_marker ? "the migration began" : "migrate-finish started") + "\n";
    }
    return out + "Hand-over of " + opt.domain + " finished" + (r.volumes.empty() ? " (no iscsi-lvm volumes)" : "") + "\n";
}

}  // namespace ilvm::host
