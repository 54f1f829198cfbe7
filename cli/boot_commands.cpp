// SPDX-License-Identifier: LGPL-2.1-or-later
// pool-autostart-all / pool-destroy-all: what iscsi-lvm.service runs at boot and shutdown
// (with --no-mirror: libvirtd starts after it and stops before it), and mirror-sync, what
// iscsi-lvm-mirror.service runs once libvirtd is up. Every pool is tried even when one
// fails (one bad LUN must not keep the others down); the exit status says whether all
// of them made it.
//
// Boot never holds libvirt hostage: with --deadline SECONDS the pools start in parallel,
// one process per iSCSI session (pools on the same target and portal share the session,
// so they start one after the other in one process), and after SECONDS the starts still
// running are stopped: SIGTERM to the process group of each (the ilvm child and the command
// it waits for), SIGKILL kKillGrace later. Their pools count as not started.
//
// Every autostart pool that a run was asked to start and did not gets a marker,
// RUN_DIR/pools/POOL.autostart-pending, holding why; a pool started (and, unless
// --no-mirror, its libvirt mirror) loses it. --retry starts only the marked pools:
// iscsi-lvm-autostart-retry.service, which systemd runs again every minute until it
// succeeds (docs/user-guide.md#boot).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/interrupts.hpp"
#include "cli/pool_lifecycle.hpp"
#include "cli/ui/exit_codes.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/mirror_sync.hpp"

namespace ilvm::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// The marker of an autostart pool that is still to be started (its content says why).
constexpr const char *kPending = "autostart-pending";
// How long a stopped start gets to end on SIGTERM before SIGKILL.
constexpr std::chrono::seconds kKillGrace{5};
// --deadline's upper bound: a day.
constexpr uint64_t kMaxDeadlineSeconds = 86400;

template <typename Each>
Status for_each_pool(Context &ctx, const std::vector<std::string> &names, const char *verb, Each &&each) {
    size_t failed = 0;
    for (const auto &name : names) {
        auto xml = ctx.pool_xml(name);
        auto lock = ctx.store.lock(name);
        Status st = !xml.ok() ? Status(xml.take_error()) : !lock.ok() ? Status(lock.take_error()) : each(name, *xml);
        if (st.ok()) continue;
        ++failed;
        // Warnings, so the one `error:` line stays the summary below.
        spdlog::warn("pool {} not {}: {}", name, verb, st.error().message);
    }
    if (failed)
        return system_error(std::to_string(failed) + " of " + std::to_string(names.size()) + " pool(s) could not be " + verb,
                            "see the warnings above; ilvm pool-info POOL shows each pool's state");
    return {};
}

Mirror mirror_option(const Args &args) { return args.flag("no-mirror") ? Mirror::leave : Mirror::sync; }

// Sets or clears the pool's marker after an attempt to start it.
void note_outcome(Context &ctx, const std::string &name, const std::string &failure) {
    if (failure.empty()) {
        ctx.store.remove_runtime_file(name, kPending);
        return;
    }
    continue_after(ctx.store.save_runtime_file(name, kPending, failure + "\n"),
                   "the start's failure is reported; without its marker the pool is not retried by "
                   "iscsi-lvm-autostart-retry.service, ilvm pool-start starts it");
}

// A retried pool is done when its libvirt mirror runs too. libvirt's start of the mirror
// (its `vgchange -aly VG`) can fail right after our lock-start (measured in the lab after an
// unclean power-off: "Cannot access VG vg_san due to failed lock"), and
// iscsi-lvm-mirror.service ran at libvirtd's start, before the pool was up: nothing else
// would start the mirror. start_pool_locked() has tried once; this tries once more when
// it is not running, and the error keeps the marker for the next retry.
Status mirror_running(Context &ctx, const std::string &name, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
    if (ctx.mirror().inspect(name, p.vg).state == host::MirrorState::active) return {};
    return host::mirror_bring_up(ctx.mirror(), name, p.vg);
}

