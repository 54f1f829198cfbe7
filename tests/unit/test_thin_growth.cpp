// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's growth of qcow2 volumes under running guests (agent/thin_growth.hpp), against a
// fake libvirt and a fake backend: which disks are watched, where the threshold goes, when a
// volume grows and by how much, when a paused domain is resumed, and what a full pool does.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <tuple>

#include <libvirt/libvirt.h>

#include "agent/thin_growth.hpp"
#include "log_capture.hpp"

namespace ilvm::test {
namespace {

using agent::GrowthPolicy;
using agent::ThinGrowth;
using agent::VolumeSpace;

constexpr uint64_t MiB = 1ULL << 20;
constexpr uint64_t GiB = 1ULL << 30;

// web1: vda a qcow2 volume of ours, vdb a raw one, vdc a local qcow2 file, vdd a qcow2
// volume of ours attached read-only (a template: never written, never grown).
const char *kWeb1 = R"(<domain type='qemu'><name>web1</name><devices>
  <disk type='block' device='disk'><driver name='qemu' type='qcow2' error_policy='stop'/>
    <source dev='/dev/vg_san/thin' index='1'/><target dev='vda' bus='virtio'/></disk>
  <disk type='block' device='disk'><driver name='qemu' type='raw'/>
    <source dev='/dev/vg_san/vm1' index='2'/><target dev='vdb' bus='virtio'/></disk>
  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
    <source file='/var/lib/libvirt/images/local.qcow2' index='3'/><target dev='vdc' bus='virtio'/></disk>
  <disk type='block' device='disk'><driver name='qemu' type='qcow2'/>
    <source dev='/dev/vg_san/template' index='4'/><target dev='vdd' bus='virtio'/><readonly/></disk>
</devices></domain>)";

struct FakeGuests : agent::GuestDisks {
    std::map<std::string, std::string> xml{{"web1", kWeb1}};
    std::map<std::string, bool> paused;
    std::map<std::string, uint64_t> written;   // "web1/vda"
    std::vector<std::tuple<std::string, std::string, uint64_t>> thresholds;
    std::vector<std::string> resumed;

    Result<std::vector<std::string>> running_domains() override {
        std::vector<std::string> out;
        for (const auto &[name, x] : xml) out.push_back(name);
        return out;
    }
    Result<std::string> live_xml(const std::string &d) override {
        if (d == "broken") return system_error("the live XML of domain broken: internal error");
        if (!xml.count(d)) return not_found("domain " + d + " not found");
        return xml[d];
    }
    Status set_threshold(const std::string &d, const std::string &node, uint64_t bytes) override {
        thresholds.emplace_back(d, node, bytes);
        return {};
    }
    Result<uint64_t> highest_write(const std::string &d, const std::string &target) override {
        return written[d + "/" + target];
    }
    Result<bool> paused_by_io_error(const std::string &d) override { return paused[d]; }
    Status resume(const std::string &d) override {
        resumed.push_back(d);
        paused[d] = false;
        return {};
    }
};

struct FakeVolumes : agent::Volumes {
    std::map<std::string, VolumeSpace> space_of{{"san/thin", {true, 2560 * MiB, false}}, {"san/vm1", {false, 10 * GiB, false}}};
    std::optional<Error> refuse;   // the backend's answer to a growth
    // The source's agent shares the volume for a hand-over while the growth runs: the
    // refused growth finds it shared when it looks again.
    bool shared_while_growing = false;
    std::vector<std::pair<std::string, uint64_t>> grown;

