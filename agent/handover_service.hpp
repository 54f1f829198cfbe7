// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's part in a stock `virsh migrate` (docs/agent.md, "Hand-over"):
//
//   * answer_local():  the destination's qemu hook asks at `migrate begin` (local socket);
//     host::share_in asks the holders' agents to share the domain's volumes. No call to the
//     local libvirtd: it is waiting for that hook.
//   * answer_peer():   another agent pings this one (peer_probe.hpp), or asks this host,
//     the holder, to share a domain's volumes;
//     host::share_out checks that the domain migrates away from here and converts ex -> sh,
//     then a watcher thread waits for the migration job to end (host::watch_out) and brings
//     the volumes back to exclusive if the domain stays.
//
// Each request and watcher has its own module instance and libvirt connection
// (host::LocalHandover); nothing is kept but the watchers themselves: an agent restarted
// during a migration leaves the hand-over lock file, and the reconciler finishes the job.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/peer_channel.hpp"
#include "host/core/agent_wire.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/handover/share_in.hpp"
#include "host/handover/share_out.hpp"

namespace ilvm::agent {

inline constexpr uint16_t kDefaultPeerPort = 16520;

struct HandoverConfig {
    std::string libvirt_uri = "qemu:///system";
    PkiFiles pki = libvirt_pki();
    uint16_t port = kDefaultPeerPort;         // every host the same ($ILVM_AGENT_PORT)
    std::chrono::seconds peer_timeout{20};    // each step of a call to another agent
    std::string self_name;                    // this host's name, for the holder's logs
    host::ShareOutOptions share;
    // The backend module's options: each request and watcher opens its own module instance
    // (an instance keeps state between calls; the pass worker has the agent's).
    std::map<std::string, std::string> module_options;
};

// $ILVM_AGENT_PORT, this host's name.
Result<HandoverConfig> handover_config_from_env(const std::string &libvirt_uri);

class HandoverService {
public:
    // `ask` reaches another agent (peer_call in production, a fake in tests).
    HandoverService(const host::PoolStore &store, HandoverConfig config, host::AskHolder ask = {});
    ~HandoverService();   // the watchers stop (their lock files stay for the reconciler) and are joined
    HandoverService(const HandoverService &) = delete;
    HandoverService &operator=(const HandoverService &) = delete;

    std::string answer_local(const std::string &request_line);
    std::string answer_peer(const std::string &request_line, const std::string &peer_subject);
    // Asks `host`'s agent to answer a ping (peer_probe.hpp): reached, port open, both
    // certificates accepted; otherwise why not.
    Status ping(const std::string &host);
    // Domains whose outgoing migration a watcher follows now.
    std::vector<std::string> watching() const;

private:
    host::AgentAnswer share(const host::AgentRequest &request, const std::string &peer_subject);
    void reap_finished();

    struct Watch {
        std::string domain;
        std::vector<host::VolumeRef> volumes;
        std::thread thread;
        std::atomic<bool> done{false};
    };

    const host::PoolStore &store_;
    HandoverConfig config_;
    host::AskHolder ask_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::list<Watch> watches_;
};

}  // namespace ilvm::agent
