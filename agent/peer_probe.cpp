// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/peer_probe.hpp"

#include <set>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_dump.hpp"

namespace ilvm::agent {

Result<std::vector<std::string>> live_peer_hosts(System &sys) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys.run(sanlock::sanlock_client_status()));
    if (!out.succeeded()) return system_error("sanlock client status failed: " + out.first_error_line());
    const sanlock::SanlockStatus st = sanlock::parse_sanlock_status(out.out);
    std::set<std::string> names;
    for (const auto &ls : st.lockspaces) {
        if (ls.name.rfind("lvm_", 0) != 0 || !ls.joined()) continue;   // not lvmlockd's, or not joined yet
        ILVM_ASSIGN_OR_RETURN(auto hosts, sys.run(sanlock::sanlock_client_host_status(ls.name)));
        if (!hosts.succeeded())
            return system_error("sanlock client host_status -s " + ls.name + " failed: " + hosts.first_error_line());
        for (const auto &h : sanlock::parse_sanlock_host_status(hosts.out)) {
            if (h.host_id == ls.host_id || h.owner_name == st.daemon_name || h.timestamp == 0 ||
                !sanlock::sanlock_host_live(h))
                continue;
            const std::string name = sanlock::host_name_from_owner(h.owner_name);
            if (name.empty()) {
                spdlog::info("lockspace {}: host_id {} registered no host name; its agent cannot be pinged", ls.name,
                             h.host_id);
                continue;
            }
            names.insert(name);
        }
    }
    return std::vector<std::string>(names.begin(), names.end());
}

std::vector<PeerResult> probe_peers(const std::vector<std::string> &hosts, const PingPeer &ping) {
    std::vector<PeerResult> out;
    for (const auto &h : hosts) {
        const auto t0 = std::chrono::steady_clock::now();
        Status st = ping(h);
        out.push_back({h, std::move(st), millis_between(t0, std::chrono::steady_clock::now())});
    }
    return out;
}

std::string describe_peers(const std::vector<PeerResult> &results) {
    if (results.empty()) return "none live";
    std::string line;
    for (const auto &r : results) {
        line += line.empty() ? "" : ", ";
        line += r.host + (r.status.ok() ? " ok (" + std::to_string(r.ms) + " ms)" : " FAILED (" + r.status.error().message + ")");
    }
    return line;
}

size_t failed_peers(const std::vector<PeerResult> &results) {
    size_t n = 0;
    for (const auto &r : results) n += !r.status.ok();
    return n;
}

PeerProber::PeerProber(Round round, Done done, std::chrono::seconds period)
    : round_(std::move(round)), done_(std::move(done)), period_(period), thread_([this] { loop(); }) {}

PeerProber::~PeerProber() {
    {
        std::lock_guard<std::mutex> g(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void PeerProber::loop() {
    std::unique_lock<std::mutex> g(mutex_);
    while (!stopping_) {
        g.unlock();
        auto results = round_();
        done_(std::move(results));
        g.lock();
        wake_.wait_for(g, period_, [this] { return stopping_; });
    }
}

}  // namespace ilvm::agent
