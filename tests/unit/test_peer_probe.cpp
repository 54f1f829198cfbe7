// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's probe of the other hosts' agents (agent/peer_probe.hpp): who the peers are, from
// sanlock's client output recorded in the lab (hosta and hostb in lockspace lvm_vg), and the
// line ilvm doctor and pool-info show.
#include <gtest/gtest.h>

#include <atomic>

#include "agent/handover_service.hpp"
#include "agent/peer_probe.hpp"
#include "host/core/agent_wire.hpp"
#include "fake_system.hpp"

namespace ilvm::test {
namespace {

using namespace std::chrono_literals;

class PeerProbe : public ::testing::Test {
protected:
    FakeSystem fake;
    void SetUp() override { fake.on({"sanlock", "client", "status"}, ok_out(recorded("sanlock-client-status-D.txt"))); }
    void host_status(std::string text) { fake.on({"sanlock", "client", "host_status", "-s", "lvm_vg"}, ok_out(std::move(text))); }
};

TEST_F(PeerProbe, ThePeersAreTheOtherLiveHostsOfOurLockspacesByName) {
    host_status(recorded("sanlock-client-host_status.txt"));
    auto peers = agent::live_peer_hosts(fake);
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    EXPECT_EQ(*peers, std::vector<std::string>{"hostb"});   // hosta is this host
}

TEST_F(PeerProbe, AHostWhoseTimestampStoppedIsNoPeer) {
    // hostb's delta lease has not moved for 200 s (8 io_timeouts are 80 s): it failed.
    std::string text = recorded("sanlock-client-host_status.txt");
    const std::string b = "timestamp 160\n    last_check=177\n    last_live=177";
    ASSERT_NE(text.find(b), std::string::npos);
    text.replace(text.find(b), b.size(), "timestamp 160\n    last_check=377\n    last_live=177");
    host_status(text);
    auto peers = agent::live_peer_hosts(fake);
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    EXPECT_TRUE(peers->empty());
}

TEST_F(PeerProbe, SanlockNotAnsweringIsAnError) {
    FakeSystem down;
    down.on({"sanlock", "client", "status"}, fail_out(1, "connect error -111"));
    auto peers = agent::live_peer_hosts(down);
    ASSERT_FALSE(peers.ok());
    EXPECT_NE(peers.error().message.find("connect error -111"), std::string::npos);
}

TEST_F(PeerProbe, ALockspaceWhoseHostsSanlockCannotListIsAnError) {
    fake.on({"sanlock", "client", "host_status", "-s", "lvm_vg"}, fail_out(1, "host_status error -2"));
    auto peers = agent::live_peer_hosts(fake);
    ASSERT_FALSE(peers.ok());
    EXPECT_EQ(peers.error().message, "sanlock client host_status -s lvm_vg failed: host_status error -2");
}

TEST(PeerProbeLine, SaysEachPeerAndWhyOneFailed) {
    auto results = agent::probe_peers({"hosta", "hostc"}, [](const std::string &host) -> Status {
        if (host == "hostc") return system_error("cannot reach the agent at hostc:16520: Connection refused");
        return {};
    });
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(agent::failed_peers(results), 1u);
    const std::string line = agent::describe_peers(results);
    EXPECT_EQ(line.rfind("hosta ok (", 0), 0u) << line;
    EXPECT_NE(line.find(" ms), hostc FAILED (cannot reach the agent at hostc:16520: Connection refused)"), std::string::npos)
        << line;
    EXPECT_EQ(agent::describe_peers({}), "none live");
}

// Both ends of a ping in the hand-over service: the request it sends (through `ask`, the
// peer channel in production) and its answer to another agent's ping.
TEST(PeerPing, IsAnsweredByTheServiceAndAskedThroughItsChannel) {
    const host::PoolStore store{"/nonexistent/etc", "/nonexistent/run"};
    agent::HandoverConfig config;
    config.self_name = "hosta";
    std::vector<std::pair<std::string, host::AgentRequest>> asked;
    agent::HandoverService service(store, config, [&](const std::string &holder, const host::AgentRequest &r)
                                                      -> Result<host::AgentAnswer> {
        asked.emplace_back(holder, r);
        if (holder == "hostc") return system_error("cannot reach the agent at hostc:16520: Connection refused");
        return host::AgentAnswer{Status(), {}, "ilvmd on " + holder};
    });
    EXPECT_TRUE(service.ping("hostb").ok());
    auto refused = service.ping("hostc");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "cannot reach the agent at hostc:16520: Connection refused");
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0].second.op, host::AgentOp::ping);
    EXPECT_EQ(asked[0].second.from, "hosta");

    auto answer = host::decode_answer(service.answer_peer(R"({"op":"ping","from":"hostb"})", "CN=hostb"));
    ASSERT_TRUE(answer.ok());
    EXPECT_TRUE(answer->status.ok());
    EXPECT_EQ(answer->detail, "ilvmd on hosta");
    // A ping goes to other agents only: the hook's socket takes incoming-migration requests.
    auto local = host::decode_answer(service.answer_local(R"({"op":"ping","from":"hostb"})"));
    ASSERT_TRUE(local.ok());
    EXPECT_FALSE(local->status.ok());
}

TEST(PeerProber, ProbesAtOnceAndStopsWhenDestroyed) {
    std::atomic<int> rounds{0}, reported{0};
    {
        agent::PeerProber p([&]() -> Result<std::vector<agent::PeerResult>> { ++rounds; return std::vector<agent::PeerResult>{}; }, [&](auto) { ++reported; }, 3600s);
        for (int i = 0; i < 500 && reported == 0; ++i) std::this_thread::sleep_for(10ms);
    }   // destroyed while waiting for the next round: returns at once
    EXPECT_EQ(rounds, 1);
    EXPECT_EQ(reported, 1);
}

}  // namespace
}  // namespace ilvm::test
