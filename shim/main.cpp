// SPDX-License-Identifier: LGPL-2.1-or-later
// 50-iscsi-lvm: libvirt qemu hook (installed in /etc/libvirt/hooks/qemu.d/) that activates a
// domain's iscsi-lvm volumes exclusively before it starts and deactivates them after it
// stops. Unrelated calls return at once without reading stdin or touching LVM.
#include <array>
#include <csignal>
#include <signal.h>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unistd.h>

#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/continue_after.hpp"
#include "common/env.hpp"
#include "common/host_system.hpp"
#include "common/xml_doc.hpp"
#include "host/core/agent_client.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/status_files.hpp"
#include "shim/hook.hpp"
#include "shim/module_control.hpp"

namespace {

constexpr unsigned kDefaultTimeoutSeconds = 120;
// After the timeout, how long the hook may take to undo what it activated.
constexpr unsigned kRollbackSeconds = 30;

// libvirt waits for hooks without a limit; a wedged lock manager must not hang domain
// starts forever. The first SIGALRM takes the LVM command we are waiting for with us (we
// lead our own process group, see main: an lvs/lvchange stuck on lvmlockd did outlive the
// hook in the lab, and the next hook call queued behind it), so that command fails and the
// start is refused all or nothing: what this call activated is deactivated again
// (g_timed_out stops further activations). A second SIGALRM, kRollbackSeconds later, ends
// the hook even if that rollback hangs too.
volatile sig_atomic_t g_own_group = 0;
volatile sig_atomic_t g_timed_out = 0;

void say(const char *msg, size_t len) {
    if (::write(STDERR_FILENO, msg, len) < 0) {
        // Nothing async-signal-safe could report it; the exit status still refuses.
    }
}

void on_alarm(int) {
    if (g_timed_out) {
        static const char msg[] = "iscsi-lvm: undoing the timed-out start timed out too; refusing\n";
        say(msg, sizeof msg - 1);
        _exit(1);
    }
    g_timed_out = 1;
    static const char msg[] = "iscsi-lvm: hook timed out (ILVM_HOOK_TIMEOUT); undoing what it activated and refusing\n";
    say(msg, sizeof msg - 1);
    if (g_own_group) {  // never signal a group we share with libvirtd
        std::signal(SIGTERM, SIG_IGN);
        ::kill(0, SIGTERM);
    }
    ::alarm(kRollbackSeconds);
}

}  // namespace

