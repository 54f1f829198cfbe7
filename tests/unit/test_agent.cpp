// SPDX-License-Identifier: LGPL-2.1-or-later
// The host agent's decisions (agent/): which pools an event concerns, when a pool's pass is
// due, when a pass asks to be followed up, and the worker that runs passes one at a time.
// The daemon itself runs against the recording fake in tests/cli/test_agent.py.
#include <gtest/gtest.h>

#include <libvirt/libvirt.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/event_routing.hpp"
#include "agent/pass_scheduler.hpp"
#include "agent/pass_worker.hpp"
#include "host/core/agent_status.hpp"

namespace ilvm::test {
namespace {

using namespace std::chrono_literals;
using agent::PassOutcome;
using agent::PassScheduler;
using agent::Route;
using agent::StartedPool;

const std::vector<StartedPool> kTwoPools{{"san", "vg_san"}, {"lab", "vg_lab"}};

std::vector<std::string> pools_of(const std::optional<Route> &r) { return r ? r->pools : std::vector<std::string>{}; }

TEST(AgentScheduler, EarliestRequestStandsAndDuePoolsComeOutSorted) {
    PassScheduler s;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(s.next_due());
    s.request("san", t0 + 10s);
    s.request("san", t0 + 1s);    // earlier: replaces
    s.request("san", t0 + 20s);   // later: the earlier one stands
    s.request("lab", t0 + 5s);
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(*s.next_due(), t0 + 1s);
    EXPECT_EQ(s.take_due(t0), std::vector<std::string>{});
    EXPECT_EQ(s.take_due(t0 + 1s), std::vector<std::string>{"san"});
    EXPECT_FALSE(s.pending("san"));
    EXPECT_EQ(*s.next_due(), t0 + 5s);
    s.request("san", t0 + 2s);
    EXPECT_EQ(s.take_due(t0 + 6s), (std::vector<std::string>{"lab", "san"}));
    EXPECT_FALSE(s.next_due());
}

TEST(AgentScheduler, FollowUpsByOutcome) {
    agent::FollowUpPolicy p;
    p.grace = 10s;
    EXPECT_FALSE(agent::follow_up_after({PassOutcome::Kind::done, 0}, p));
    EXPECT_EQ(*agent::follow_up_after({PassOutcome::Kind::done, 2}, p), 11000ms);   // after the grace
    EXPECT_EQ(*agent::follow_up_after({PassOutcome::Kind::busy, 0}, p), p.busy_retry);
    EXPECT_EQ(*agent::follow_up_after({PassOutcome::Kind::failed, 0}, p), p.failure_retry);
    EXPECT_FALSE(agent::follow_up_after({PassOutcome::Kind::not_started, 3}, p));
    // A change to retry (a failed lvchange, a volume another host still shares) comes back
    // after the back-off, or with an idle volume's follow-up when that is sooner.
    EXPECT_EQ(*agent::follow_up_after({PassOutcome::Kind::done, 0, 1}, p), p.failure_retry);
    p.grace = 2s;
    EXPECT_EQ(*agent::follow_up_after({PassOutcome::Kind::done, 1, 1}, p), 3000ms);
}

TEST(AgentRouting, DomainEventsThatMoveVolumesConcernEveryStartedPool) {
    for (int e : {VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_SHUTDOWN,
                  VIR_DOMAIN_EVENT_CRASHED}) {
        auto r = agent::route_domain_event(e, 0, kTwoPools);
        EXPECT_EQ(pools_of(r), (std::vector<std::string>{"san", "lab"})) << e;
        EXPECT_EQ(r->delay, agent::kDomainEventDelay);
    }
    for (int e : {VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_PMSUSPENDED})
        EXPECT_FALSE(agent::route_domain_event(e, 0, kTwoPools)) << e;
    EXPECT_FALSE(agent::route_domain_event(VIR_DOMAIN_EVENT_STARTED, 0, {}));   // no pool started here
}

TEST(AgentRouting, OnlyOurMirrorsStartingOrBeingDefinedConcernAPool) {
    EXPECT_EQ(pools_of(agent::route_pool_event("lab", VIR_STORAGE_POOL_EVENT_STARTED, kTwoPools)),
              std::vector<std::string>{"lab"});
    EXPECT_EQ(pools_of(agent::route_pool_event("san", VIR_STORAGE_POOL_EVENT_DEFINED, kTwoPools)),
              std::vector<std::string>{"san"});
    EXPECT_FALSE(agent::route_pool_event("default", VIR_STORAGE_POOL_EVENT_STARTED, kTwoPools));
    // Every pass refreshes the mirror: following refreshes would answer each pass with another.
    EXPECT_FALSE(agent::route_pool_event("san", VIR_STORAGE_POOL_EVENT_STOPPED, kTwoPools));
    EXPECT_FALSE(agent::route_pool_event("san", VIR_STORAGE_POOL_EVENT_UNDEFINED, kTwoPools));
}

TEST(AgentRouting, DeviceEventsOfAStartedPoolsVolumes) {
    for (const char *action : {"add", "change", "remove"}) {
        auto r = agent::route_device_event(action, "vg_lab", "fromvirsh", kTwoPools);
        EXPECT_EQ(pools_of(r), std::vector<std::string>{"lab"}) << action;
        EXPECT_EQ(r->delay, agent::kDeviceEventDelay);
    }
    EXPECT_FALSE(agent::route_device_event("add", "vg_san", "lvmlock", kTwoPools));    // lvmlockd's lease LV
    EXPECT_FALSE(agent::route_device_event("add", "vg_other", "vm1", kTwoPools));      // not ours
    EXPECT_FALSE(agent::route_device_event("add", "", "", kTwoPools));                 // not an LV
    EXPECT_FALSE(agent::route_device_event("bind", "vg_san", "vm1", kTwoPools));
}

TEST(AgentWorker, RunsPassesOneAtATimeInOrderWithoutDuplicates) {
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::vector<std::string> ran, done;
    std::atomic<int> running{0}, most{0};
    {
        agent::PassWorker w(
            [&](const std::string &pool) {
                most = std::max(most.load(), ++running);
                std::unique_lock<std::mutex> g(m);
                ran.push_back(pool);
                cv.wait(g, [&] { return release; });
                --running;
                return PassOutcome{PassOutcome::Kind::done, pool == "b" ? 1u : 0u};
            },
            [&](const std::string &pool, PassOutcome o) {
                std::lock_guard<std::mutex> g(m);
                done.push_back(pool + ":" + std::to_string(o.idle));
                cv.notify_all();
            });
        w.submit("a");
        // "a" is running (blocked); "b" queued once although asked twice.
        for (int i = 0; i < 200 && !w.busy_since(); ++i) std::this_thread::sleep_for(5ms);
        ASSERT_TRUE(w.busy_since());
        w.submit("b");
        w.submit("b");
        EXPECT_EQ(w.queued(), 1u);
        {
            std::unique_lock<std::mutex> g(m);
            release = true;
            cv.notify_all();
            cv.wait_for(g, 5s, [&] { return done.size() == 2; });
        }
        EXPECT_EQ(done, (std::vector<std::string>{"a:0", "b:1"}));
        for (int i = 0; i < 200 && w.busy_since(); ++i) std::this_thread::sleep_for(5ms);
        EXPECT_FALSE(w.busy_since());
    }
    EXPECT_EQ(ran, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(most.load(), 1);
}

TEST(AgentWorker, StoppingFinishesThePassUnderWayAndDropsTheQueue) {
    std::atomic<bool> started{false};
    std::vector<std::string> done;
    std::mutex m;
    {
        agent::PassWorker w(
            [&](const std::string &) {
                started = true;
                std::this_thread::sleep_for(100ms);
                return PassOutcome{};
            },
            [&](const std::string &pool, PassOutcome) {
                std::lock_guard<std::mutex> g(m);
                done.push_back(pool);
            });
        w.submit("a");
        while (!started) std::this_thread::sleep_for(1ms);
        w.submit("b");
    }   // destructor: "a" finishes, "b" never starts
    EXPECT_EQ(done, std::vector<std::string>{"a"});
}

TEST(AgentStatusFile, RoundTripsAndRefusesWhatLacksPidOrTime) {
    host::AgentStatus s{1234, 100, 160, 7, 60, false, "cannot connect\nto libvirt", "udev add vg_san/vm1", 150,
                        "off: cannot load the certificate /etc/pki/libvirt/servercert.pem",
                        "hosta ok (12 ms), hostc FAILED (cannot reach the agent at hostc:16520)", 1, 155};
    auto back = host::parse_agent_status(host::format_agent_status(s));
    ASSERT_TRUE(back);
    s.libvirt_error = "cannot connect to libvirt";   // one line in the file
    EXPECT_EQ(*back, s);
    EXPECT_FALSE(host::parse_agent_status("updated=5\n"));
    EXPECT_FALSE(host::parse_agent_status("pid=x\nupdated=5\n"));
}

TEST(AgentStatusFile, TheDoctorsJudgement) {
    host::AgentStatus s{1234, 100, 1000, 7, 60, true, "", "domain web1 event 2/0", 990, "", "", 0, 0};
    EXPECT_EQ(host::judge_agent(std::nullopt, false, 1000).severity, "fail");
    EXPECT_EQ(host::judge_agent(s, false, 1000).severity, "fail");
    auto ok = host::judge_agent(s, true, 1005);
    EXPECT_EQ(ok.severity, "ok");
    EXPECT_EQ(ok.what, "ilvmd (pid 1234) running, 7 passes, last 5 s ago, last event 15 s ago: domain web1 event 2/0");
    s.handover = "ready (port 16520)";
    EXPECT_EQ(host::judge_agent(s, true, 1005).what, ok.what + "; hand-over ready (port 16520)");
    s.handover = "off: cannot load the certificate /etc/pki/libvirt/servercert.pem";
    EXPECT_EQ(host::judge_agent(s, true, 1005).severity, "ok");   // works; only stock migrations are refused
    EXPECT_EQ(host::judge_agent(s, true, 1000 + 180).severity, "ok");     // three safety nets: still fine
    EXPECT_EQ(host::judge_agent(s, true, 1000 + 181).severity, "warn");   // beyond: a pass may hang
    s.libvirt_connected = false;
    s.libvirt_error = "no socket";
    EXPECT_EQ(host::judge_agent(s, true, 1005).severity, "warn");
}

TEST(AgentStatusFile, APeerItCannotReachIsAWarningWithItsFix) {
    host::AgentStatus s{1234, 100, 1000, 7, 60, true, "", "", 0, "ready (port 16520)", "hosta ok (12 ms)", 0, 990};
    auto ok = host::judge_agent(s, true, 1005);
    EXPECT_EQ(ok.severity, "ok");
    EXPECT_EQ(ok.what, "ilvmd (pid 1234) running, 7 passes, last 5 s ago; hand-over ready (port 16520); peers 15 s ago: "
                       "hosta ok (12 ms)");
    s.peers = "hosta ok (12 ms), hostc FAILED (cannot reach the agent at hostc:16520: Connection refused)";
    s.peers_failed = 1;
    auto warn = host::judge_agent(s, true, 1005);
    EXPECT_EQ(warn.severity, "warn");
    EXPECT_NE(warn.what.find("hostc FAILED (cannot reach the agent at hostc:16520: Connection refused)"), std::string::npos);
    EXPECT_NE(warn.fix.find("systemctl start ilvmd"), std::string::npos);
}

}  // namespace
}  // namespace ilvm::test
