// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/handover_guard.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace ilvm::host {
namespace {

const LocalDomain *find_domain(const std::vector<LocalDomain> &domains, const std::string &name) {
    for (const auto &d : domains)
        if (d.name == name) return &d;
    return nullptr;
}

bool fresh_marker(const HandoverTrace &t, int64_t grace) { return t.marker_age && *t.marker_age < grace; }

bool uses_pool(const std::vector<DiskRef> &disks, const std::string &pool) {
    return std::any_of(disks.begin(), disks.end(), [&](const DiskRef &d) { return d.pool == pool && !d.shared; });
}

std::string targets_of(const std::vector<DiskRef> &disks, const VolumeRef &v) {
    std::string s;
    for (const auto &d : disks)
        if (d.pool == v.pool && d.volume == v.volume && !d.shared) s += (s.empty() ? "" : ", ") + d.target;
    return s;
}

}  // namespace

std::vector<HandoverTrace> read_handover_traces(const HandoverFiles &files, std::chrono::system_clock::time_point now) {
    std::vector<HandoverTrace> out;
    for (const auto &domain : files.domains()) {
        HandoverTrace t{domain, files.has_lock_file(domain), false, std::nullopt};
        t.lock_held = t.lock_file && files.lock_held(domain);
        if (auto m = files.marker_time(domain))
            t.marker_age = std::chrono::duration_cast<std::chrono::seconds>(now - *m).count();
        out.push_back(std::move(t));
    }
    return out;
}

GuardPlan plan_handover_guard(const std::string &pool, const std::vector<LocalDomain> &domains,
                              const std::vector<HandoverTrace> &traces, int64_t grace_seconds) {
    GuardPlan plan;
    for (const auto &t : traces) {
        const LocalDomain *d = find_domain(domains, t.domain);
        const bool in_flight = t.lock_held || fresh_marker(t, grace_seconds);
        if (!d) {
            if (in_flight && plan.hold.empty())
                plan.hold = "live-migration hand-over of domain " + t.domain + " in progress, its disks not known yet";
            else if (!in_flight) plan.leftovers.push_back(t.domain);
            continue;
        }
        if (in_flight || d->run != DomainRun::active || !uses_pool(d->disks, pool)) continue;
        plan.restore.push_back({d->name, d->disks, t.marker_age.has_value()});
    }
    return plan;
}

std::vector<RestoreStep> restore_exclusive(const std::string &pool, const std::vector<RestoreDomain> &domains,
                                           VolumeLocks &locks, const HandoverFiles &files, Clock &clock, bool dry_run) {
    std::vector<RestoreStep> steps;
    for (const auto &rd : domains) {
        std::optional<FileLock> lock;
        if (!dry_run) {
            auto l = files.lock(rd.domain, clock, std::chrono::milliseconds(0));
            if (!l.ok()) {
                spdlog::info("domain {}: hand-over in flight, exclusivity not checked: {}", rd.domain, l.error().message);
                continue;
            }
            lock.emplace(std::move(*l));
        }
        // Clean again once every exclusive volume of the domain, in every pool, is exclusive here.
        bool clean = true;
        for (const auto &v : exclusive_volumes(rd.disks)) {
            auto info = locks.inspect(v, {});
            if (!info.ok()) {
                clean = false;
                if (v.pool == pool)
                    steps.push_back({v.volume, rd.domain, "failed", "cannot read its lock", info.error().message});
                continue;
            }
            if (info->activation == "exclusive") continue;
            // Another pool's volume: that pool's pass restores it. Inactive: nothing to
            // convert (the hook's reconnect check reports a running domain without its volume).
            if (v.pool != pool || info->activation != "shared") {
                clean = false;
                continue;
            }
            RestoreStep s{v.volume, rd.domain, "planned",
                          "active shared here, used by running domain " + rd.domain + " through disk " + targets_of(rd.disks, v), ""};
            if (!dry_run) {
                auto st = locks.activate(v, false);
                if (st.ok()) s.result = "done";
                else {
                    s.result = st.error().code == ErrorCode::conflict ? "conflict" : "failed";
                    s.error = st.error().message;
                }
            }
            if (s.result != "done") clean = false;
            steps.push_back(std::move(s));
        }
        if (!lock || !clean) continue;
        if (rd.marker) files.remove_marker(rd.domain);
        lock->remove_and_release();
        spdlog::info("domain {}: every volume exclusive on this host; hand-over trace removed", rd.domain);
    }
    return steps;
}

}  // namespace ilvm::host