    Result<VolumeSpace> space(const std::string &pool, const std::string &volume) override {
        auto it = space_of.find(pool + "/" + volume);
        if (it == space_of.end()) return not_found("volume '" + volume + "' not found in pool " + pool);
        return it->second;
    }
    Result<uint64_t> grow(const std::string &pool, const std::string &volume, uint64_t target) override {
        grown.emplace_back(pool + "/" + volume, target);
        if (shared_while_growing) space_of[pool + "/" + volume].shared = true;
        if (refuse) return *refuse;
        space_of[pool + "/" + volume].allocation = target;
        return target;
    }
};

class ThinGrowthTest : public ::testing::Test {
protected:
    FakeGuests guests;
    FakeVolumes volumes;
    // Jobs held back until run_jobs(), to see what arrives while a growth is under way.
    bool hold = false;
    std::vector<std::pair<std::function<Result<agent::Looked>()>, std::function<void(Result<agent::Looked>)>>> held;
    // What the agent would run on its main loop later.
    std::vector<std::pair<std::chrono::seconds, std::function<void()>>> later;
    ThinGrowth growth{guests, volumes, [] { return std::vector<host::PoolBinding>{{"san", "vg_san"}}; }, GrowthPolicy{},
                      [this](auto job, auto done) {
                          if (hold) held.emplace_back(std::move(job), std::move(done));
                          else done(job());
                      },
                      [this](std::chrono::seconds delay, std::function<void()> what) {
                          later.emplace_back(delay, std::move(what));
                      }};
    void run_later() {
        auto due = std::move(later);
        later.clear();
        for (auto &[delay, what] : due) what();
    }

    void run_jobs() {
        auto jobs = std::move(held);
        held.clear();
        for (auto &[job, done] : jobs) done(job());
    }
    using Thresholds = std::vector<std::tuple<std::string, std::string, uint64_t>>;
};

TEST(GrowthPolicy, ThresholdAFifthOfAChunkBeforeTheEndAndGrowthByAChunk) {
    GrowthPolicy p;
    EXPECT_EQ(agent::write_threshold(2560 * MiB, p), 2048 * MiB);
    EXPECT_EQ(agent::write_threshold(256 * MiB, p), 1u);   // a tiny LV still reports its first write
    EXPECT_EQ(agent::growth_target(2560 * MiB, p), 5 * GiB);
    EXPECT_EQ(agent::growth_target(UINT64_MAX - 1, p), UINT64_MAX);
}

TEST(GrowthPolicy, FromTheEnvironmentWithinBounds) {
    ::setenv("ILVM_THIN_CHUNK_MIB", "1024", 1);
    ::setenv("ILVM_THIN_THRESHOLD_MIB", "256", 1);
    auto p = agent::growth_policy_from_env();
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->chunk, 1 * GiB);
    EXPECT_EQ(p->free_left, 256 * MiB);
    ::setenv("ILVM_THIN_THRESHOLD_MIB", "600", 1);   // more than half a chunk: growth would never catch up
    EXPECT_FALSE(agent::growth_policy_from_env().ok());
    ::unsetenv("ILVM_THIN_THRESHOLD_MIB");
    ::setenv("ILVM_THIN_CHUNK_MIB", "256", 1);   // the lab's: a fifth of it, but at least 64 MiB
    auto small = agent::growth_policy_from_env();
    ASSERT_TRUE(small.ok()) << small.error().message;
    EXPECT_EQ(small->free_left, 64 * MiB);
    ::setenv("ILVM_THIN_CHUNK_MIB", "64", 1);   // the lab's nested guests write slowly: half of it
    auto tiny = agent::growth_policy_from_env();
    ASSERT_TRUE(tiny.ok()) << tiny.error().message;
    EXPECT_EQ(tiny->chunk, 64 * MiB);
    EXPECT_EQ(tiny->free_left, 32 * MiB);
    ::setenv("ILVM_THIN_CHUNK_MIB", "63", 1);
    EXPECT_FALSE(agent::growth_policy_from_env().ok());
    ::unsetenv("ILVM_THIN_CHUNK_MIB");
    ::unsetenv("ILVM_THIN_THRESHOLD_MIB");
    auto d = agent::growth_policy_from_env();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->chunk, 2560 * MiB);
    EXPECT_EQ(d->free_left, 512 * MiB);
}