enum class Outcome { started, mirror_missing, not_started };

// Starts one autostart pool (and with Mirror::sync its libvirt mirror), warns when it
// fails, and records the outcome in its marker.
Outcome start_one(Context &ctx, const std::string &name, Mirror mirror) {
    Outcome outcome = Outcome::not_started;
    Status st = [&]() -> Status {
        ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
        ILVM_ASSIGN_OR_RETURN(auto lock, ctx.store.lock(name));
        if (!ctx.store.active(name)) {   // else: started by hand or by an earlier try meanwhile
            ILVM_TRY(start_pool_locked(ctx, name, xml, mirror));
            *ctx.out << "Pool " << name << " started\n";
        }
        outcome = Outcome::mirror_missing;
        if (mirror == Mirror::sync) ILVM_TRY(mirror_running(ctx, name, xml));
        outcome = Outcome::started;
        return {};
    }();
    if (outcome == Outcome::mirror_missing)
        spdlog::warn("pool {} started; {}", name, st.error().message);
    else if (!st.ok())
        spdlog::warn("pool {} not started: {}", name, st.error().message);
    note_outcome(ctx, name, st.ok() ? std::string() : st.error().message);
    return outcome;
}

// A pool is done when it is started and its marker is gone (a retried pool whose mirror
// did not start keeps it).
bool done(Context &ctx, const std::string &name) {
    return ctx.store.active(name) && ctx.store.load_runtime_file(name, kPending).empty();
}

// The verb's summary: its one error line when a pool is not done.
Status summary(size_t not_started, size_t mirror_missing, size_t total) {
    const std::string of = " of " + std::to_string(total) + " pool(s) could not be started";
    if (not_started)
        return system_error(std::to_string(not_started + mirror_missing) + of,
                            "see the warnings above; ilvm pool-autostart-all --retry (iscsi-lvm-autostart-retry.service, "
                            "every minute) starts them once their SAN answers");
    if (mirror_missing)
        return system_error("the libvirt mirror of " + std::to_string(mirror_missing) + of,
                            "see the warnings above; the pools are started (virsh start works), the next "
                            "ilvm pool-autostart-all --retry (iscsi-lvm-autostart-retry.service, every minute) "
                            "starts their mirrors; ilvm mirror-sync does it now");
    return {};
}

std::vector<std::string> autostart_pools(Context &ctx) {
    std::vector<std::string> names;
    for (const auto &name : ctx.store.names())
        if (ctx.store.autostart(name) && !ctx.store.active(name)) names.push_back(name);
    return names;
}

