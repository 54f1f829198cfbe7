// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's hand-over on the migration destination (host/handover/share_in.hpp): which hosts are
// asked (the holders named by the leases, each once), and every way the answer refuses.
#include <gtest/gtest.h>

#include "fake_handover.hpp"
#include "host/handover/share_in.hpp"

namespace ilvm::test {
namespace {

using host::AgentAnswer;
using host::AgentOp;
using host::AgentRequest;
using host::VolumeRef;

const VolumeRef kVm1{"san", "vm1"}, kVm2{"san", "vm2"}, kVm3{"san", "vm3"};

class ShareIn : public ::testing::Test {
protected:
    FakeClock clock;
    FakeVolumeLocks locks{clock};
    std::vector<std::pair<std::string, AgentRequest>> asked;
    // What each holder answers; a holder without an entry shares what it was asked for.
    std::map<std::string, Result<AgentAnswer>> answers;
    AgentRequest incoming{AgentOp::incoming, "web1", {kVm1, kVm2, kVm3}, {}, {}};

    host::AskHolder ask() {
        return [this](const std::string &holder, const AgentRequest &r) -> Result<AgentAnswer> {
            asked.emplace_back(holder, r);
            if (auto it = answers.find(holder); it != answers.end()) return it->second;
            return AgentAnswer{{}, {kVm1, kVm2, kVm3}, "shared"};
        };
    }
    Result<std::string> run() { return host::share_in(incoming, locks, ask(), "hostb"); }
    std::vector<std::string> mutations() const {
        std::vector<std::string> out;
        for (const auto &c : locks.calls)
            if (c.rfind("inspect", 0) != 0) out.push_back(c);
        return out;
    }
};

TEST_F(ShareIn, AsksTheHolderOfTheExclusiveVolumesOnce) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    locks.vols[kVm2] = FakeVol::held(1, "hosta", "shared");   // shared already (ilvm migrate ran)
    locks.vols[kVm3] = FakeVol::held(1, "hosta", "exclusive");
    auto r = run();
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].first, "hosta");
    EXPECT_EQ(asked[0].second.op, AgentOp::share);
    EXPECT_EQ(asked[0].second.domain, "web1");
    EXPECT_EQ(asked[0].second.from, "hostb");
    EXPECT_EQ(*r, "hosta shared san/vm1, san/vm3");
    EXPECT_TRUE(mutations().empty());   // the hook activates; the agent only asks
}

TEST_F(ShareIn, VolumesNobodyHoldsOrActiveHereNeedNobody) {
    locks.vols[kVm1] = FakeVol::held(0, "", "");
    locks.vols[kVm2] = FakeVol::here("shared");
    locks.vols[kVm3] = FakeVol::held(0, "", "");
    auto r = run();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(asked.empty());
}

TEST_F(ShareIn, EachHolderIsAskedForItsOwnVolumes) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    locks.vols[kVm2] = FakeVol::held(3, "hostc", "exclusive");
    locks.vols[kVm3] = FakeVol::held(0, "", "");
    auto r = run();
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0].first, "hosta");
    EXPECT_EQ(asked[1].first, "hostc");
}

TEST_F(ShareIn, AnUnreachableHolderRefusesAndSaysWhatToStartWhere) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    locks.vols[kVm2] = FakeVol::held(0, "", "");
    locks.vols[kVm3] = FakeVol::held(0, "", "");
    answers.insert_or_assign("hosta", system_error("cannot reach the agent at hosta:16520: Connection refused"));
    auto r = run();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "cannot ask hosta, which holds san/vm1, to share it for the migration of web1: cannot "
                                 "reach the agent at hosta:16520: Connection refused");
    EXPECT_NE(r.error().hint.find("on hosta: systemctl start ilvmd"), std::string::npos) << r.error().hint;
}

TEST_F(ShareIn, AHoldersRefusalKeepsItsClassAndHint) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    locks.vols[kVm2] = FakeVol::held(0, "", "");
    locks.vols[kVm3] = FakeVol::held(0, "", "");
    answers.insert_or_assign(
        "hosta", AgentAnswer{conflict("domain web1 runs on this host with no job, not an outgoing migration", "h"), {}, {}});
    auto r = run();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(r.error().message, "hosta refused to share san/vm1 for the migration of web1: domain web1 runs on this host "
                                 "with no job, not an outgoing migration");
    EXPECT_EQ(r.error().hint, "h");
}

TEST_F(ShareIn, AnAnswerThatLeavesOutAVolumeRefuses) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    locks.vols[kVm2] = FakeVol::held(0, "", "");
    locks.vols[kVm3] = FakeVol::held(1, "hosta", "exclusive");
    answers.insert_or_assign("hosta", AgentAnswer{{}, {kVm1}, "shared"});
    auto r = run();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_NE(r.error().message.find("but not san/vm3"), std::string::npos) << r.error().message;
}

// Fail closed: a lock that cannot be read is not "free".
TEST_F(ShareIn, ALockThatCannotBeReadRefusesWithoutAskingAnyone) {
    locks.vols[kVm1] = FakeVol::held(1, "hosta", "exclusive");
    auto r = run();   // vm2 unknown to the fake: inspect fails
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_NE(r.error().message.find("cannot read the lock of san/vm2"), std::string::npos) << r.error().message;
    EXPECT_TRUE(asked.empty());
}

TEST_F(ShareIn, AHolderWithoutANameCannotBeAsked) {
    locks.vols[kVm1] = FakeVol::held(4, "", "exclusive");
    locks.vols[kVm2] = FakeVol::held(0, "", "");
    locks.vols[kVm3] = FakeVol::held(0, "", "");
    auto r = run();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("held exclusively by host 4, whose name its lease does not say"), std::string::npos);
    EXPECT_TRUE(asked.empty());
}

}  // namespace
}  // namespace ilvm::test
