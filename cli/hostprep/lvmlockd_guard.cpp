// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/lvmlockd_guard.hpp"

#include <algorithm>

#include "cli/hostprep/kv_file.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::cli {
namespace {

// The kernel's ceiling for pid_max (PID_MAX_LIMIT on 64-bit).
constexpr uint64_t kPidMaxLimit = 4194304;
constexpr const char *kFaultMatrix = "see troubleshooting, The fault matrix";

std::string pid_list(const std::vector<long> &pids) {
    std::vector<std::string> words;
    for (long p : pids) words.push_back(std::to_string(p));
    return join(words, ", ");
}

// The pid /run/lvmlockd.pid names ("%u\n", written by lvmlockd itself), nullopt when the
// file is missing; a file that names no pid is an error.
Result<std::optional<long>> pid_file_pid(System &sys, const HostRoot &root) {
    ILVM_ASSIGN_OR_RETURN(std::optional<std::string> text, read_if_exists(sys, root.at(kLvmlockdPidFile)));
    if (!text) return std::optional<long>();
    const std::string word(trim(*text));
    auto pid = parse_digits(word);
    if (!pid || *pid == 0 || *pid > kPidMaxLimit)
        return invalid_input(std::string(kLvmlockdPidFile) + " does not hold a pid: '" + word + "'");
    return std::optional<long>(static_cast<long>(*pid));
}

}  // namespace

const std::string &lvmlockd_drop_in() {
    static const std::string text =
        "# Written by ilvm host-setup. lvmlockd ignores SIGTERM while it holds VG lockspaces and\n"
        "# this unit never sends SIGKILL (SendSIGKILL=no), so a manual stop or restart (a package\n"
        "# upgrade's too) times out, and systemd deletes /run/lvmlockd.pid while lvmlockd keeps\n"
        "# running: LVM commands then skip lvmlockd and deactivations keep their locks.\n"
        "# Shutdown still stops lvmlockd. To stop it by hand: stop every pool's lockspace first\n"
        "# (ilvm pool-destroy), then systemctl kill lvmlockd (it exits once it has none).\n"
        "[Unit]\n"
        "RefuseManualStop=yes\n";
    return text;
}

Result<std::vector<long>> running_lvmlockd(System &sys, const HostRoot &root) {
    std::vector<long> pids;
    ILVM_ASSIGN_OR_RETURN(const std::vector<std::string> entries, sys.list_dir(root.at("/proc")));
    for (const auto &name : entries) {
        auto pid = parse_digits(name);
        if (!pid) continue;   // not a process: /proc/self, /proc/meminfo …
        auto comm = sys.read_file(root.at("/proc/" + name + "/comm"));
        if (!comm.ok()) {
            // The usual reason: the process exited between the listing and the read.
            spdlog::debug("skipping /proc/{}: {}", name, comm.error().message);
            continue;
        }
        if (trim(*comm) == "lvmlockd") pids.push_back(static_cast<long>(*pid));
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

HostCheck lvmlockd_stop_guard_check(System &sys, const HostRoot &root) {
    const std::string check = "lvmlockd stop guard";
    auto text = read_if_exists(sys, root.at(kLvmlockdDropIn));
    if (!text.ok()) return HostCheck{check, false, text.error().message, std::string("check ") + kLvmlockdDropIn};
    if (*text && kv_value(**text, "RefuseManualStop").value_or("") == "yes") return HostCheck{check, true, {}, {}};
    return HostCheck{check, false,
                     std::string("no RefuseManualStop=yes in ") + kLvmlockdDropIn +
                         ": a manual stop or restart of lvmlockd (an upgrade's too) leaves LVM without its lock "
                         "daemon while volumes are active",
                     "ilvm host-setup --host-id N"};
}

HostCheck lvmlockd_pid_file_check(System &sys, const HostRoot &root) {
    const std::string check = kLvmlockdPidFileCheck;
    auto running = running_lvmlockd(sys, root);
    if (!running.ok()) return HostCheck{check, false, running.error().message, "check that /proc is mounted"};
    const std::vector<long> &pids = *running;
    if (pids.empty()) return HostCheck{check, true, {}, {}};   // "daemon lvmlockd" says it does not run
    if (pids.size() > 1)
        return HostCheck{check, false, std::to_string(pids.size()) + " lvmlockd processes run (pids " + pid_list(pids) + ")",
                         std::string("find the one that holds the locks (lvmlockctl -i) before anything else; ") +
                             kFaultMatrix};
    auto named = pid_file_pid(sys, root);
    if (!named.ok()) return HostCheck{check, false, named.error().message, "ilvm doctor --fix"};
    const std::string pid = std::to_string(pids.front());
    if (!*named)
        return HostCheck{check, false,
                         "lvmlockd (pid " + pid + ") runs but " + kLvmlockdPidFile +
                             " is missing (left by a stop or restart of lvmlockd that timed out): LVM commands take "
                             "lvmlockd for stopped, so deactivations keep their locks and shared activations fail",
                         "ilvm doctor --fix (writes " + pid + " to " + kLvmlockdPidFile + "); " + kFaultMatrix};
    if (**named != pids.front())
        return HostCheck{check, false,
                         std::string(kLvmlockdPidFile) + " names pid " + std::to_string(**named) + ", lvmlockd runs as " + pid,
                         "ilvm doctor --fix (writes " + pid + " to " + kLvmlockdPidFile + ")"};
    return HostCheck{check, true, {}, {}};
}

Result<std::optional<long>> restore_lvmlockd_pid_file(System &sys, const HostRoot &root) {
    ILVM_ASSIGN_OR_RETURN(const std::vector<long> pids, running_lvmlockd(sys, root));
    if (pids.size() != 1) return std::optional<long>();
    auto named = pid_file_pid(sys, root);
    // A pid file we cannot read as a pid is overwritten too: LVM only checks that it exists.
    if (named.ok() && *named && **named == pids.front()) return std::optional<long>();
    ILVM_TRY(sys.write_file(root.at(kLvmlockdPidFile), std::to_string(pids.front()) + "\n", 0644));
    spdlog::warn("wrote lvmlockd's pid {} to {}: LVM commands reach lvmlockd again", pids.front(), kLvmlockdPidFile);
    return std::optional<long>(pids.front());
}

}  // namespace ilvm::cli