// The marked pools still to be started (with Mirror::sync: or whose libvirt mirror is).
// Markers of pools no longer autostart or undefined are removed, and of pools started
// meanwhile when the mirror is left alone.
std::vector<std::string> pending_pools(Context &ctx, Mirror mirror) {
    const std::string suffix = std::string(".") + kPending;
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(ctx.store.run_dir(), ec)) {
        const std::string file = entry.path().filename().string();
        if (file.size() <= suffix.size() || !file.ends_with(suffix)) continue;
        const std::string name = file.substr(0, file.size() - suffix.size());
        // An active pool stays: its marker says its libvirt mirror is still to be started.
        const char *gone = !ctx.store.exists(name)                           ? "it is no longer defined"
                           : !ctx.store.autostart(name)                        ? "it is no longer marked autostart"
                           : ctx.store.active(name) && mirror == Mirror::leave ? "it is active"
                                                                               : nullptr;
        if (!gone) {
            names.push_back(name);
            continue;
        }
        spdlog::info("pool {}: not retried, {}", name, gone);
        ctx.store.remove_runtime_file(name, kPending);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Pools sharing an iSCSI session (the same target at the same portal) must start one after
// the other: a failed start logs out a session it logged in, under the other pool's feet.
// A pool with several portals joins every group one of its portals is in (they become one).
// A pool whose XML cannot be read gets a group of its own (its start reports why).
std::vector<std::vector<std::string>> session_groups(Context &ctx, const std::vector<std::string> &names) {
    std::map<std::string, size_t> index;
    std::vector<std::vector<std::string>> groups;
    for (const auto &name : names) {
        std::vector<std::string> keys{"pool " + name};
        if (auto xml = ctx.pool_xml(name); xml.ok())
            if (auto p = host::summarize_pool(*xml); p.ok()) {
                keys.clear();
                for (const auto &portal : p->portals) keys.push_back("session " + p->target + " " + portal);
            }
        size_t group = groups.size();
        for (const auto &key : keys) {
            auto it = index.find(key);
            if (it == index.end() || it->second == group) continue;
            if (group == groups.size()) {
                group = it->second;
                continue;
            }
            const size_t from = it->second;   // a second group this pool shares a session with
            groups[group].insert(groups[group].end(), groups[from].begin(), groups[from].end());
            groups[from].clear();
            for (auto &entry : index)
                if (entry.second == from) entry.second = group;
        }
        if (group == groups.size()) groups.emplace_back();
        groups[group].push_back(name);
        for (const auto &key : keys) index[key] = group;
    }
    std::erase_if(groups, [](const std::vector<std::string> &g) { return g.empty(); });
    return groups;
}

struct Worker {
    pid_t pid = -1;
    std::vector<std::string> pools;
    bool running = false;
};

void reap(std::vector<Worker> &workers) {
    for (auto &w : workers) {
        if (!w.running) continue;
        int status = 0;
        const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
        if (r == w.pid || (r < 0 && errno == ECHILD)) w.running = false;
    }
}

bool any_running(const std::vector<Worker> &workers) {
    return std::any_of(workers.begin(), workers.end(), [](const Worker &w) { return w.running; });
}

// Waits for a signal of `set` until `until`; the signal, or 0 when the time is up.
int wait_signal(const sigset_t &set, steady_clock::time_point until) {
    const auto left = until - steady_clock::now();
    if (left <= steady_clock::duration::zero()) return 0;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    return sig < 0 ? (errno == EAGAIN ? 0 : -1) : sig;   // -1: interrupted, look again
}

// Stops the starts still running: SIGTERM to each one's process group, SIGKILL after the
// grace, and reaps them. Returns the pools whose start was stopped.
std::vector<std::string> stop_workers(std::vector<Worker> &workers, const sigset_t &set) {
    std::vector<std::string> stopped;
    for (auto &w : workers)
        if (w.running) {
            ::kill(-w.pid, SIGTERM);
            stopped.insert(stopped.end(), w.pools.begin(), w.pools.end());
        }
    const auto until = steady_clock::now() + kKillGrace;
    for (reap(workers); any_running(workers) && wait_signal(set, until) != 0; reap(workers)) {
    }
    for (auto &w : workers)
        if (w.running) {
            ::kill(-w.pid, SIGKILL);
            ::waitpid(w.pid, nullptr, 0);
            w.running = false;
        }
    return stopped;
}

// Starts `names` in parallel processes and waits for them up to `deadline`; what each
// achieved is in the pool store (started, and its marker).
Status start_within(Context &ctx, const std::vector<std::string> &names, std::chrono::seconds deadline,
                    Mirror mirror) {
    sigset_t set, previous;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // Blocked before the first fork, so that no child's end goes unnoticed.
    ::sigprocmask(SIG_BLOCK, &set, &previous);
    // Nothing buffered may be written twice, by a child too.
    ctx.out->flush();
    std::fflush(nullptr);

    std::vector<Worker> workers;
    for (auto &group : session_groups(ctx, names)) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::sigprocmask(SIG_SETMASK, &previous, nullptr);
            // A group of its own, so that stopping it stops the command it waits for too.
            ::setpgid(0, 0);
            size_t failed = 0;
            for (const auto &name : group) {
                // Stopped at the deadline (SIGTERM: cli/interrupts.hpp stops the running
                // command and the start rolls back): the rest of the group waits for the retry.
                if (interrupted()) {
                    ++failed;
                    continue;
                }
                if (start_one(ctx, name, mirror) != Outcome::started) ++failed;
            }
            ctx.out->flush();
            std::fflush(nullptr);
            ::_exit(failed ? kExitSystem : kExitOk);
        }
        if (pid < 0) {
            const std::string why = std::string("cannot start a process for it: ") + std::strerror(errno);
            for (const auto &name : group) {
                spdlog::warn("pool {} not started: {}", name, why);
                note_outcome(ctx, name, why);
            }
            continue;
        }
        ::setpgid(pid, pid);   // the child does it too: whichever runs first
        workers.push_back(Worker{pid, group, true});
    }

    const auto until = steady_clock::now() + deadline;
    int stopped_by = 0;
    for (reap(workers); any_running(workers); reap(workers)) {
        const int sig = wait_signal(set, until);
        if (sig == 0) break;   // deadline
        if (sig == SIGINT || sig == SIGTERM) {
            stopped_by = sig;
            break;
        }
    }
    const std::string why = stopped_by ? std::string("interrupted by ") + ::strsignal(stopped_by) + ", its start was stopped"
                                        : "no answer within " + std::to_string(deadline.count()) + " s, its start was stopped";
    for (const auto &name : stop_workers(workers, set)) {
        if (ctx.store.active(name)) continue;
        spdlog::warn("pool {} not started: {}", name, why);
        note_outcome(ctx, name, why);
    }
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    if (stopped_by) return system_error(std::string("pool-autostart-all interrupted by ") + ::strsignal(stopped_by));
    return {};
}

}  // namespace

