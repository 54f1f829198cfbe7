// SPDX-License-Identifier: LGPL-2.1-or-later
// Storage-loss fencing (issue 19, `ilvm lease-lost`): device-mapper names, dmsetup's device
// report, and Backend::fence_pool against FakeSystem (golden argv), with the answer the module
// sends across the ABI read back by the host's parser.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <stdlib.h>

#include "backend_fixture.hpp"
#include "cli/pool_lifecycle.hpp"
#include "common/dm_name.hpp"
#include "dm/dm_argv.hpp"
#include "dm/dm_report.hpp"
#include "host/core/fence_record.hpp"
#include "host/core/fencing_wire.hpp"
#include "host/core/volume_owners.hpp"
#include "host/core/volume_users.hpp"
#include "xml/fencing_xml.hpp"

namespace ilvm::test {
namespace {

// tests/data/dm/info_two_vgs.txt is constructed in dmsetup's format (`dmsetup info -c
// --noheadings --separator : -o name,uuid,open`, one NAME:UUID:OPEN line per device), not
// recorded: see tests/data/dm/README.md for the cases it holds.
const char *const kInfoTwoVgs = "dm/info_two_vgs.txt";

// common/dm_name.hpp, which the hook's disk matching uses too.
TEST(DmName, SplitsAtTheSingleDashAndUndoublesTheOthers) {
    std::string vg, lv;
    ASSERT_TRUE(split_dm_name("vg_san-web1", vg, lv));
    EXPECT_EQ(vg, "vg_san");
    EXPECT_EQ(lv, "web1");
    ASSERT_TRUE(split_dm_name("my--vg-lv--1", vg, lv));
    EXPECT_EQ(vg, "my-vg");
    EXPECT_EQ(lv, "lv-1");
    ASSERT_TRUE(split_dm_name("a----b-c", vg, lv));
    EXPECT_EQ(vg, "a--b");
    EXPECT_EQ(lv, "c");
    for (const char *not_two : {"novg", "a-b-c", "vg_san-vm1-real", "vg_san-", "-lv", "", "vg--only"})
        EXPECT_FALSE(split_dm_name(not_two, vg, lv)) << not_two;
}

TEST(DmReport, ReadsEveryDeviceOfTheConstructedReport) {
    auto devices = dm::parse_dm_info(data_file(kInfoTwoVgs));
    ASSERT_TRUE(devices.ok()) << devices.error().message;
    ASSERT_EQ(devices->size(), 10u);
    EXPECT_EQ((*devices)[2], (dm::DmDevice{"vg_san-vm1", "LVM-KONMr0bGNikQ3PrWNyNrKt9EPRC1tqtO7xoDtuyvNMiwQxC94tBbYsUzBlo8hAIa", 1}));
    EXPECT_EQ((*devices)[5].open_count, 2u);
    EXPECT_EQ((*devices)[7], (dm::DmDevice{"vg_san-decoy", "", 0}));
}

TEST(DmReport, NoDevicesIsAnEmptyList) {
    auto devices = dm::parse_dm_info("No devices found\n");
    ASSERT_TRUE(devices.ok());
    EXPECT_TRUE(devices->empty());
    EXPECT_TRUE(dm::parse_dm_info("").ok());
}

TEST(DmReport, RefusesLinesThatAreNotNameUuidOpen) {
    for (const char *bad : {"vg_san-vm1\n", "vg_san-vm1:1\n", "vg_san-vm1:LVM-x:\n", "vg_san-vm1:LVM-x:one\n",
                            "vg_san-vm1:LVM-x:-1\n", "vg_san-vm1:LVM-x:99999999999\n"}) {
        auto devices = dm::parse_dm_info(bad);
        ASSERT_FALSE(devices.ok()) << bad;
        EXPECT_EQ(devices.error().code, ErrorCode::system) << bad;
    }
}

// Only LVM's devices (dm UUID "LVM-…") named VG-LV of exactly this VG are its volumes: not a
// VG whose name starts like it, not a layer of an LV, not a device named like one by hand.
TEST(DmReport, TheVolumesOfOneVg) {
    auto devices = dm::parse_dm_info(data_file(kInfoTwoVgs));
    ASSERT_TRUE(devices.ok());
    std::vector<std::string> san, my_vg;
    for (const auto &d : *devices) {
        if (auto lv = dm::lv_of(d, "vg_san")) san.push_back(*lv);
        if (auto lv = dm::lv_of(d, "my-vg")) my_vg.push_back(*lv);
    }
    EXPECT_EQ(san, (std::vector<std::string>{"lvmlock", "vm1", "vm2", "win-disk"}));
    EXPECT_EQ(my_vg, std::vector<std::string>{"lv-1"});
    // A name holding ':' cannot pass for one of ours: its UUID part would hold one.
    EXPECT_FALSE(dm::lv_of({"vg_san-vm1", "LVM-x:", 0}, "vg_san"));
}

TEST(DmArgv, Commands) {
    EXPECT_EQ(dm::dmsetup_info_devices().display(), "dmsetup info -c --noheadings --separator : -o name,uuid,open");
    EXPECT_EQ(dm::dmsetup_wipe_table("vg_san-win--disk").display(),
              "dmsetup wipe_table --noflush --nolockfs vg_san-win--disk");
}

using Fencing = BackendTest;

// Every device of vg_san but its lease LV gets the error table, open or not; nothing of
// vg_other, vg_san2, my-vg, the decoy, the LUKS device or vm1's layer is touched.
TEST_F(Fencing, WipesEveryDeviceOfTheVgButTheLeaseLv) {
    sys.on({"dmsetup", "info"}, ok_out(data_file(kInfoTwoVgs)));
    auto fenced = backend->fence_pool(pool);
    ASSERT_TRUE(fenced.ok()) << fenced.error().message;
    expect_golden("pool-fence", sys.transcript());
    EXPECT_TRUE(fenced->all_wiped());
    ASSERT_EQ(fenced->devices.size(), 3u);
    EXPECT_EQ(fenced->devices[0].name, "vg_san-vm1");
    EXPECT_EQ(fenced->devices[0].volume, "vm1");
    EXPECT_EQ(fenced->devices[0].open_count, 1u);
    EXPECT_EQ(fenced->devices[2].volume, "win-disk");
    EXPECT_EQ(fenced->devices[2].open_count, 2u);
}

TEST_F(Fencing, AFailedWipeFailsTheResultAndTheOthersAreStillWiped) {
    sys.on({"dmsetup", "info"}, ok_out(data_file(kInfoTwoVgs)));
    sys.on({"dmsetup", "wipe_table", "--noflush", "--nolockfs", "vg_san-vm1"},
           fail_out(1, "device-mapper: reload ioctl on vg_san-vm1  failed: No such device or address\nCommand failed.\n"));
    sys.fail_to_run({"dmsetup", "wipe_table", "--noflush", "--nolockfs", "vg_san-vm2"},
                    system_error("dmsetup was killed after 15 s"));
    auto fenced = backend->fence_pool(pool);
    ASSERT_TRUE(fenced.ok()) << fenced.error().message;
    EXPECT_FALSE(fenced->all_wiped());
    ASSERT_EQ(fenced->devices.size(), 3u);
    EXPECT_FALSE(fenced->devices[0].wiped);
    EXPECT_NE(fenced->devices[0].error.find("reload ioctl on vg_san-vm1"), std::string::npos) << fenced->devices[0].error;
    EXPECT_FALSE(fenced->devices[1].wiped);
    EXPECT_NE(fenced->devices[1].error.find("killed after 15 s"), std::string::npos) << fenced->devices[1].error;
    EXPECT_TRUE(fenced->devices[2].wiped);
    EXPECT_TRUE(sys.ran({"dmsetup", "wipe_table", "--noflush", "--nolockfs", "vg_san-win--disk"}));
}

TEST_F(Fencing, NoDeviceOfTheVgIsNothingToDo) {
    sys.on({"dmsetup", "info"}, ok_out("No devices found\n"));
    auto fenced = backend->fence_pool(pool);
    ASSERT_TRUE(fenced.ok());
    EXPECT_TRUE(fenced->devices.empty());
    EXPECT_TRUE(fenced->all_wiped());
    EXPECT_TRUE(sys.mutating_commands().empty());
}

// Without the list of devices nothing can be wiped: the call fails (lease-lost then exits
// non-zero and lvmlockctl leaves the locks, as without fencing).
TEST_F(Fencing, AFailedListingIsAnErrorAndWipesNothing) {
    sys.on({"dmsetup", "info"}, fail_out(1, "/dev/mapper/control: open failed: Permission denied\nFailure to communicate with kernel device-mapper driver.\n"));
    auto fenced = backend->fence_pool(pool);
    ASSERT_FALSE(fenced.ok());
    EXPECT_EQ(fenced.error().code, ErrorCode::system);
    EXPECT_NE(fenced.error().message.find("Permission denied"), std::string::npos) << fenced.error().message;
    EXPECT_TRUE(sys.mutating_commands().empty());
}

// What the module sends across the ABI is what the host reads.
TEST_F(Fencing, TheHostReadsTheModulesAnswer) {
    FenceResult r;
    r.devices.push_back({"vg_san-vm1", "vm1", 1, true, ""});
    r.devices.push_back({"vg_san-win--disk", "win-disk", 2, false, "dmsetup wipe_table vg_san-win--disk: it's <gone> & 'done'"});
    auto views = host::parse_fencing(format_fencing_xml(pool, r));
    ASSERT_TRUE(views.ok()) << views.error().message;
    ASSERT_EQ(views->size(), 2u);
    EXPECT_EQ((*views)[0].name, "vg_san-vm1");
    EXPECT_TRUE((*views)[0].wiped);
    EXPECT_EQ((*views)[1].volume, "win-disk");
    EXPECT_EQ((*views)[1].open_count, 2u);
    EXPECT_FALSE((*views)[1].wiped);
    EXPECT_EQ((*views)[1].error, r.devices[1].error);
    EXPECT_FALSE(host::parse_fencing("<reconcile/>").ok());
}

// --- the record lease-lost leaves (host/core/fence_record.hpp) ---------------------------

class FenceRecord : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ilvm-fenced-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        std::filesystem::create_directories(dir_ + "/run/pools");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    host::PoolStore store() const { return host::PoolStore(dir_ + "/etc/pools", dir_ + "/run/pools"); }

