// SPDX-License-Identifier: LGPL-2.1-or-later
// The hand-over's messages (host/core/agent_wire.hpp): what goes out comes back the same, and
// what a peer (authenticated, not trusted) may send that is refused.
#include <gtest/gtest.h>

#include "host/core/agent_wire.hpp"

namespace ilvm::test {
namespace {

using host::AgentAnswer;
using host::AgentOp;
using host::AgentRequest;

TEST(AgentWire, ARequestRoundTrips) {
    AgentRequest r{AgentOp::incoming, "web 1 (prod)", {{"san", "vm1"}, {"san", "vm-2"}}, {}, {}};
    const std::string line = host::encode_request(r);
    EXPECT_EQ(line, R"j({"op":"incoming","domain":"web 1 (prod)","volumes":[{"pool":"san","volume":"vm1"},)j"
                    R"j({"pool":"san","volume":"vm-2"}]})j");
    auto back = host::decode_request(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->op, AgentOp::incoming);
    EXPECT_EQ(back->domain, r.domain);
    EXPECT_EQ(back->volumes, r.volumes);

    auto share = host::decode_request(host::encode_request({AgentOp::share, "web1", {}, "hostb", {}}));
    ASSERT_TRUE(share.ok());
    EXPECT_EQ(share->op, AgentOp::share);
    EXPECT_EQ(share->from, "hostb");
}

TEST(AgentWire, APingNamesNoDomain) {
    const std::string line = host::encode_request({AgentOp::ping, "", {}, "hostb", {}});
    EXPECT_EQ(line, R"({"op":"ping","from":"hostb"})");
    auto back = host::decode_request(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->op, AgentOp::ping);
    EXPECT_EQ(back->from, "hostb");
}

TEST(AgentWire, APoolChangeNamesOnlyItsPool) {
    AgentRequest r{AgentOp::pool_changed, "", {}, "", "san"};
    const std::string line = host::encode_request(r);
    EXPECT_EQ(line, R"({"op":"pool-changed","pool":"san"})");
    auto back = host::decode_request(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->op, AgentOp::pool_changed);
    EXPECT_EQ(back->pool, "san");
    EXPECT_TRUE(back->domain.empty());
    EXPECT_TRUE(back->moved_domain.empty());
}

TEST(AgentWire, APoolChangeMayNameADomainWhoseDiskMoved) {
    AgentRequest r{AgentOp::pool_changed, "", {}, "", "san", "web1"};
    const std::string line = host::encode_request(r);
    EXPECT_EQ(line, R"({"op":"pool-changed","pool":"san","moved-domain":"web1"})");
    auto back = host::decode_request(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->moved_domain, "web1");
}

TEST(AgentWire, AMirrorStateAnswerCarriesTheStateAndItsDetail) {
    auto asked = host::decode_request(host::encode_request({AgentOp::mirror_state, "", {}, "", "san"}));
    ASSERT_TRUE(asked.ok()) << asked.error().message;
    EXPECT_EQ(asked->op, AgentOp::mirror_state);
    EXPECT_EQ(asked->pool, "san");

    AgentAnswer a{{}, {}, {}};
    a.mirror_state = "foreign";
    a.mirror_detail = "a libvirt pool of type dir";
    const std::string line = host::encode_answer(a);
    EXPECT_EQ(line, R"({"ok":true,"volumes":[],"mirror":{"state":"foreign","detail":"a libvirt pool of type dir"}})");
    auto back = host::decode_answer(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->mirror_state, "foreign");
    EXPECT_EQ(back->mirror_detail, "a libvirt pool of type dir");
    EXPECT_FALSE(host::decode_answer(R"({"ok":true,"mirror":"active"})").ok());
}

TEST(AgentWire, AnAnswerRoundTripsWithItsErrorClassAndHint) {
    const std::string ok = host::encode_answer({{}, {{"san", "vm1"}}, "shared"});
    EXPECT_EQ(ok, R"({"ok":true,"volumes":[{"pool":"san","volume":"vm1"}],"detail":"shared"})");
    auto a = host::decode_answer(ok);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->status.ok());
    EXPECT_EQ(a->volumes.size(), 1u);

    auto refused = host::decode_answer(host::encode_answer({conflict("not migrating", "migrate it"), {}, {}}));
    ASSERT_TRUE(refused.ok());
    ASSERT_FALSE(refused->status.ok());
    EXPECT_EQ(refused->status.error().code, ErrorCode::conflict);
    EXPECT_EQ(refused->status.error().message, "not migrating");
    EXPECT_EQ(refused->status.error().hint, "migrate it");
}

TEST(AgentWire, RefusesWhatAPeerShouldNotSend) {
    for (const char *bad : {
             "",
             "not json",
             "[1,2]",
             R"({"domain":"web1"})",                                     // no op
             R"({"op":"delete","domain":"web1"})",                       // unknown op
             R"({"op":"share"})",                                        // no domain
             R"({"op":"share","domain":"../etc"})",                      // not a domain name
             R"({"op":"share","domain":7})",                             // not a string
             R"({"op":"incoming","domain":"web1","volumes":{}})",        // not an array
             R"({"op":"incoming","domain":"web1","volumes":[{"pool":"san"}]})",
             R"({"op":"incoming","domain":"web1","volumes":[{"pool":"san","volume":"../../dev/sda"}]})",
             R"({"op":"incoming","domain":"web1","volumes":[{"pool":"-x","volume":"vm1"}]})",
             R"({"op":"pool-changed"})",                                 // no pool
             R"({"op":"pool-changed","pool":"../san"})",                 // not a pool name
             R"({"op":"pool-changed","pool":"san","moved-domain":"../x"})",   // not a domain name
         }) {
        auto r = host::decode_request(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << bad;
        }
    }
    std::string many = R"({"op":"incoming","domain":"web1","volumes":[)";
    for (int i = 0; i < 5000; ++i) many += std::string(i ? "," : "") + R"({"pool":"san","volume":"v)" + std::to_string(i) + "\"}";
    many += "]}";
    EXPECT_FALSE(host::decode_request(many).ok());
    for (const char *bad : {R"({"volumes":[]})", R"({"ok":"yes"})", R"({"ok":false})"})
        EXPECT_FALSE(host::decode_answer(bad).ok()) << bad;
}

}  // namespace
}  // namespace ilvm::test