int main(int argc, char **argv) {
    using namespace ilvm;
    hook::Invocation inv;
    if (argc > 1) inv.domain = argv[1];
    if (argc > 2) inv.op = argv[2];
    if (argc > 3) inv.subop = argv[3];
    if (argc > 4) inv.extra = argv[4];
    if (hook::action_for(inv) == hook::Action::none) return 0;  // the fast path

    auto logger = std::make_shared<spdlog::logger>(
        "iscsi-lvm-hook", std::make_shared<spdlog::sinks::syslog_sink_st>("iscsi-lvm-hook", LOG_PID, LOG_DAEMON, false));
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::info);

    // Our own process group (libvirtd runs hooks in its group): the alarm handler signals it.
    if (::setpgid(0, 0) == 0 && ::getpgrp() == ::getpid()) g_own_group = 1;
    else spdlog::warn("cannot lead a process group; a timed-out LVM command may outlive the hook");
    auto timeout = env_number("ILVM_HOOK_TIMEOUT", kDefaultTimeoutSeconds, 1, 86400);
    if (!timeout.ok())
        spdlog::error("{}; using {} s (a bound, never turned off)", timeout.error().message, kDefaultTimeoutSeconds);
    std::signal(SIGALRM, on_alarm);
    ::alarm(static_cast<unsigned>(timeout.ok() ? *timeout : kDefaultTimeoutSeconds));

    // Bounded read: domain XML larger than the parser accepts is refused anyway. In pieces: a
    // domain's XML is a few KiB, and a buffer as large as the bound, zeroed first, cost every
    // call 1 M instructions and 256 page faults (issue 16, callgrind of the hook).
    std::string xml;
    std::array<char, 16384> piece;
    while (xml.size() <= k_max_xml_bytes) {
        std::cin.read(piece.data(), static_cast<std::streamsize>(piece.size()));
        const auto got = static_cast<size_t>(std::cin.gcount());
        xml.append(piece.data(), got);
        if (got < piece.size()) break;   // end of input
    }
    if (xml.size() > k_max_xml_bytes + 1) xml.resize(k_max_xml_bytes + 1);

    // Fail closed: a start (or an incoming migration) that the hook cannot check is refused;
    // a release or reconnect never is (libvirt cannot undo them).
    const bool starting = hook::action_for(inv) == hook::Action::activate || hook::action_for(inv) == hook::Action::accept_migration;
    auto with_hint = [](const Error &e) { return e.message + (e.hint.empty() ? "" : " (hint: " + e.hint + ")"); };
    auto refuse = [&](const Error &e) {
        std::cerr << "iscsi-lvm: cannot check domain '" << inv.domain << "': " << with_hint(e) << "\n";
        spdlog::error("domain {}: {}", inv.domain, e.message);
        return starting ? 1 : 0;
    };

    host::PoolStore store = host::PoolStore::from_environment();
    // The definitions decide which volumes a start activates: read them only from
    // directories no one but root can change (the check every ilvm verb makes).
    if (Status dirs = store.check_directories(); !dirs.ok()) {
        if (starting) return refuse(dirs.error());
        std::cerr << "iscsi-lvm: warning: " << with_hint(dirs.error()) << "\n";
        continue_after(dirs, "a release is never refused: libvirt has already stopped the domain");
    }
    hook::HookEnv env;
    if (auto pools = host::load_pool_bindings_or_fail(store); pools.ok()) env.pools = std::move(*pools);
    else if (starting) return refuse(pools.error());
    else env.pools = host::load_pool_bindings(store);
    if (env.pools.empty()) return 0;  // no iscsi-lvm pool on this host
    env.disks_of_other_running_domains = [&]() -> Result<std::vector<host::DiskRef>> {
        return host::disks_of_others(host::read_status_dir(host::status_dir(), env.pools), inv.domain);
    };
    SystemClock clock;
    env.store = &store;
    env.clock = &clock;
    env.timed_out = [] { return g_timed_out != 0; };
    // libvirtd waits for the hook; once it has exited (a restart) our parent is someone else.
    env.caller_gone = [parent = ::getppid()] { return ::getppid() != parent; };

    // Which disks are ours needs only the definitions and the domain's XML: a domain with none
    // (most of a host's) is left here, before the module is loaded (issue 16). An XML that
    // cannot be read goes on to run_hook, which refuses its start.
    const auto disks = host::domain_disks(xml, env.pools);
    if (disks.ok() && disks->empty()) return 0;

    // Only now, with a domain that is ours, load the module.
    std::map<std::string, std::string> options;
    if (std::string w = env_or("ILVM_COMMAND_WRAPPER", ""); !w.empty()) options["command_wrapper"] = w;
    auto module = host::BackendClient::load(options);
    if (!module.ok()) return refuse(module.error());
    hook::ModuleControl control(*module, store);
    HostSystem runner;
    const std::string run_dir = env_or("ILVM_RUN_DIR", "/run/iscsi-lvm");
    hook::RunDirHandover handover(runner, run_dir, env_or("ILVM_SYSTEMCTL", "systemctl"));
    env.handover = &handover;
    env.ask_agent = [socket = host::agent_socket_path(run_dir)](const host::AgentRequest &request) {
        // Within the hook's own bound (ILVM_HOOK_TIMEOUT): the agent's calls to other hosts
        // are bounded more tightly still.
        return host::call_local_agent(socket, request, std::chrono::seconds(kDefaultTimeoutSeconds / 2));
    };
    const int rc = hook::run_hook_on_disks(inv, disks, env, control, std::cerr);
    return g_timed_out && starting ? 1 : rc;
}