    static host::FenceRun run_of(int64_t time) {
        host::FenceRun run;
        run.time = time;
        run.vg = "vg_san";
        run.policy = "pause";
        run.devices = {{"vg_san-vm1", 1, true, ""}, {"vg_san-vm2", 0, false, "dmsetup wipe_table vg_san-vm2: busy\nretry"}};
        run.domains = {{"web 1", "pause", true, ""}, {"db1", "pause", false, "virsh suspend db1: error:\tno"}};
        run.problems = {"cannot read libvirt status file /run/libvirt/qemu/x.xml: Permission denied"};
        return run;
    }
    std::string dir_;
};

TEST_F(FenceRecord, OneBlockPerRunEachFieldOnItsLine) {
    EXPECT_EQ(host::format_fence_run(run_of(1796302200)),
              "time\t2026-12-03T12:50:00Z\n"
              "vg\tvg_san\n"
              "policy\tpause\n"
              "wiped\tvg_san-vm1\topen=1\n"
              "wipe-failed\tvg_san-vm2\topen=0\tdmsetup wipe_table vg_san-vm2: busy retry\n"
              "domain\tweb 1\tpause\tdone\n"
              "domain\tdb1\tpause\tfailed: virsh suspend db1: error: no\n"
              "problem\tcannot read libvirt status file /run/libvirt/qemu/x.xml: Permission denied\n"
              "\n");
}

// Two runs of one loss: the first time, every device wiped by either, the failures no later
// run made good, each action once.
TEST_F(FenceRecord, TheSummaryOfSeveralRuns) {
    const auto s = store();
    EXPECT_FALSE(host::read_fence_record(s, "san"));
    ASSERT_TRUE(host::append_fence_run(s, "san", run_of(1796302200)).ok());
    host::FenceRun second = run_of(1796302201);
    second.devices[1].wiped = true;                       // vm2 wiped this time
    second.domains = {{"db1", "pause", true, ""}};       // and db1 paused
    second.problems.clear();
    ASSERT_TRUE(host::append_fence_run(s, "san", second).ok());
    const auto r = host::read_fence_record(s, "san");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->runs, 2u);
    EXPECT_EQ(r->first_time, "2026-12-03T12:50:00Z");
    EXPECT_EQ(r->vg, "vg_san");
    EXPECT_EQ(r->wiped, (std::vector<std::string>{"vg_san-vm1", "vg_san-vm2"}));
    EXPECT_TRUE(r->not_wiped.empty());
    EXPECT_EQ(r->domains_done, (std::vector<std::string>{"web 1 (pause)", "db1 (pause)"}));
    EXPECT_TRUE(r->domains_failed.empty());
    EXPECT_EQ(r->problems, 1u);
    // One run alone: its failures stand.
    const auto one = host::summarize_fence_record(host::format_fence_run(run_of(1796302200)));
    EXPECT_EQ(one.not_wiped, std::vector<std::string>{"vg_san-vm2"});
    EXPECT_EQ(one.domains_failed, std::vector<std::string>{"db1 (pause)"});
}

