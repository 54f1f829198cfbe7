// SPDX-License-Identifier: LGPL-2.1-or-later
// What ilvmd (the host agent) tells the rest of the host about itself: a small run-state
// file it rewrites after each pass (at least once per safety-net period), read by
// `ilvm doctor`. One "key=value" line each:
//
//   $ILVM_RUN_DIR/ilvmd.status   pid, started, updated, passes, safety_net, libvirt,
//                                libvirt_error, last_event, last_event_at (unix seconds),
//                                handover (the live-migration hand-over: ready or off, why),
//                                peers (the other hosts' agents: each reached or not),
//                                peers_failed, peers_at (unix seconds)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::host {

struct AgentStatus {
    int64_t pid = 0;
    int64_t started = 0;        // unix seconds
    int64_t updated = 0;        // the end of the last pass (or the start)
    uint64_t passes = 0;
    int64_t safety_net = 60;    // seconds between two passes at the most
    bool libvirt_connected = false;
    std::string libvirt_error;
    std::string last_event;     // one line; "" before the first
    int64_t last_event_at = 0;
    // "ready (port 16520)", or "off: <why>" (no certificates, the port taken…); "" from an
    // agent that did not say.
    std::string handover;
    // The last probe of the other hosts' agents (agent/peer_probe.hpp): "hosta ok (12 ms),
    // hostc FAILED (…)", "none live"; "" before the first (or with the hand-over off).
    std::string peers;
    uint64_t peers_failed = 0;
    int64_t peers_at = 0;

    bool operator==(const AgentStatus &) const = default;
};

std::string agent_status_path(const PoolStore &store);
std::string format_agent_status(const AgentStatus &s);
// nullopt when a required key (pid, updated) is missing or a number does not parse.
std::optional<AgentStatus> parse_agent_status(std::string_view text);
Status write_agent_status(const PoolStore &store, const AgentStatus &s);
// nullopt when there is no status file (the agent never ran since boot).
Result<std::optional<AgentStatus>> read_agent_status(const PoolStore &store);

// `ilvm doctor`'s judgement of the agent: severity "ok", "warn" or "fail", one line, a fix.
struct AgentHealth {
    std::string severity, what, fix;
};
// `status`: what the file says (nullopt: none); `alive`: whether its pid is a live process.
AgentHealth judge_agent(const std::optional<AgentStatus> &status, bool alive, int64_t now);
// The status file judged, with a look at whether its pid still lives: what `ilvm doctor` and
// `ilvm pool-info` say of the agent. A damaged file is a failure with its own fix.
AgentHealth agent_health(const PoolStore &store, int64_t now);

}  // namespace ilvm::host
