// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/lease_lost_command.hpp"

#include "cli/host_runner.hpp"
#include "cli/virsh_argv.hpp"
#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/strings.hpp"
#include "host/core/fence_record.hpp"
#include "host/core/fencing_wire.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/status_files.hpp"
#include "host/core/summaries.hpp"
#include "host/core/volume_users.hpp"

namespace ilvm::cli {
namespace {

struct FencedPool {
    std::string name;
    std::string xml;      // what the pool runs with here (its run-state copy when started)
    std::string policy;   // its <on_lockfailure>
};

Result<FencedPool> pool_of_vg(Context &ctx, const std::string &vg) {
    for (const auto &p : host::load_defined_pools(ctx.store)) {
        if (p.def.vg != vg) continue;
        const bool started = ctx.store.active(p.name);
        ILVM_ASSIGN_OR_RETURN(std::string xml, started ? ctx.store.load_runtime(p.name) : ctx.store.load(p.name));
        if (!started) spdlog::warn("pool {} is not started here, yet VG {} lost its lease on this host", p.name, vg);
        ILVM_ASSIGN_OR_RETURN(auto running, host::summarize_pool(xml));
        return FencedPool{p.name, std::move(xml), running.on_lockfailure};
    }
    return not_found("no pool defined on this host uses volume group " + vg,
                     "ilvm pool-list --all lists the pools; lvmlockctl keeps the locks of a VG that is not a pool's, "
                     "and the watchdog resets the host as without fencing");
}

// Runs the pool's <on_lockfailure> on each domain; a failure is a warning, the I/O is stopped.
std::vector<host::DomainFenceAction> act_on_domains(Context &ctx, System &sys, const FencedPool &pool,
                                                    const std::set<std::string> &domains) {
    const bool pause = pool.policy != "poweroff";
    std::vector<host::DomainFenceAction> done;
    for (const auto &domain : domains) {
        const Command cmd = pause ? virsh_suspend(ctx.libvirt_uri(), domain) : virsh_destroy(ctx.libvirt_uri(), domain);
        host::DomainFenceAction a{domain, pool.policy, false, {}};
        auto ran = run_checked(sys, cmd, std::string("virsh ") + (pause ? "suspend " : "destroy ") + domain);
        a.done = ran.ok();
        if (!ran.ok()) {
            a.error = ran.error().message;
            spdlog::warn("pool {}: could not {} domain {} after its lease was lost: {} (its disks fail every I/O "
                         "already)",
                         pool.name, pause ? "pause" : "power off", domain, a.error);
        } else {
            spdlog::info("pool {}: domain {} {}", pool.name, domain, pause ? "paused" : "powered off");
        }
        done.push_back(std::move(a));
    }
    return done;
}

// The one line lvmlockctl gets on stdout (and a person reading its log).
std::string summary_line(const std::string &pool, const host::FenceRun &run, bool listed) {
    std::string line = "pool " + pool + " (VG " + run.vg + ") lost its lease: ";
    if (!listed) return line + "its devices could not be listed, no I/O was stopped";
    std::vector<std::string> failed;
    for (const auto &d : run.devices)
        if (!d.wiped) failed.push_back(d.name);
    line += "I/O stopped on " + std::to_string(run.devices.size() - failed.size()) + " of " +
            std::to_string(run.devices.size()) + " devices";
    if (!failed.empty()) line += " (not on " + join(failed, ", ") + ")";
    std::vector<std::string> acted, not_acted;
    for (const auto &a : run.domains) (a.done ? acted : not_acted).push_back(a.domain);
    const std::string verb = run.policy == "poweroff" ? "powered off" : "paused";
    if (run.domains.empty()) line += "; no domain here uses them";
    if (!acted.empty()) line += "; " + verb + ": " + join(acted, ", ");
    if (!not_acted.empty()) line += "; could not be " + verb + ": " + join(not_acted, ", ");
    return line;
}

}  // namespace

Status lease_lost(Context &ctx, const Args &args) {
    const std::string vg = args.get("vg");
    ILVM_TRY(validate_vg_name(vg));
    ILVM_ASSIGN_OR_RETURN(const FencedPool pool, pool_of_vg(ctx, vg));
    host::FenceRun run;
    run.time = unix_seconds();
    run.vg = vg;
    run.policy = pool.policy;
    // Every way out records what was done and prints the line.
    auto finish = [&](bool listed) {
        continue_after(host::append_fence_run(ctx.store, pool.name, run),
                       "the record is for ilvm doctor; what was done is in this log and on stdout");
        *ctx.out << summary_line(pool.name, run, listed) << "\n" << std::flush;
    };

    auto fenced = [&]() -> Result<std::vector<host::FencedDeviceView>> {
        ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
        ILVM_ASSIGN_OR_RETURN(std::string xml, be->fence_pool(pool.xml));
        return host::parse_fencing(xml);
    }();
    if (!fenced.ok()) {
        run.problems.push_back("no I/O stopped: " + fenced.error().message);
        finish(false);
        return fenced.take_error();
    }
    std::set<std::string> volumes;
    for (const auto &d : *fenced) {
        run.devices.push_back({d.name, d.open_count, d.wiped, d.error});
        volumes.insert(d.volume);
    }

    // The domains of every device found, wiped or not: pausing one whose wipe failed stops
    // its I/O too.
    const host::StatusDir status = host::read_status_dir(host::status_dir(), host::load_pool_bindings(ctx.store));
    host::VolumeUsers users = host::domains_using(ctx.store, status, pool.name, volumes);
    for (const auto &p : users.problems) spdlog::warn("pool {}: {} (its domains are not paused)", pool.name, p);
    run.problems = std::move(users.problems);
    HostRunner runner(ctx);
    run.domains = act_on_domains(ctx, runner.system(), pool, users.domains);
    finish(true);

    std::vector<std::string> failed;
    for (const auto &d : run.devices)
        if (!d.wiped) failed.push_back(d.name + ": " + d.error);
    if (!failed.empty())
        return system_error("could not stop the I/O to " + std::to_string(failed.size()) + " of " +
                                std::to_string(run.devices.size()) + " devices of VG " + vg + ": " + join(failed, "; "),
                            "lvmlockctl keeps the VG's locks: the watchdog resets this host unless the lease is renewed "
                            "in time; see ilvm doctor");
    return {};
}

}  // namespace ilvm::cli