// pool-rejoin's notes of what it took back count until the next lease-lost run: a new loss
// loses those locks again.
TEST_F(FenceRecord, TakenBackVolumesCountUntilTheNextLoss) {
    const auto s = store();
    ASSERT_TRUE(host::append_fence_run(s, "san", run_of(1796302200)).ok());
    ASSERT_TRUE(host::append_taken_back(s, "san", "vm1").ok());
    ASSERT_TRUE(host::append_taken_back(s, "san", "vm1").ok());
    ASSERT_TRUE(host::append_taken_back(s, "san", "vm 2").ok());
    auto r = host::read_fence_record(s, "san");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->taken_back, (std::vector<std::string>{"vm1", "vm 2"}));
    EXPECT_EQ(r->runs, 1u);
    ASSERT_TRUE(host::append_fence_run(s, "san", run_of(1796302900)).ok());
    r = host::read_fence_record(s, "san");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->taken_back.empty());
    EXPECT_EQ(r->runs, 2u);
}

// sanlock reruns the kill path about every second, so two lease-lost runs can append at the
// same moment: every block arrives whole (O_APPEND), none lost or mixed with another.
TEST_F(FenceRecord, TwoRunsAppendingAtOnceKeepEveryBlockWhole) {
    const auto s = store();
    constexpr int kPerWriter = 200;
    constexpr int64_t kFirst[] = {1796302200, 1796402200};
    std::multiset<std::string> expected;
    for (int64_t first : kFirst)
        for (int i = 0; i < kPerWriter; ++i) expected.insert(host::format_fence_run(run_of(first + i)));
    auto writer = [&s](int64_t first) {
        for (int i = 0; i < kPerWriter; ++i) EXPECT_TRUE(host::append_fence_run(s, "san", run_of(first + i)).ok());
    };
    std::thread one(writer, kFirst[0]), two(writer, kFirst[1]);
    one.join();
    two.join();
    std::ifstream in(dir_ + "/run/pools/san." + std::string(host::kFenceRecordExt));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t at = 0; at < text.size();) {
        const size_t end = text.find("\n\n", at);
        ASSERT_NE(end, std::string::npos) << "a block without its end at byte " << at;
        const auto found = expected.find(text.substr(at, end + 2 - at));
        ASSERT_NE(found, expected.end()) << "a mixed or repeated block at byte " << at;
        expected.erase(found);
        at = end + 2;
    }
    EXPECT_TRUE(expected.empty()) << expected.size() << " blocks lost";
}