TEST(GrowthPolicy, DiskNodesAsLibvirtNamesThem) {
    std::string target;
    int index = 0;
    ASSERT_TRUE(agent::split_disk_node("vda[12]", target, index));
    EXPECT_EQ(target, "vda");
    EXPECT_EQ(index, 12);
    ASSERT_TRUE(agent::split_disk_node("sdb", target, index));
    EXPECT_EQ(target, "sdb");
    EXPECT_EQ(index, -1);
    for (const char *bad : {"", "[1]", "vda[]", "vda[x]", "vda[1", "vda[12345678]"})
        EXPECT_FALSE(agent::split_disk_node(bad, target, index)) << bad;
}

TEST_F(ThinGrowthTest, ARunningDomainGetsAThresholdOnItsWritableQcow2VolumesOnly) {
    guests.written["web1/vda"] = 100 * MiB;
    growth.domain_running("web1");
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 2048 * MiB}}));
    EXPECT_TRUE(volumes.grown.empty());
}

TEST_F(ThinGrowthTest, AThresholdGrowsTheVolumeByAChunkAndSetsTheNext) {
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 4 * MiB);
    EXPECT_EQ(volumes.grown, (std::vector<std::pair<std::string, uint64_t>>{{"san/thin", 5 * GiB}}));
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 5 * GiB - 512 * MiB}}));
    EXPECT_TRUE(guests.resumed.empty());
}

// libvirt reports the top image's threshold under "vda" too.
TEST_F(ThinGrowthTest, TheDiskNameWithoutIndexIsTheSameDisk) {
    growth.threshold_reached("web1", "vda", 2048 * MiB, 0);
    EXPECT_EQ(volumes.grown.size(), 1u);
}

// The same crossing reported twice ("vda" and "vda[1]"), or an event older than the last
// growth: the LV is already past it, so it is not grown again; the threshold is set anew.
TEST_F(ThinGrowthTest, AThresholdOlderThanTheLastGrowthGrowsNothing) {
    volumes.space_of["san/thin"].allocation = 5 * GiB;
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 0);
    EXPECT_TRUE(volumes.grown.empty());
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 5 * GiB - 512 * MiB}}));
}

TEST_F(ThinGrowthTest, ThresholdsOnOtherDisksAreNotOurs) {
    for (const char *node : {"vdb[2]", "vdc[3]", "vdd[4]", "vde", "vda[7]"}) growth.threshold_reached("web1", node, GiB, 0);
    EXPECT_TRUE(volumes.grown.empty());
    EXPECT_TRUE(guests.thresholds.empty());
}

// QEMU paused the guest on ENOSPC (the hook allows only error policies that pause): grown,
// then resumed.
TEST_F(ThinGrowthTest, AGuestPausedOnAFullVolumeIsResumedOnceItGrew) {
    guests.paused["web1"] = true;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "enospc");
    EXPECT_EQ(volumes.grown, (std::vector<std::pair<std::string, uint64_t>>{{"san/thin", 5 * GiB}}));
    EXPECT_EQ(guests.resumed, std::vector<std::string>{"web1"});
    EXPECT_EQ(guests.thresholds.size(), 1u);
}

TEST_F(ThinGrowthTest, AnotherIoErrorIsLoggedAndNotGrownOrResumed) {
    guests.paused["web1"] = true;
    LogCapture log;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "eio");
    EXPECT_TRUE(volumes.grown.empty());
    EXPECT_TRUE(guests.resumed.empty());
    EXPECT_TRUE(log.contains("I/O error 'eio' on volume san/thin: not a full volume")) << log.text();
}

