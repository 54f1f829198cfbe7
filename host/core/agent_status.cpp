// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/agent_status.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <map>

#include "common/atomic_file.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::host {
namespace {

std::string one_line(std::string s) {
    for (auto &c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

std::string ago(int64_t now, int64_t then) { return std::to_string(now > then ? now - then : 0) + " s ago"; }

}  // namespace

std::string agent_status_path(const PoolStore &store) {
    return std::filesystem::path(store.run_dir()).parent_path().string() + "/ilvmd.status";
}

std::string format_agent_status(const AgentStatus &s) {
    return "pid=" + std::to_string(s.pid) + "\nstarted=" + std::to_string(s.started) + "\nupdated=" +
           std::to_string(s.updated) + "\npasses=" + std::to_string(s.passes) + "\nsafety_net=" +
           std::to_string(s.safety_net) + "\nlibvirt=" + (s.libvirt_connected ? "connected" : "unreachable") +
           "\nlibvirt_error=" + one_line(s.libvirt_error) + "\nlast_event=" + one_line(s.last_event) +
           "\nlast_event_at=" + std::to_string(s.last_event_at) + "\nhandover=" + one_line(s.handover) +
           "\npeers=" + one_line(s.peers) + "\npeers_failed=" + std::to_string(s.peers_failed) +
           "\npeers_at=" + std::to_string(s.peers_at) + "\n";
}

std::optional<AgentStatus> parse_agent_status(std::string_view text) {
    std::map<std::string, std::string> kv;
    for (std::string_view line : split_lines(text)) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        kv[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    auto number = [&](const char *key) -> std::optional<uint64_t> {
        auto it = kv.find(key);
        return it == kv.end() ? std::nullopt : parse_digits(it->second);
    };
    const auto pid = number("pid"), updated = number("updated");
    if (!pid || !updated) return std::nullopt;
    AgentStatus s;
    s.pid = static_cast<int64_t>(*pid);
    s.updated = static_cast<int64_t>(*updated);
    s.started = static_cast<int64_t>(number("started").value_or(0));
    s.passes = number("passes").value_or(0);
    s.safety_net = static_cast<int64_t>(number("safety_net").value_or(60));
    s.last_event_at = static_cast<int64_t>(number("last_event_at").value_or(0));
    s.libvirt_connected = kv["libvirt"] == "connected";
    s.libvirt_error = kv["libvirt_error"];
    s.last_event = kv["last_event"];
    s.handover = kv["handover"];
    s.peers = kv["peers"];
    s.peers_failed = number("peers_failed").value_or(0);
    s.peers_at = static_cast<int64_t>(number("peers_at").value_or(0));
    return s;
}

Status write_agent_status(const PoolStore &store, const AgentStatus &s) {
    const std::string path = agent_status_path(store);
    ILVM_TRY(make_directory_tree(std::filesystem::path(path).parent_path().string(), 0755));
    return write_file_atomically(path, format_agent_status(s), 0644);
}

Result<std::optional<AgentStatus>> read_agent_status(const PoolStore &store) {
    const std::string path = agent_status_path(store);
    ILVM_ASSIGN_OR_RETURN(auto text, read_state_file(path));
    if (!text) return std::optional<AgentStatus>();
    auto s = parse_agent_status(*text);
    if (!s) return system_error(path + " is damaged", "systemctl restart ilvmd rewrites it");
    return std::optional<AgentStatus>(std::move(*s));
}

AgentHealth judge_agent(const std::optional<AgentStatus> &status, bool alive, int64_t now) {
    if (!status)
        return {"fail", "ilvmd has not run on this host since boot (no status file)",
                "systemctl enable --now ilvmd"};
    const AgentStatus &s = *status;
    const std::string who = "ilvmd (pid " + std::to_string(s.pid) + ")";
    if (!alive)
        return {"fail", who + " is not running; its last pass ended " + ago(now, s.updated),
                "systemctl restart ilvmd; journalctl -u ilvmd says why it stopped"};
    // Three safety-net periods without a pass: the worker is stuck (the watchdog restarts it
    // after 10 minutes) or the main loop is.
    if (now - s.updated > 3 * s.safety_net)
        return {"warn",
                who + " has finished no pass for " + std::to_string(now - s.updated) + " s (its safety net runs every " +
                    std::to_string(s.safety_net) + " s): a pass may hang on LVM or lvmlockd",
                "journalctl -u ilvmd; systemd restarts it when a pass hangs for 10 minutes"};
    if (!s.libvirt_connected)
        return {"warn", who + " cannot reach libvirt (" + s.libvirt_error + "): it follows udev events only",
                "systemctl status libvirtd (or virtqemud); ilvmd reconnects by itself every 5 s"};
    std::string what = who + " running, " + std::to_string(s.passes) + " passes, last " + ago(now, s.updated);
    if (!s.last_event.empty()) what += ", last event " + ago(now, s.last_event_at) + ": " + s.last_event;
    // Not a warning: a host without libvirt's TLS certificates works, only stock migrations
    // to and from it are refused (with their own error). Shown so that doctor says it.
    if (!s.handover.empty()) what += "; hand-over " + s.handover;
    if (!s.peers.empty()) what += "; peers " + ago(now, s.peers_at) + ": " + s.peers;
    // A peer this agent cannot reach cannot hand over volumes to or from this host: a stock
    // migration between the two is refused, with the same reason.
    if (s.peers_failed > 0)
        return {"warn", what,
                "on each FAILED peer: systemctl start ilvmd; TCP port 16520 open between the hosts; certificates "
                "from this cluster's CA (virt-pki-validate); see docs/agent.md"};
    return {"ok", what, ""};
}

AgentHealth agent_health(const PoolStore &store, int64_t now) {
    auto status = read_agent_status(store);
    if (!status.ok()) return {"fail", status.error().message, status.error().hint};
    bool alive = false;
    // EPERM: the process lives under another user (ilvm run unprivileged); it is alive.
    if (*status) alive = ::kill(static_cast<pid_t>((*status)->pid), 0) == 0 || errno == EPERM;
    return judge_agent(*status, alive, now);
}

}  // namespace ilvm::host