// pool-start's success path (start_pool_locked) forgets it; no CLI test can start a pool
// (the LUN's by-path link never appears there), so this is where that is checked.
TEST_F(FenceRecord, AFreshStartForgetsIt) {
    const auto s = store();
    ASSERT_TRUE(host::append_fence_run(s, "san", run_of(1796302200)).ok());
    ASSERT_TRUE(host::append_fence_run(s, "other", run_of(1796302200)).ok());
    cli::forget_earlier_runs(s, "san");
    EXPECT_FALSE(host::read_fence_record(s, "san"));
    EXPECT_TRUE(host::read_fence_record(s, "other"));
}

// The domains lease-lost acts on: running (or paused, or migrating) ones with a disk on a
// volume found, and those the hook let start before libvirt wrote their status file.
TEST_F(FenceRecord, TheDomainsUsingTheVolumes) {
    const auto s = store();
    host::StatusDir status;
    auto domain = [](std::string name, host::DomainRun run, std::vector<std::pair<std::string, std::string>> disks) {
        host::LocalDomain d{std::move(name), run, {}};
        for (auto &[pool, vol] : disks) d.disks.push_back({"vda", "/dev/x/" + vol, pool, vol});
        return d;
    };
    status.domains = {domain("web1", host::DomainRun::active, {{"san", "vm1"}}),
                      domain("incoming", host::DomainRun::transitional, {{"san", "vm2"}}),
                      domain("off", host::DomainRun::inactive, {{"san", "vm1"}}),
                      domain("elsewhere", host::DomainRun::active, {{"other", "vm1"}}),
                      domain("idle-volume", host::DomainRun::active, {{"san", "vm9"}})};
    status.unreadable = {{"/run/libvirt/qemu/bad.xml", "bad", "not well-formed"}};
    ASSERT_TRUE(host::add_volume_owner(s, {"san", "vm2"}, {"starting", false, 1700000000}).ok());
    const auto users = host::domains_using(s, status, "san", {"vm1", "vm2"});
    EXPECT_EQ(users.domains, (std::set<std::string>{"incoming", "starting", "web1"}));
    ASSERT_EQ(users.problems.size(), 1u);
    EXPECT_EQ(users.problems[0], "cannot read libvirt status file /run/libvirt/qemu/bad.xml: not well-formed");
}

}  // namespace
}  // namespace ilvm::test
