// SPDX-License-Identifier: LGPL-2.1-or-later
// A running domain's snapshot, the host's sequence (host/libvirt/live_snapshot.hpp) and its
// libvirt document (snapshot_xml.hpp): the module's steps and libvirt faked, the owner
// records real files in a private run directory. Every refusal before libvirt's switch
// leaves the volume, its records and the module untouched; libvirt's refusal undoes the
// new top and nothing else.
#include <gtest/gtest.h>

#include "fake_handover.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_owners.hpp"
#include "host/libvirt/live_snapshot.hpp"
#include "host/libvirt/snapshot_xml.hpp"

namespace ilvm::test {
namespace {

const char *kWeb1 = R"(<domain type='kvm'><name>web1</name><devices>
  <disk type='block' device='disk'><driver name='qemu' type='qcow2'/><source dev='/dev/vg_san/thin' index='1'/><target dev='vda'/></disk>
  <disk type='file' device='disk'><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vdb'/></disk>
  <disk type='file' device='cdrom'><target dev='sda'/><readonly/></disk>
</devices></domain>)";

class FakeSteps final : public host::LiveSnapshotSteps {
public:
    std::vector<std::string> calls;
    Status begin_answer = {}, commit_answer = {}, abort_answer = {};
    Result<host::LiveSnapshotTop> begin() override {
        calls.push_back("begin");
        if (!begin_answer.ok()) return begin_answer.error();
        return host::LiveSnapshotTop{"thin", "thin.s2", "/dev/vg_san/thin.s2"};
    }
    Status commit() override {
        calls.push_back("commit");
        return commit_answer;
    }
    Status abort() override {
        calls.push_back("abort");
        return abort_answer;
    }
};

class LiveSnapshot : public ::testing::Test {
protected:
    FakeClock clock;
    FakeDomains domains{clock};
    FakeSteps steps;
    TempRunDir run;
    host::PoolStore store{run.path() + "/etc", run.path() + "/run"};
    const std::vector<host::PoolBinding> pools{{"san", "vg_san"}};
    const host::LiveSnapshotRequest req{"san", "thin", "s2", {"web1", false, 1700000000}};

    void SetUp() override {
        domains.states["web1"] = {host::DomainRun::active};
        domains.xml["web1"] = kWeb1;
        ASSERT_TRUE(host::add_volume_owner(store, {"san", "thin"}, {"web1", false, 1700000000}).ok());
    }
    std::vector<host::VolumeOwner> owners(const std::string &vol) {
        auto o = host::read_volume_owners(store, {"san", vol});
        EXPECT_TRUE(o.ok());
        return o.ok() ? *o : std::vector<host::VolumeOwner>{};
    }
    void expect_untouched() {
        EXPECT_TRUE(steps.calls.empty());
        EXPECT_TRUE(domains.snapshot_xmls.empty());
        EXPECT_EQ(owners("thin"), (std::vector<host::VolumeOwner>{{"web1", false, 1700000000}}));
    }
};

TEST(LiveSnapshotXml, SwitchesOneDiskAndNamesEveryOtherOneNo) {
    auto x = host::disk_only_snapshot_xml(kWeb1, "vda", "/dev/vg_san/thin.s2", "iscsi-lvm snapshot s2 of volume san/thin");
    ASSERT_TRUE(x.ok()) << x.error().message;
    EXPECT_EQ(*x, "<domainsnapshot>\n"
                  "  <description>iscsi-lvm snapshot s2 of volume san/thin</description>\n"
                  "  <disks>\n"
                  "    <disk name='vda' snapshot='external' type='block'>\n"
                  "      <driver type='qcow2'/>\n"
                  "      <source dev='/dev/vg_san/thin.s2'/>\n"
                  "    </disk>\n"
                  "    <disk name='vdb' snapshot='no'/>\n"
                  "    <disk name='sda' snapshot='no'/>\n"
                  "  </disks>\n"
                  "</domainsnapshot>\n");
    auto missing = host::disk_only_snapshot_xml(kWeb1, "vdz", "/dev/vg_san/thin.s2", "");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::invalid_input);
}

