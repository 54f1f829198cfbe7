// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/pool_rejoin_command.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "cli/host_runner.hpp"
#include "cli/virsh_argv.hpp"
#include "common/continue_after.hpp"
#include "common/dm_name.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "host/core/fence_record.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/rejoin_wire.hpp"
#include "host/core/status_files.hpp"
#include "host/core/summaries.hpp"
#include "host/core/volume_users.hpp"

namespace ilvm::cli {
namespace {

// The pool's volumes lease-lost found a device of, wiped or not: each must be taken back or
// released before the pool is whole again (a device whose wipe failed still maps the LUN
// without a lock).
std::vector<std::string> fenced_volumes(const host::FenceRecordSummary &record, const std::string &vg) {
    std::vector<std::string> vols;
    for (const auto *list : {&record.wiped, &record.not_wiped})
        for (const auto &dm : *list) {
            std::string dvg, lv;
            if (split_dm_name(dm, dvg, lv) && dvg == vg && std::find(vols.begin(), vols.end(), lv) == vols.end())
                vols.push_back(lv);
        }
    return vols;
}

struct DomainUse {
    bool paused = false;
    std::set<std::string> volumes;   // of the fenced ones
};

// The domains here using fenced volumes, as lease-lost found them (host/core/volume_users.hpp:
// libvirt's status files and the hook's owner records).
std::map<std::string, DomainUse> domains_using(Context &ctx, const std::string &pool, const std::vector<std::string> &vols) {
    const host::StatusDir status = host::read_status_dir(host::status_dir(), host::load_pool_bindings(ctx.store));
    const host::VolumeUsers users = host::domains_using(ctx.store, status, pool, {vols.begin(), vols.end()});
    for (const auto &p : users.problems)
        spdlog::warn("pool {}: {} (a domain it names is not resumed or destroyed; a device it holds open is left)", pool, p);
    std::map<std::string, DomainUse> uses;
    for (const auto &[domain, volumes] : users.volumes_of) uses[domain] = {users.paused.count(domain) != 0, volumes};
    return uses;
}

Result<host::RejoinView> rejoin(host::BackendClient &be, const std::string &xml, const std::vector<host::RejoinAsk> &asks) {
    ILVM_ASSIGN_OR_RETURN(std::string answer, be.rejoin_pool(xml, host::format_rejoin_request(asks)));
    return host::parse_rejoin(answer);
}

// "vmdisk is held by host 2 (hostb) now", "vmdisk: <the backend's why>"
std::string why_not_back(const host::RejoinedVolumeView &v) {
    if (v.holder_id != 0)
        return v.volume + " is held by host " + std::to_string(v.holder_id) +
               (v.holder_name.empty() ? "" : " (" + v.holder_name + ")") + " now";
    return v.volume + ": " + (v.detail.empty() ? v.result : v.detail);
}

}  // namespace

Status pool_rejoin(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_TRY(ctx.active_pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(name));   // still started, as it runs
    const auto record = host::read_fence_record(ctx.store, name);
    if (!record)
        return conflict("pool '" + name + "' has not lost its lease on this host: there is nothing to rejoin",
                        "pool-rejoin follows ilvm lease-lost (ilvm doctor " + name + " reports one)");
    ILVM_ASSIGN_OR_RETURN(auto pool, host::summarize_pool(xml));
    const std::vector<std::string> vols = fenced_volumes(*record, pool.vg);
    std::map<std::string, DomainUse> uses = domains_using(ctx, name, vols);
    std::set<std::string> used;
    for (const auto &[domain, use] : uses) used.insert(use.volumes.begin(), use.volumes.end());

    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    // A volume an earlier run took back (and noted) is this host's again: asking again would
    // find its lease acquired since the rejoin, which tells nothing about the time before.
    std::map<std::string, host::RejoinedVolumeView> verdict;
    std::vector<host::RejoinAsk> asks;
    for (const auto &v : vols) {
        if (std::find(record->taken_back.begin(), record->taken_back.end(), v) != record->taken_back.end())
            verdict[v] = {v, "taken-back", 0, "", "taken back by an earlier pool-rejoin"};
        else
            asks.push_back({v, used.count(v) != 0});
    }
    ILVM_ASSIGN_OR_RETURN(host::RejoinView first, rejoin(*be, xml, asks));
    if (first.lockspace_started) *ctx.out << "Pool " << name << " joined its lockspace again\n";
    for (auto &v : first.volumes) {
        // Noted at once: should a resume below fail, the next run must not take it for lost.
        if (v.taken_back())
            continue_after(host::append_taken_back(ctx.store, name, v.volume),
                           "without the note a second pool-rejoin destroys the domain instead of resuming it");
        verdict[v.volume] = v;
    }

    // The domains: all their volumes back -> resumed; else destroyed here.
    HostRunner runner(ctx);
    std::vector<std::string> left;   // what keeps the pool from being whole, one item each
    std::set<std::string> destroyed;
    for (const auto &[domain, use] : uses) {
        std::string lost;
        for (const auto &v : use.volumes)
            if (!verdict[v].taken_back()) {
                lost = why_not_back(verdict[v]);
                break;
            }
        if (lost.empty()) {
            if (!use.paused) {
                *ctx.out << domain << ": running, its volumes are back\n";
                continue;
            }
            auto ran = run_checked(runner.system(), virsh_resume(ctx.libvirt_uri(), domain), "virsh resume " + domain);
            if (ran.ok()) {
                *ctx.out << domain << ": resumed\n";
            } else {   // the command's error names it, with the reason
                left.push_back("domain " + domain + " is still paused (" + ran.error().message + ")");
            }
            continue;
        }
        auto ran = run_checked(runner.system(), virsh_destroy(ctx.libvirt_uri(), domain), "virsh destroy " + domain);
        if (ran.ok()) {
            destroyed.insert(domain);
            *ctx.out << domain << ": destroyed here: " << lost << "\n";
        } else {
            left.push_back("domain " + domain + " could not be destroyed (" + ran.error().message + "): " + lost);
        }
    }

    // The devices the destroyed domains held open go now, and those whose take-back failed
    // (a lock taken again whose lease had changed hands is let go by LVM); the volumes taken
    // back for destroyed domains are released (nothing here uses them any more).
    auto still_used = [&](const std::string &v) {
        for (const auto &[domain, use] : uses)
            if (use.volumes.count(v) && !destroyed.count(domain)) return true;
        return false;
    };
    std::vector<host::RejoinAsk> again;
    for (const auto &v : vols)
        if ((verdict[v].result == "in-use" || verdict[v].result == "failed") && !still_used(v)) again.push_back({v, false});
    if (!again.empty()) {
        ILVM_ASSIGN_OR_RETURN(host::RejoinView second, rejoin(*be, xml, again));
        for (auto &v : second.volumes) verdict[v.volume] = v;
    }
    for (const auto &v : vols) {
        if (!verdict[v].taken_back() || still_used(v)) continue;
        auto released = be->deactivate_vol(xml, v);
        if (released.ok())
            verdict[v].result = "released";
        else
            left.push_back(v + " was taken back for a domain destroyed since and could not be released (" +
                           released.error().message + ")");
    }

    size_t back = 0, gone = 0;
    for (const auto &v : vols) {
        const auto &r = verdict[v];
        if (r.taken_back()) {
            ++back;
        } else if (r.released()) {
            ++gone;
        } else {
            left.push_back(v + ": " + r.result + (r.detail.empty() ? "" : " (" + r.detail + ")"));
        }
    }
    if (!left.empty())
        return system_error("pool " + name + " is not whole yet: " + join(left, "; "),
                            "the record stays (ilvm doctor " + name + "); once that is dealt with, run ilvm pool-rejoin " +
                                name + " again");
    ctx.store.remove_runtime_file(name, host::kFenceRecordExt);
    *ctx.out << "Pool " << name << " rejoined: " << back << " volume(s) taken back, " << gone << " released\n";
    return {};
}

}  // namespace ilvm::cli
