// SPDX-License-Identifier: LGPL-2.1-or-later
// Which other hosts' agents this one reaches (docs/agent.md, "Peers"), for `ilvm doctor` and
// `ilvm pool-info`. The peers are the live hosts of the lvmlockd lockspaces this host has
// joined (`sanlock client status` and `sanlock client host_status -D`: sanlock's memory, no
// disk read), named as the hand-over names a lease holder; each is pinged over the peer
// channel. A ping tests what a hand-over needs: the name resolves, the port answers, and both
// sides accept the other's certificate. A peer that fails is reported, never acted upon.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "common/system.hpp"

namespace ilvm::agent {

// The names of the live hosts other than this one in the lvm_ lockspaces this host has
// joined: sorted, each once. A host whose sanlock owner name carries no host name is left
// out (logged): nothing could dial it.
Result<std::vector<std::string>> live_peer_hosts(System &sys);

struct PeerResult {
    std::string host;
    Status status;
    int64_t ms = 0;   // the ping's round trip, or the time until it failed
};

using PingPeer = std::function<Status(const std::string &host)>;
std::vector<PeerResult> probe_peers(const std::vector<std::string> &hosts, const PingPeer &ping);

// One line for ilvmd.status: "hosta ok (12 ms), hostc FAILED (cannot reach …)"; "none live"
// when no other host is in the lockspaces.
std::string describe_peers(const std::vector<PeerResult> &results);
size_t failed_peers(const std::vector<PeerResult> &results);

// Probes on its own thread (a ping may take its whole timeout): at once, then every
// `period`, each round's results handed to `done` (on that thread). Stops and joins when
// destroyed.
class PeerProber {
public:
    using Round = std::function<Result<std::vector<PeerResult>>()>;
    using Done = std::function<void(Result<std::vector<PeerResult>>)>;
    PeerProber(Round round, Done done, std::chrono::seconds period);
    ~PeerProber();
    PeerProber(const PeerProber &) = delete;
    PeerProber &operator=(const PeerProber &) = delete;

private:
    void loop();

    Round round_;
    Done done_;
    std::chrono::seconds period_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;   // last: started once the members it uses exist
};

}  // namespace ilvm::agent