TEST_F(LiveSnapshot, TheModuleMakesTheTopLibvirtSwitchesTheDiskTheRecordFollows) {
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_TRUE(taken.ok()) << taken.error().message;
    EXPECT_EQ(taken->target, "vda");
    EXPECT_EQ(taken->top, "thin.s2");
    EXPECT_EQ(steps.calls, (std::vector<std::string>{"begin", "commit"}));
    ASSERT_EQ(domains.snapshot_xmls.size(), 1u);
    EXPECT_NE(domains.snapshot_xmls[0].find("<disk name='vda' snapshot='external' type='block'>"), std::string::npos);
    EXPECT_NE(domains.snapshot_xmls[0].find("<source dev='/dev/vg_san/thin.s2'/>"), std::string::npos);
    // The hook's release at the domain's stop finds the domain's record on the disk it uses now.
    EXPECT_EQ(owners("thin.s2"), (std::vector<host::VolumeOwner>{{"web1", false, 1700000000}}));
    EXPECT_TRUE(owners("thin").empty());
}

TEST_F(LiveSnapshot, LibvirtsRefusalRemovesTheNewTopAndChangesNothingElse) {
    domains.snapshot_answer = system_error("internal error: unable to execute QEMU command 'blockdev-snapshot'");
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_NE(taken.error().message.find("blockdev-snapshot"), std::string::npos) << taken.error().message;
    EXPECT_NE(taken.error().hint.find("nothing was changed"), std::string::npos) << taken.error().hint;
    EXPECT_EQ(steps.calls, (std::vector<std::string>{"begin", "abort"}));
    EXPECT_EQ(owners("thin"), (std::vector<host::VolumeOwner>{{"web1", false, 1700000000}}));
    EXPECT_TRUE(owners("thin.s2").empty());
}

TEST_F(LiveSnapshot, AFailedUndoNamesTheTopLeftBehind) {
    domains.snapshot_answer = system_error("libvirt refused");
    steps.abort_answer = system_error("lvremove failed");
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_NE(taken.error().hint.find("the new top thin.s2 is left behind"), std::string::npos) << taken.error().hint;
}

TEST_F(LiveSnapshot, AFailedRecordAfterTheSwitchSaysTheDomainWritesTheNewTop) {
    steps.commit_answer = system_error("the domain writes thin.s2 now, but snapshot 's2' is not recorded: lvchange failed");
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_NE(taken.error().message.find("writes thin.s2 now"), std::string::npos) << taken.error().message;
    // The owner record follows the disk all the same: the domain's stop releases what it uses.
    EXPECT_EQ(owners("thin.s2").size(), 1u);
}

TEST_F(LiveSnapshot, ADomainThatIsNotRunningIsRefusedBeforeAnythingIsMade) {
    domains.states["web1"] = {host::DomainRun::inactive};
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, ErrorCode::conflict);
    EXPECT_NE(taken.error().message.find("which is not running here"), std::string::npos) << taken.error().message;
    expect_untouched();
}

TEST_F(LiveSnapshot, ADomainWithoutADiskOnTheVolumeIsRefused) {
    domains.xml["web1"] = R"(<domain><name>web1</name><devices>
      <disk type='block' device='disk'><source dev='/dev/vg_san/other'/><target dev='vda'/></disk></devices></domain>)";
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, ErrorCode::conflict);
    EXPECT_NE(taken.error().message.find("no disk of its live XML is on it"), std::string::npos) << taken.error().message;
    expect_untouched();
}

TEST_F(LiveSnapshot, AShareableDiskIsRefused) {
    domains.xml["web1"] = R"(<domain><name>web1</name><devices>
      <disk type='block' device='disk'><source dev='/dev/vg_san/thin'/><target dev='vda'/><shareable/></disk></devices></domain>)";
    auto taken = host::take_live_snapshot(domains, steps, store, pools, req);
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, ErrorCode::conflict);
    EXPECT_NE(taken.error().message.find("shareable or read-only disk (vda)"), std::string::npos) << taken.error().message;
    expect_untouched();
}

}  // namespace
}  // namespace ilvm::test