Status pool_autostart_all(Context &ctx, const Args &args) {
    std::optional<std::chrono::seconds> deadline;
    if (auto text = args.opt("deadline")) {
        ILVM_ASSIGN_OR_RETURN(uint64_t seconds, parse_number(*text, 1, kMaxDeadlineSeconds, "--deadline"));
        deadline = std::chrono::seconds(seconds);
    }
    const bool retry = args.flag("retry");
    const Mirror mirror = mirror_option(args);
    const std::vector<std::string> names = retry ? pending_pools(ctx, mirror) : autostart_pools(ctx);
    if (deadline) {
        ILVM_TRY(start_within(ctx, names, *deadline, mirror));
    } else {
        for (const auto &name : names) start_one(ctx, name, mirror);
    }
    size_t not_started = 0, mirror_missing = 0;
    for (const auto &name : names) {
        if (!ctx.store.active(name))
            ++not_started;
        else if (!done(ctx, name))
            ++mirror_missing;
    }
    return summary(not_started, mirror_missing, names.size());
}

Status pool_destroy_all(Context &ctx, const Args &args) {
    std::vector<std::string> names;
    for (const auto &name : ctx.store.names())
        if (ctx.store.active(name)) names.push_back(name);
    return for_each_pool(ctx, names, "stopped", [&](const std::string &name, const std::string &xml) -> Status {
        ILVM_TRY(stop_pool_locked(ctx, name, xml, mirror_option(args)));
        *ctx.out << "Pool " << name << " destroyed\n";
        return {};
    });
}

Status mirror_sync(Context &ctx, const Args &) {
    for (const auto &name : ctx.store.names()) {
        if (!ctx.store.active(name)) continue;
        auto xml = ctx.pool_xml(name);
        if (!xml.ok()) continue;
        auto p = host::summarize_pool(*xml);
        // Warnings only: a missing libvirtd or a foreign pool must not fail the boot.
        if (p.ok()) continue_after(host::mirror_bring_up(ctx.mirror(), name, p->vg), host::kMirrorIsAView);
    }
    return {};
}

}  // namespace ilvm::cli