// A full pool: said once (not at every safety net), the domain left paused; grown and
// resumed by the first look after space was freed.
TEST_F(ThinGrowthTest, AFullPoolLeavesTheGuestPausedSaysSoOnceAndRecovers) {
    guests.paused["web1"] = true;
    volumes.refuse = conflict("pool san has no free space left to grow volume 'thin' (2.50 GiB of at most 100.02 GiB)");
    LogCapture log;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "enospc");
    // Looked at again 10 s later (one retry planned however many refusals), and by the safety net.
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].first, ThinGrowth::kPausedRetry);
    growth.all_running();
    EXPECT_EQ(later.size(), 1u);
    run_later();
    EXPECT_EQ(later.size(), 1u);
    EXPECT_EQ(volumes.grown.size(), 3u);
    EXPECT_TRUE(guests.resumed.empty());
    EXPECT_TRUE(guests.thresholds.empty());
    const std::string text = log.text();
    size_t said = 0;
    for (auto at = text.find("no free space left"); at != std::string::npos; at = text.find("no free space left", at + 1)) ++said;
    EXPECT_EQ(said, 1u) << text;
    EXPECT_TRUE(log.contains("the domain stays paused until it can be")) << text;

    volumes.refuse.reset();
    run_later();
    EXPECT_EQ(guests.resumed, std::vector<std::string>{"web1"});
    EXPECT_TRUE(later.empty());
    EXPECT_TRUE(log.contains("volume san/thin can be grown again")) << log.text();
}

// Resumed by someone else while the volume grew (virsh resume): not resumed again, and a
// domain paused for another reason is not ours to resume either.
TEST_F(ThinGrowthTest, OnlyADomainStillPausedByTheIoErrorIsResumed) {
    hold = true;
    guests.paused["web1"] = true;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "enospc");
    guests.paused["web1"] = false;
    run_jobs();
    EXPECT_EQ(volumes.grown.size(), 1u);
    EXPECT_TRUE(guests.resumed.empty());
}

// A threshold and an ENOSPC while the first growth runs: one growth, and the pause it
// reported is resumed when that growth ends.
TEST_F(ThinGrowthTest, EventsDuringAGrowthJoinIt) {
    hold = true;
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 0);
    guests.paused["web1"] = true;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "enospc");
    growth.threshold_reached("web1", "vda", 2048 * MiB, 0);
    EXPECT_EQ(held.size(), 1u);
    EXPECT_EQ(growth.in_flight(), 1u);
    run_jobs();
    EXPECT_EQ(volumes.grown.size(), 1u);
    EXPECT_EQ(guests.resumed, std::vector<std::string>{"web1"});
    EXPECT_EQ(growth.in_flight(), 0u);
}

// The guest outran a look that found no need to grow (it ran before the burst): the ENOSPC
// that arrives meanwhile makes a second look, which grows, and only then the resume.
TEST_F(ThinGrowthTest, AnEnospcDuringALookThatFoundNoNeedGrowsBeforeResuming) {
    hold = true;
    guests.written["web1/vda"] = 100 * MiB;
    growth.domain_running("web1");
    guests.paused["web1"] = true;
    growth.io_error("web1", "/dev/vg_san/thin", VIR_DOMAIN_EVENT_IO_ERROR_PAUSE, "enospc");
    run_jobs();   // the first look: no growth needed for 100 MiB; a second look is submitted
    EXPECT_TRUE(volumes.grown.empty());
    EXPECT_TRUE(guests.resumed.empty());
    run_jobs();
    EXPECT_EQ(volumes.grown, (std::vector<std::pair<std::string, uint64_t>>{{"san/thin", 5 * GiB}}));
    EXPECT_EQ(guests.resumed, std::vector<std::string>{"web1"});
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 5 * GiB - 512 * MiB}}));
}

// After a restart of the agent (or a missed event): a guest already past its threshold is
// grown, one paused on a full volume is grown and resumed, the others get thresholds.
TEST_F(ThinGrowthTest, TheFirstLookCatchesUpOnWhatWasMissed) {
    std::string web2 = kWeb1;
    web2.replace(web2.find("web1"), 4, "web2");
    web2.replace(web2.find("/dev/vg_san/thin'"), 16, "/dev/vg_san/thin2");
    guests.xml["web2"] = web2;
    guests.xml["web3"] = "<domain type='qemu'><name>web3</name><devices/></domain>";
    volumes.space_of["san/thin2"] = {true, 2560 * MiB, false};
    guests.written["web1/vda"] = 2100 * MiB;
    guests.paused["web2"] = true;
    guests.paused["web3"] = true;   // paused, but on nothing of ours: not ours to resume
    growth.all_running();
    EXPECT_EQ(volumes.grown, (std::vector<std::pair<std::string, uint64_t>>{{"san/thin", 5 * GiB}, {"san/thin2", 5 * GiB}}));
    EXPECT_EQ(guests.resumed, std::vector<std::string>{"web2"});
    EXPECT_EQ(guests.thresholds.size(), 2u);
}

