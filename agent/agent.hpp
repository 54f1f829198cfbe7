// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd, the host agent (docs/agent.md): one GLib main loop that follows libvirt's domain and
// pool events and udev's block device events, turns them into pool passes (reconcile + mirror
// refresh, agent/pool_pass.hpp) through the scheduler, runs the passes on one worker thread,
// and keeps systemd's watchdog fed while it is healthy. A slow timer passes over every pool
// as the safety net for anything no event announced. It also serves the live-migration
// hand-over: its hook on a local socket, the other hosts' agents over TLS, and pings those
// agents once per safety-net period so that `ilvm doctor` can say which it reaches.
//
// It keeps no state of its own: everything it acts on is read at each pass from LVM,
// lvmlockd, libvirt's status files and the pool store, so restarting it never changes a lock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <glib.h>

#include "agent/device_events.hpp"
#include "agent/event_routing.hpp"
#include "agent/handover_service.hpp"
#include "agent/job_thread.hpp"
#include "agent/libvirt_events.hpp"
#include "agent/libvirt_guest_disks.hpp"
#include "agent/local_socket.hpp"
#include "agent/pass_scheduler.hpp"
#include "agent/pass_worker.hpp"
#include "agent/peer_channel.hpp"
#include "agent/peer_probe.hpp"
#include "agent/service_notifier.hpp"
#include "agent/thin_growth.hpp"
#include "agent/volume_growth.hpp"
#include "host/core/agent_status.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::agent {

struct AgentOptions {
    std::string libvirt_uri = "qemu:///system";
    std::chrono::seconds safety_net{60};     // every pool passed over at least this often
    std::chrono::minutes stuck_pass{10};     // a pass this long stops the watchdog pings
    FollowUpPolicy follow_up;
    HandoverConfig handover;
    GrowthPolicy growth;                     // qcow2 volumes under running guests
};

// $ILVM_AGENT_SAFETY_NET_SECONDS, $ILVM_RECONCILE_GRACE_SECONDS, $ILVM_AGENT_PORT,
// $ILVM_THIN_CHUNK_MIB, $ILVM_THIN_THRESHOLD_MIB, the module's libvirt URI.
Result<AgentOptions> agent_options_from_env(const std::string &libvirt_uri);

class Agent {
public:
    Agent(host::PoolStore store, host::BackendClient client, AgentOptions options);
    ~Agent();
    Agent(const Agent &) = delete;
    Agent &operator=(const Agent &) = delete;

    // Until SIGTERM or SIGINT; the exit status.
    int run();

private:
    std::vector<StartedPool> started_pools() const;
    void request(const std::optional<Route> &route, const std::string &why);
    void request_all(const std::string &why);
    void rearm();
    void run_due();
    void pass_done(const std::string &pool, PassOutcome outcome);
    bool watchdog_tick();
    PassOutcome run_pass(const std::string &pool);
    // Rewrites ilvmd.status (host/core/agent_status.hpp) for `ilvm doctor`.
    void publish_status();
    // The hook's socket and the peer channel (handover_service.hpp); either may fail to
    // start: logged, and the agent goes on without it (a stock migration is then refused).
    void start_handover();
    void stop_handover();
    // On a local socket thread: an ilvm verb's request about a pool's mirror
    // (agent/mirror_requests.hpp), else the hook's hand-over request.
    std::string answer_local(const std::string &line);
    // The mirror refreshed for the verb, and a pass of the pool after it.
    // `moved_domain`: a running domain whose disk the verb moved to another volume, watched again.
    std::string answer_pool_changed(const std::string &pool, const std::string &moved_domain);
    // From any thread: a pass of `pool` once the verb that asked has let go of it (and the
    // qcow2 disks of `moved_domain`, if any, watched again).
    void pass_after_verb(const std::string &pool, const std::string &moved_domain);
    // A domain lifecycle event: the pools to pass over, and a domain that runs (again)
    // has its qcow2 volumes watched.
    void domain_event(const std::string &domain, int event, int detail);
    // Runs a growth's job on its thread and hands the result back to the main loop.
    void submit_growth(std::function<Result<Looked>()> job, std::function<void(Result<Looked>)> done);
    // On the prober's thread: the other hosts' agents, each pinged.
    Result<std::vector<PeerResult>> probe_round();
    // On the main loop: the round's line into ilvmd.status; a change in who fails is logged.
    void peers_probed(const Result<std::vector<PeerResult>> &round);

    host::PoolStore store_;
    host::BackendClient client_;
    AgentOptions options_;
    ServiceNotifier notifier_;
    PassScheduler scheduler_;
    GMainLoop *loop_ = nullptr;
    guint timer_source_ = 0;
    host::AgentStatus status_;   // what publish_status() writes; last_event for the STATUS line too
    bool stuck_reported_ = false;
    bool status_warned_ = false;
    PassWorker worker_;        // after what its job uses; destroyed (joined) before it
    LibvirtEvents libvirt_;
    LibvirtGuestDisks guest_disks_;   // on libvirt_'s connection
    BackendVolumes volumes_;
    ThinGrowth growth_;
    JobThread growth_jobs_;           // after what its jobs use; joined before them
    DeviceEvents devices_;
    std::unique_ptr<HandoverService> handover_;
    std::unique_ptr<LocalServer> local_;    // stopped before handover_, which it calls
    std::unique_ptr<PeerServer> peers_;     // likewise
    std::unique_ptr<PeerProber> prober_;    // pings through handover_: stopped first
    std::string unreachable_;               // the peers the last round could not reach, as logged
};

}  // namespace ilvm::agent