// A refused growth of a running guest (a threshold, not a pause) waits for the safety net.
TEST_F(ThinGrowthTest, ARefusedGrowthOfARunningGuestIsNotRetriedAtOnce) {
    volumes.refuse = conflict("volume 'thin' of pool san is active shared (a migration hand-over): LVM extends it only "
                              "under an exclusive lock");
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 0);
    EXPECT_EQ(volumes.grown.size(), 1u);
    EXPECT_TRUE(later.empty());
    EXPECT_TRUE(guests.thresholds.empty());
}

// Both hosts hold the volume shared while a migration hands it over: LVM would refuse the
// growth. No threshold meanwhile (it would fire at every write), a look every 5 s, and the
// growth once the finisher has made it exclusive.
TEST_F(ThinGrowthTest, ASharedVolumeGrowsOnceTheHandOverMakesItExclusive) {
    volumes.space_of["san/thin"].shared = true;
    LogCapture log;
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 0);
    growth.threshold_reached("web1", "vda", 2048 * MiB, 0);
    EXPECT_TRUE(volumes.grown.empty());
    EXPECT_TRUE(guests.thresholds.empty());
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].first, ThinGrowth::kHandoverRetry);
    EXPECT_TRUE(log.contains("shared while a migration hands it over")) << log.text();
    guests.written["web1/vda"] = 2100 * MiB;
    volumes.space_of["san/thin"].shared = false;
    run_later();
    EXPECT_EQ(volumes.grown, (std::vector<std::pair<std::string, uint64_t>>{{"san/thin", 5 * GiB}}));
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 5 * GiB - 512 * MiB}}));
    EXPECT_TRUE(later.empty());
}

// The lab's case (thin-migrate): the threshold fired on the source just before the agents
// shared the volume for the hand-over, and the growth met the destination's shared lock.
// That is the same wait for the switch-over, not a failure to log as one.
TEST_F(ThinGrowthTest, AGrowthThatMeetsAHandOverWaitsForItInsteadOfFailing) {
    volumes.refuse = conflict("cannot grow volume 'thin' of pool san: it is active on host 2 (hostb)");
    volumes.shared_while_growing = true;
    LogCapture log;
    growth.threshold_reached("web1", "vda[1]", 2048 * MiB, 0);
    EXPECT_EQ(volumes.grown.size(), 1u);
    EXPECT_TRUE(guests.thresholds.empty());
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].first, ThinGrowth::kHandoverRetry);
    EXPECT_TRUE(log.contains("shared while a migration hands it over")) << log.text();
    EXPECT_FALSE(log.contains("not grown")) << log.text();
}

// Shared but not yet needing to grow (a domain that just arrived): its threshold is set.
TEST_F(ThinGrowthTest, ASharedVolumeBelowItsThresholdIsWatched) {
    volumes.space_of["san/thin"].shared = true;
    growth.domain_running("web1");
    EXPECT_EQ(guests.thresholds, (Thresholds{{"web1", "vda[1]", 2048 * MiB}}));
    EXPECT_TRUE(later.empty());
}

// The source of a migration: its domain is gone when the look comes; nothing is said.
TEST_F(ThinGrowthTest, ADomainThatLeftIsNotWatched) {
    LogCapture log;
    growth.domain_running("migrated-away");
    EXPECT_TRUE(guests.thresholds.empty());
    EXPECT_FALSE(log.contains("not watched")) << log.text();
}

TEST_F(ThinGrowthTest, ADomainThatCannotBeReadIsSkippedWithAWarning) {
    LogCapture log;
    growth.domain_running("broken");
    EXPECT_TRUE(guests.thresholds.empty());
    EXPECT_TRUE(log.contains("domain broken: its qcow2 volumes are not watched for growth")) << log.text();
}

}  // namespace
}  // namespace ilvm::test
