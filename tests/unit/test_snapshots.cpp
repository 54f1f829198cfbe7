// SPDX-License-Identifier: LGPL-2.1-or-later
// Snapshots of qcow2 volumes as chains of LVs (backend/snapshots.cpp, snapshot_chain.hpp,
// lvm/snapshot_tags.hpp): golden argv of create, revert and delete; every refusal runs
// nothing that changes anything, or (under the volume's lock) only that lock's lvchange
// -aey and its release; every change plans again from the listing read under the lock.
#include "backend_fixture.hpp"
#include "host/core/snapshot_wire.hpp"
#include "lvm/snapshot_tags.hpp"
#include "qemu/qemu_img.hpp"
#include "xml/snapshot_xml.hpp"

namespace ilvm::test {
namespace {

constexpr uint64_t GiB = 1ULL << 30;

TEST(SnapshotTags, NamesAreCheckedAgainstLvmsRules) {
    EXPECT_TRUE(lvm::validate_snapshot_name("vg_san", "thin", "before-upgrade.2").ok());
    EXPECT_EQ(lvm::layer_lv_name("thin", "s1"), "snap_thin_s1");
    for (const char *bad : {"", "-x", "a b", "a/b", "ä", "x_rimage"}) {
        auto s = lvm::validate_snapshot_name("vg_san", "thin", bad);
        ASSERT_FALSE(s.ok()) << bad;
        EXPECT_EQ(s.error().code, ErrorCode::invalid_input) << bad;
    }
    EXPECT_FALSE(lvm::validate_snapshot_name("vg_san", "thin", std::string(65, 's')).ok());
    // snap_<volume>_<snapshot> within lvrename's 128 - strlen(vg) - 3 (119 for vg_san), and
    // <vg>-<layer> ('-' doubled) within device-mapper's 127.
    const std::string vol(60, 'v');
    EXPECT_TRUE(lvm::validate_snapshot_name("vg_san", vol, std::string(53, 's')).ok());
    auto too_long = lvm::validate_snapshot_name("vg_san", vol, std::string(54, 's'));
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message.find("too long for volume"), std::string::npos) << too_long.error().message;
    // Within lvrename's limit (96 + 14 + 3), beyond device-mapper's once its '-' are doubled.
    std::string dashed;
    for (int i = 0; i < 40; ++i) dashed += "v-";
    EXPECT_FALSE(lvm::validate_snapshot_name("vg-with-dashes", dashed, std::string(10, 's')).ok());
    EXPECT_TRUE(lvm::validate_snapshot_name("vg-with-dashes", dashed.substr(0, 20), std::string(10, 's')).ok());
}

TEST(SnapshotTags, ADescriptionSurvivesLvmsTagAlphabet) {
    const std::string text = "before the upgrade: v2 (50% done) é";
    const std::string tag = lvm::encode_description(text);
    for (char c : tag) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || std::string("+.-=_").find(c) != std::string::npos) << tag;
    EXPECT_EQ(lvm::decode_description(tag), text);
    EXPECT_EQ(lvm::decode_description("a=4"), "a=4");   // a cut escape is kept as it is
}

TEST(SnapshotQemuImg, OverlayAndRebaseAreData) {
    EXPECT_EQ(qemu::create_overlay("/dev/vg_san/thin", "snap_thin_s1", 100 * GiB).display(),
              "qemu-img create -q -u -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off -b snap_thin_s1 -F qcow2 "
              "/dev/vg_san/thin 107374182400");
    EXPECT_EQ(qemu::rebase_qcow2("/dev/vg_san/thin", "snap_thin_s1").display(),
              "qemu-img rebase -q -f qcow2 -b snap_thin_s1 -F qcow2 /dev/vg_san/thin");
    // Onto nothing: no -F (QEMU refuses a backing format without a backing file).
    EXPECT_EQ(qemu::rebase_qcow2("/dev/vg_san/thin", "").display(), "qemu-img rebase -q -f qcow2 -b '' /dev/vg_san/thin");
    EXPECT_EQ(qemu::rebase_qcow2("/dev/vg_san/thin", "").argv[6], "");
}

TEST(SnapshotLvmArgv, TheNewTopIsCreatedLocked) {
    EXPECT_EQ(lvm::lvcreate_locked("vg_san", "thin", 2684354560, {"ilvm_qcow2"}).display(),
              "lvcreate --yes --activate ey -K --zero n --wipesignatures n --setactivationskip y --setautoactivation n "
              "--addtag ilvm_incomplete --addtag ilvm_qcow2 --name thin --size 2684354560b --config 'backup{retain_min=4 "
              "retain_days=0}' vg_san");
    EXPECT_EQ(lvm::lvrename("vg_san", "thin", "snap_thin_s1").display(),
              "lvrename --config 'backup{retain_min=4 retain_days=0}' vg_san/thin vg_san/snap_thin_s1");
}

class Snapshots : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        started_pool();
        sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    }
    // `s` failed with `code`, its message saying `fragment`.
    static void expect_refusal(const Status &s, ErrorCode code, const std::string &fragment) {
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().code, code);
        EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
    }
    // Only the volume's lock was taken and given back: nothing else changed.
    void expect_only_the_lock(const std::string &lv = "thin") {
        const std::vector<std::string> want{"lvchange -aey -K vg_san/" + lv, "lvchange -an vg_san/" + lv};
        EXPECT_EQ(sys.mutating_commands(), want) << sys.transcript();
    }
};

TEST_F(Snapshots, CreateRenamesTheTopAndMakesANewOneLocked) {
    lvs({"lvs_thin_space.json", "lvs_thin_space.json"});
    auto s = backend->create_snapshot(pool, "thin", "s1", "before the upgrade");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_golden("vol-snapshot-create", sys.transcript());
    expect_in_order({"lvchange -aey -K vg_san/thin", "lvs", "lvrename --config 'backup{retain_min=4 retain_days=0}' vg_san/thin vg_san/snap_thin_s1",
                     "lvchange --permission r --addtag ilvm_layer_of:thin --addtag ilvm_snapshot:s1 --addtag ilvm_created:1767225600 "
                     "--addtag ilvm_description:before+the+upgrade",
                     "lvcreate --yes --activate ey -K", "--addtag ilvm_backing:snap_thin_s1 --name thin",
                     "qemu-img create -q -u -f qcow2", "-b snap_thin_s1 -F qcow2 /dev/vg_san/thin 107374182400",
                     "lvchange --deltag ilvm_incomplete", "lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s1"});
}

TEST_F(Snapshots, ARawVolumeIsRefused) {
    lvs({"lvs_vm1_space.json"});
    auto s = backend->create_snapshot(pool, "vm1", "s1", "");
    expect_refusal(s, ErrorCode::invalid_input, "is raw: snapshots are qcow2 chains");
    EXPECT_NE(s.error().hint.find("qcow2"), std::string::npos);
    expect_no_mutation();
}

TEST_F(Snapshots, AVolumeActiveHereIsRefusedStopTheDomainFirst) {
    lvs({"lvs_snap_one_open_here.json"});
    for (auto s : {backend->create_snapshot(pool, "thin", "s2", ""), backend->revert_snapshot(pool, "thin", "s1"),
                   backend->delete_snapshot(pool, "thin", "s1")}) {
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().code, ErrorCode::conflict);
        EXPECT_NE(s.error().message.find("it is open on this host"), std::string::npos) << s.error().message;
        EXPECT_NE(s.error().hint.find("stop the domain first"), std::string::npos) << s.error().hint;
    }
    expect_no_mutation();
}

TEST_F(Snapshots, AVolumeAnotherHostHoldsIsRefusedNamingIt) {
    lvs({"lvs_thin_space.json"});
    sys.on({"lvchange", "-aey"}, fail_out(5, "  LV locked by other host: vg_san/thin\n"));
    auto s = backend->create_snapshot(pool, "thin", "s1", "");
    expect_refusal(s, ErrorCode::conflict, "cannot snapshot volume 'thin' of pool san");
    expect_not_run({"lvrename"});
    expect_not_run({"lvcreate"});
}

TEST_F(Snapshots, AVolumeAnotherHostIsSnapshottingRightNowIsRefused) {
    // Its LV renamed to the new layer, its new top not created yet: the name names no LV.
    lvs({"lvs_thin_space.json"});
    sys.on({"lvchange", "-aey"}, fail_out(5, "  Failed to find logical volume \"vg_san/thin\"\n"));
    auto s = backend->create_snapshot(pool, "thin", "s1", "");
    expect_refusal(s, ErrorCode::conflict, "another host is taking a snapshot of it");
    expect_not_run({"lvrename"});
}

TEST_F(Snapshots, AVolumeBetweenItsRenameAndItsNewTopIsAConflictNotAMissingVolume) {
    lvs({"lvs_snap_renamed_no_top.json"});
    auto s = backend->create_snapshot(pool, "thin", "s2", "");
    expect_refusal(s, ErrorCode::conflict, "has snapshot layers but no LV of its own");
    expect_no_mutation();
}

TEST_F(Snapshots, ATakenNameIsRefusedBeforeTheLock) {
    lvs({"lvs_snap_one.json"});
    auto s = backend->create_snapshot(pool, "thin", "s1", "");
    expect_refusal(s, ErrorCode::conflict, "already has a snapshot 's1'");
    expect_no_mutation();
}

// The bug found in the lab: the plan made before the lock is stale once another host's
// snapshot came in between. Each of these fails against a backend that plans from the
// first listing.
TEST_F(Snapshots, UnderTheLockANameAnotherHostTookMeanwhileIsRefused) {
    lvs({"lvs_thin_space.json", "lvs_snap_one.json"});
    auto s = backend->create_snapshot(pool, "thin", "s1", "");
    expect_refusal(s, ErrorCode::conflict, "already has a snapshot 's1'");
    expect_only_the_lock();
}

TEST_F(Snapshots, UnderTheLockATopAnotherHostIsStillMakingIsRefused) {
    lvs({"lvs_thin_space.json", "lvs_snap_top_incomplete.json"});
    auto s = backend->create_snapshot(pool, "thin", "s2", "");
    expect_refusal(s, ErrorCode::conflict, "is being made (tagged incomplete)");
    expect_only_the_lock();
}

TEST_F(Snapshots, DeletePlansAgainUnderTheLock) {
    // Listed before the lock: s1 <- thin. Under it: another host took s2 meanwhile, so the
    // child of s1 is now s2, not the top.
    lvs({"lvs_snap_one.json", "lvs_snap_two.json"});
    auto s = backend->delete_snapshot(pool, "thin", "s1");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_in_order({"qemu-img rebase -q -f qcow2 -b '' /dev/vg_san/snap_thin_s2"});
    expect_not_run({"qemu-img", "rebase", "-q", "-f", "qcow2", "-b", "", "/dev/vg_san/thin"});
    expect_in_order({"lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s1"});
}

TEST_F(Snapshots, UnderTheLockASnapshotDeletedMeanwhileIsNotFound) {
    lvs({"lvs_snap_one.json", "lvs_thin_space.json"});
    auto s = backend->revert_snapshot(pool, "thin", "s1");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::not_found);
    expect_only_the_lock();
}

TEST_F(Snapshots, RevertWritesAnEmptyTopOnTheLayer) {
    lvs({"lvs_snap_two.json", "lvs_snap_two.json"});
    auto s = backend->revert_snapshot(pool, "thin", "s1");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_golden("vol-snapshot-revert", sys.transcript());
    expect_in_order({"lvchange -aey -K vg_san/thin",
                     "qemu-img create -q -u -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off -b snap_thin_s1 -F "
                     "qcow2 /dev/vg_san/thin 107374182400",
                     "lvchange --deltag ilvm_backing:snap_thin_s2 --addtag ilvm_backing:snap_thin_s1",
                     "lvchange -an vg_san/thin"});
    expect_not_run({"lvremove"});
}

TEST_F(Snapshots, DeleteTheMiddleOneRebasesItsChildOntoItsParent) {
    lvs({"lvs_snap_three.json", "lvs_snap_three.json"});
    auto s = backend->delete_snapshot(pool, "thin", "s2");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_golden("vol-snapshot-delete-middle", sys.transcript());
    // The chain the child reads today shared (s2, s1); the child exclusive and writable,
    // grown by the layer's size, rebased, retagged and read-only again; then s2 goes.
    expect_in_order({"lvchange -aey -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s2", "lvchange -asy -K vg_san/snap_thin_s1",
                     "lvchange -aey -K vg_san/snap_thin_s3", "lvchange --permission rw", "vg_san/snap_thin_s3",
                     "lvextend --size 5368709120b", "vg_san/snap_thin_s3",
                     "qemu-img rebase -q -f qcow2 -b snap_thin_s1 -F qcow2 /dev/vg_san/snap_thin_s3",
                     "lvchange --permission r --deltag ilvm_backing:snap_thin_s2 --addtag ilvm_backing:snap_thin_s1",
                     "vg_san/snap_thin_s3", "lvchange -an vg_san/snap_thin_s2",
                     "lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s2"});
    expect_not_run({"qemu-img", "rebase", "-q", "-f", "qcow2", "-b", "snap_thin_s1", "-F", "qcow2", "/dev/vg_san/thin"});
    expect_not_run({"qemu-img", "commit"});
}

TEST_F(Snapshots, DeleteTheOldestRebasesOntoNothing) {
    lvs({"lvs_snap_one.json", "lvs_snap_one.json"});
    auto s = backend->delete_snapshot(pool, "thin", "s1");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_golden("vol-snapshot-delete-oldest", sys.transcript());
    expect_in_order({"lvchange -aey -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s1", "lvextend --size 5368709120b",
                     "vg_san/thin", "qemu-img rebase -q -f qcow2 -b '' /dev/vg_san/thin",
                     "lvchange --deltag ilvm_backing:snap_thin_s1 --config", "vg_san/thin", "lvchange -an vg_san/snap_thin_s1",
                     "lvremove", "vg_san/snap_thin_s1", "lvchange -an vg_san/thin"});
}

// Proxmox's bug of a commit target sized from the image's old size: s1 was taken at 1 GiB,
// the volume then grew to 100 GiB (vol-resize). Deleting s1 copies up to 1 GiB into the top,
// whose LV (1 GiB, full) must grow by that much: its ceiling is what a 100 GiB image can
// need, not what the 1 GiB snapshot could (which would stop the growth at ~1 GiB and fill
// the LV in the middle of the rebase).
TEST_F(Snapshots, DeleteSizesTheChildFromItsOwnCapacityAfterAResize) {
    lvs({"lvs_snap_one_resized.json", "lvs_snap_one_resized.json"});
    sys.on(qemu::measure_qcow2(1073741824).argv, ok_out(data_file("qemu/measure_qcow2_1g.json")));
    sys.on(qemu::measure_qcow2(107374182400).argv, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    auto s = backend->delete_snapshot(pool, "thin", "s1");
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_in_order({"qemu-img measure --output=json -O qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off --size "
                     "107374182400",
                     "lvextend --size 2147483648b", "vg_san/thin", "qemu-img rebase -q -f qcow2 -b '' /dev/vg_san/thin"});
    expect_not_run(qemu::measure_qcow2(1073741824).argv);
}

TEST_F(Snapshots, DeleteALeafAfterARevertRebasesNothing) {
    // s1 <- s2 and s1 <- thin (reverted to s1): s2 has no child.
    lvs({"lvs_snap_tree.json", "lvs_snap_tree.json"});
    auto s = backend->delete_snapshot(pool, "thin", "s2");
    ASSERT_TRUE(s.ok()) << s.error().message;
    const std::vector<std::string> want{"lvchange -aey -K vg_san/thin",
                                        "lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s2",
                                        "lvchange -an vg_san/thin"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(Snapshots, AFailedRebaseLeavesTheLayerAndReleasesEverything) {
    lvs({"lvs_snap_three.json", "lvs_snap_three.json"});
    sys.on({"qemu-img", "rebase"}, fail_out(1, "qemu-img: Could not open 'snap_thin_s1': Permission denied\n"));
    auto s = backend->delete_snapshot(pool, "thin", "s2");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::system);
    expect_not_run({"lvremove"});
    // The child read-only again, then everything released in reverse order.
    expect_in_order({"qemu-img rebase", "lvchange --permission r --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s3",
                     "lvchange -an vg_san/snap_thin_s3", "lvchange -an vg_san/snap_thin_s1", "lvchange -an vg_san/snap_thin_s2",
                     "lvchange -an vg_san/thin"});
}

TEST_F(Snapshots, AFailedOverlayPutsTheVolumeBack) {
    lvs({"lvs_thin_space.json", "lvs_thin_space.json"});
    sys.on({"qemu-img", "create"}, fail_out(1, "qemu-img: /dev/vg_san/thin: Could not create image\n"));
    auto s = backend->create_snapshot(pool, "thin", "s1", "");
    ASSERT_FALSE(s.ok());
    expect_in_order({"qemu-img create", "lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/thin",
                     "lvrename --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s1 vg_san/thin",
                     "lvchange --permission rw --deltag ilvm_layer_of:thin", "lvchange -an vg_san/thin"});
}

TEST_F(Snapshots, AFailedLayerChangeOnlyRenamesBack) {
    // lvchange commits --permission and the tags together: its failure changed neither.
    lvs({"lvs_thin_space.json", "lvs_thin_space.json"});
    sys.on({"lvchange", "--permission", "r"}, fail_out(5, "  Cannot change permissions of an LV in use\n"));
    ASSERT_FALSE(backend->create_snapshot(pool, "thin", "s1", "").ok());
    const std::vector<std::string> want{
        "lvchange -aey -K vg_san/thin",
        "lvrename --config 'backup{retain_min=4 retain_days=0}' vg_san/thin vg_san/snap_thin_s1",
        "lvchange --permission r --addtag ilvm_layer_of:thin --addtag ilvm_snapshot:s1 --addtag ilvm_created:1767225600 "
        "--config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s1",
        "lvrename --config 'backup{retain_min=4 retain_days=0}' vg_san/snap_thin_s1 vg_san/thin",
        "lvchange -an vg_san/thin"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

// -- a running domain's snapshot (backend/live_snapshots.cpp) -------------------------------

TEST_F(Snapshots, ARunningVolumeGetsANewTopBesideItAndNothingIsRenamed) {
    lvs({"lvs_snap_one_open_here.json"});
    auto top = backend->begin_live_snapshot(pool, "thin", "s2", "while it runs");
    ASSERT_TRUE(top.ok()) << top.error().message;
    EXPECT_EQ(*top, "thin.s2");
    expect_golden("vol-snapshot-live-begin", sys.transcript());
    // The volume's LV stays where libvirt's XML says it is; the new top stays active (QEMU
    // opens it next); nothing is tagged yet: the snapshot is recorded after libvirt's switch.
    for (const auto &c : sys.mutating_commands()) {
        EXPECT_EQ(c.find("lvrename"), std::string::npos) << c;
        EXPECT_EQ(c.find("lvchange"), std::string::npos) << c;
    }
    expect_in_order({"lvcreate --yes --activate ey -K", "--addtag ilvm_backing:thin --name thin.s2",
                     "qemu-img create -q -u -f qcow2", "-b thin -F qcow2 /dev/vg_san/thin.s2 107374182400"});
}

TEST_F(Snapshots, ARunningSnapshotIsRecordedAfterLibvirtsSwitch) {
    lvs({"lvs_snap_live_begun.json"});
    auto s = backend->commit_live_snapshot(pool, "thin", "s2", "while it runs");
    ASSERT_TRUE(s.ok()) << s.error().message;
    const std::vector<std::string> want{
        "lvchange --permission r --addtag ilvm_layer_of:thin.s2 --addtag ilvm_snapshot:s2 --addtag ilvm_created:1767225600 "
        "--addtag ilvm_description:while+it+runs --config 'backup{retain_min=4 retain_days=0}' vg_san/thin",
        "lvchange --deltag ilvm_layer_of:thin --addtag ilvm_layer_of:thin.s2 --config 'backup{retain_min=4 retain_days=0}' "
        "vg_san/snap_thin_s1",
        "lvchange --deltag ilvm_incomplete --config 'backup{retain_min=4 retain_days=0}' vg_san/thin.s2"};
    EXPECT_EQ(sys.mutating_commands(), want) << sys.transcript();
}

TEST_F(Snapshots, ARunningSnapshotThatFailsHalfwayNamesWhatIsLeftToRecord) {
    lvs({"lvs_snap_live_begun.json"});
    sys.on({"lvchange", "--deltag", "ilvm_layer_of:thin"}, fail_out(5, "  VG vg_san lock failed\n"));
    auto s = backend->commit_live_snapshot(pool, "thin", "s2", "");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("the domain writes thin.s2 now, but snapshot 's2' is not recorded"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().hint.find("vg_san/snap_thin_s1; lvchange --deltag ilvm_incomplete vg_san/thin.s2"), std::string::npos)
        << s.error().hint;
    EXPECT_EQ(sys.mutating_commands().size(), 2u) << sys.transcript();
}

TEST_F(Snapshots, ARunningSnapshotLibvirtRefusedRemovesOnlyTheNewTop) {
    lvs({"lvs_snap_live_begun.json"});
    ASSERT_TRUE(backend->abort_live_snapshot(pool, "thin", "s2").ok());
    const std::vector<std::string> want{"lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/thin.s2"};
    EXPECT_EQ(sys.mutating_commands(), want) << sys.transcript();
}

TEST_F(Snapshots, ARunningSnapshotOfAVolumeNoDomainHasOpenIsRefused) {
    lvs({"lvs_snap_one.json"});
    auto top = backend->begin_live_snapshot(pool, "thin", "s2", "");
    ASSERT_FALSE(top.ok());
    EXPECT_EQ(top.error().code, ErrorCode::conflict);
    EXPECT_NE(top.error().message.find("is not open exclusively on this host"), std::string::npos) << top.error().message;
    expect_no_mutation();
}

TEST_F(Snapshots, ARunningSnapshotWhoseNewTopNameIsTakenIsRefused) {
    lvs({"lvs_snap_live_begun.json"});
    auto top = backend->begin_live_snapshot(pool, "thin", "s2", "");
    ASSERT_FALSE(top.ok());
    EXPECT_EQ(top.error().code, ErrorCode::conflict);
    EXPECT_NE(top.error().message.find("LV vg_san/thin.s2, the new top snapshot 's2' of volume 'thin' needs, already exists"), std::string::npos) << top.error().message;
    expect_no_mutation();
}

TEST(LiveSnapshotNames, SuccessiveRunningSnapshotsKeepOneBaseName) {
    PoolDef pool;
    pool.name = "san";
    pool.vg_name = "vg_san";
    auto lv = [](std::string name, std::vector<std::string> tags) {
        lvm::LvReport r;
        r.name = std::move(name);
        r.tags = std::move(tags);
        return r;
    };
    // web1 was snapshotted running once (s1): the volume is web1.s1, reading through web1.
    const std::vector<lvm::LvReport> once{
        lv("web1", {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_layer_of:web1.s1", "ilvm_snapshot:s1"}),
        lv("web1.s1", {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_backing:web1"})};
    auto chain = chain_of(pool, once, "web1.s1");
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    auto next = plan_live_snapshot(pool, once, *chain, "s2");
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(*next, "web1.s2");
    // After an offline revert the top reads through another layer: its own name is the base.
    const std::vector<lvm::LvReport> reverted{
        lv("web1", {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_layer_of:web1.s2", "ilvm_snapshot:s1"}),
        lv("web1.s1", {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_layer_of:web1.s2", "ilvm_snapshot:s2",
                       "ilvm_backing:web1"}),
        lv("web1.s2", {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_backing:web1"})};
    chain = chain_of(pool, reverted, "web1.s2");
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    next = plan_live_snapshot(pool, reverted, *chain, "s3");
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(*next, "web1.s2.s3");
    // The name the volume had before names the snapshot's layer now.
    auto moved = chain_of(pool, reverted, "web1.s1");
    ASSERT_FALSE(moved.ok());
    EXPECT_EQ(moved.error().code, ErrorCode::not_found);
    EXPECT_EQ(moved.error().message, "'web1.s1' is no volume of pool san any more: it holds snapshot 's2' of volume 'web1.s2'");
    auto taken = plan_live_snapshot(pool, reverted, *chain, "s1");
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().code, ErrorCode::conflict);
}

TEST_F(Snapshots, ListShowsEveryLayerItsBackingAndWhatTheTopReads) {
    lvs({"lvs_snap_tree.json"});
    auto chain = backend->list_snapshots(pool, "thin");
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    expect_no_mutation();
    // What the module answers is what the host reads (host/core/snapshot_wire).
    auto view = host::parse_snapshots(format_snapshots_xml(pool, *chain));
    ASSERT_TRUE(view.ok()) << view.error().message;
    EXPECT_EQ(view->volume, "thin");
    EXPECT_EQ(view->capacity, 100 * GiB);
    EXPECT_EQ(view->allocation, 2684354560u);
    EXPECT_EQ(view->backing, "s1");
    ASSERT_EQ(view->snapshots.size(), 2u);
    EXPECT_EQ(view->snapshots[0].name, "s1");
    EXPECT_EQ(view->snapshots[0].lv, "snap_thin_s1");
    EXPECT_TRUE(view->snapshots[0].current);
    EXPECT_EQ(view->snapshots[0].backing, std::nullopt);
    EXPECT_EQ(view->snapshots[0].created, 1767000000);
    EXPECT_EQ(view->snapshots[1].name, "s2");
    EXPECT_FALSE(view->snapshots[1].current);   // newer than what the top was reverted to
    EXPECT_EQ(view->snapshots[1].backing, "s1");
}

TEST_F(Snapshots, TheDescriptionIsListedDecoded) {
    lvs({"lvs_snap_one.json"});
    auto chain = backend->list_snapshots(pool, "thin");
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    auto view = host::parse_snapshots(format_snapshots_xml(pool, *chain));
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->snapshots.at(0).description, "before the upgrade: v2");
}

TEST_F(Snapshots, VolDeleteIsRefusedNamingTheSnapshots) {
    lvs({"lvs_snap_two.json"});
    auto s = backend->delete_vol(pool, "thin", {});
    expect_refusal(s, ErrorCode::conflict, "has snapshots: s1, s2");
    EXPECT_NE(s.error().hint.find("--snapshots"), std::string::npos) << s.error().hint;
    expect_no_mutation();
}

TEST_F(Snapshots, VolDeleteWithSnapshotsRemovesTheTopThenTheLayersLeavesFirst) {
    lvs({"lvs_snap_two.json"});
    DeleteVolOptions opts;
    opts.snapshots = true;
    opts.wipe = false;
    auto s = backend->delete_vol(pool, "thin", opts);
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_golden("vol-delete-snapshots", sys.transcript());
    expect_in_order({"lvchange -aey -K vg_san/thin", "lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/thin",
                     "vg_san/snap_thin_s2", "vg_san/snap_thin_s1"});
}

TEST_F(Snapshots, ALayerIsNoVolume) {
    lvs({"lvs_snap_one.json"});
    auto s = backend->delete_vol(pool, "snap_thin_s1", {});
    expect_refusal(s, ErrorCode::invalid_input, "is snapshot 's1' of volume 'thin'");
    auto a = backend->activate_vol(pool, "snap_thin_s1", lvm::ActivationMode::exclusive);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
    EXPECT_NE(a.error().hint.find("/dev/vg_san/thin"), std::string::npos) << a.error().hint;
    auto g = backend->grow_allocation(pool, "snap_thin_s1", 8 * GiB);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.error().message.find("read-only, never grown"), std::string::npos) << g.error().message;
    expect_no_mutation();
}

TEST_F(Snapshots, PoolDeleteCountsTheLayersApart) {
    vgs("vgs_vg_san_used.json");
    lvs({"lvs_snap_two.json"});
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, "pool san still has 2 volume(s) and 2 snapshot layer(s)");
    EXPECT_NE(st.error().hint.find("--snapshots"), std::string::npos) << st.error().hint;
    expect_no_mutation();
}

TEST_F(Snapshots, LayersStayOutOfThePoolsVolumesAndTheReconciler) {
    vgs("vgs_vg_san.json");
    lvs({"lvs_snap_two.json"});
    auto snap = backend->refresh_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    std::vector<std::string> names;
    for (const auto &v : snap->volumes) names.push_back(v.def.name);
    EXPECT_EQ(names, (std::vector<std::string>{"vm1", "thin"}));
    auto steps = backend->reconcile_pool(pool, {}, true);
    ASSERT_TRUE(steps.ok());
    for (const auto &st : *steps) EXPECT_EQ(st.volume.rfind("snap_", 0), std::string::npos) << st.volume;
}


using ChainActivation = BackendTest;

TEST_F(ChainActivation, TheTopAsAskedThenEveryLayerShared) {
    lvs({"lvs_snap_two.json"});
    auto v = backend->activate_vol(pool, "thin", lvm::ActivationMode::exclusive);
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-activate-chain", sys.transcript());
    const std::vector<std::string> want{"lvchange -aey -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s2",
                                        "lvchange -asy -K vg_san/snap_thin_s1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(ChainActivation, ALayerRefusedRollsBackInReverseOrder) {
    lvs({"lvs_snap_two.json"});
    sys.on({"lvchange", "-asy", "-K", "vg_san/snap_thin_s1"}, fail_out(5, "  LV locked by other host: vg_san/snap_thin_s1\n"));
    auto v = backend->activate_vol(pool, "thin", lvm::ActivationMode::exclusive);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_NE(v.error().message.find("snap_thin_s1"), std::string::npos) << v.error().message;
    const std::vector<std::string> want{"lvchange -aey -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s2",
                                        "lvchange -asy -K vg_san/snap_thin_s1", "lvchange -an vg_san/snap_thin_s2",
                                        "lvchange -an vg_san/thin"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(ChainActivation, AVolumeWithoutSnapshotsCostsNothingMore) {
    lvs({"lvs_thin_space.json"});
    ASSERT_TRUE(backend->activate_vol(pool, "thin", lvm::ActivationMode::exclusive).ok());
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"lvchange -aey -K vg_san/thin"});
    size_t listings = 0;
    for (const auto &c : sys.commands) listings += c.argv.front() == "lvs";
    EXPECT_EQ(listings, 1u);
}

TEST_F(ChainActivation, ReleaseKeepsALayerAnotherActiveChainReads) {
    lvs({"lvs_snap_shared_layer.json"});
    auto v = backend->deactivate_vol(pool, "thin");
    ASSERT_TRUE(v.ok()) << v.error().message;
    // s2 only thin reads; s1 the clone active here reads too.
    const std::vector<std::string> want{"lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s2"};
    EXPECT_EQ(sys.mutating_commands(), want);
}


using ChainHandOver = BackendTest;

TEST_F(ChainHandOver, AHandOverActivatesTheWholeChainShared) {
    // A migration's destination (the hook at migrate begin): the top shared, its layers too.
    lvs({"lvs_snap_two.json"});
    ASSERT_TRUE(backend->activate_vol(pool, "thin", lvm::ActivationMode::shared).ok());
    const std::vector<std::string> want{"lvchange -asy -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s2",
                                        "lvchange -asy -K vg_san/snap_thin_s1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(ChainHandOver, TheReconcilersReleaseOfATopReleasesItsLayers) {
    lvs({"lvs_snap_two_active_here.json"});
    ReconcileInput input;
    input.settled = {"thin"};
    auto steps = backend->reconcile_pool(pool, input, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    const std::vector<std::string> want{"lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s2",
                                        "lvchange -an vg_san/snap_thin_s1"};
    EXPECT_EQ(sys.mutating_commands(), want);
    for (const auto &st : *steps) EXPECT_EQ(st.volume, "thin");   // the layers are no steps of their own
}

// A qcow2 image that reads through a backing is only its top overlay: a byte copy of it
// (vol-clone without --linked, vol-download) would read through the source's layers, or a
// template, that nothing keeps for the copy. The chain is read through instead, shared,
// into one standalone qcow2 image: a new LV sized by qemu-img measure of the chain, or the
// downloaded file. No dd of the top.
TEST_F(Snapshots, AFullCopyOfAChainIsOneStandaloneImageOfTheWholeChain) {
    // The listing, the chain's (its layer inactive), the new LV's row, the release's (the chain active).
    lvs({"lvs_snap_one.json", "lvs_snap_one.json", "lvs_snap_one_copy.json"});
    VolDef copy;
    copy.name = "copy";
    copy.format = VolFormat::qcow2;
    auto v = backend->build_vol_from(pool, copy, "thin");
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-clone-chain", sys.transcript());
    expect_in_order({"lvchange -asy -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s1",
                     "qemu-img measure --output=json -f qcow2 -O qcow2 -o compat=1.1,cluster_size=65536,"
                     "lazy_refcounts=off /dev/vg_san/thin",
                     "lvcreate --yes", "--name copy", "lvchange -aey -K vg_san/copy",
                     "qemu-img convert -q -f qcow2 -O qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off "
                     "/dev/vg_san/thin /dev/vg_san/copy",
                     "lvchange -an vg_san/copy", "lvchange --deltag ilvm_incomplete", "lvchange -an vg_san/thin",
                     "lvchange -an vg_san/snap_thin_s1"});
    expect_not_run({"dd"});
    // A standalone volume: no backing tag, no backing in its image.
    EXPECT_EQ(sys.transcript().find("--addtag ilvm_backing"), std::string::npos) << sys.transcript();
    EXPECT_EQ(v->def.format, VolFormat::qcow2);
    EXPECT_EQ(v->def.capacity, 107374182400u);
    EXPECT_TRUE(v->status.backing_path.empty()) << v->status.backing_path;
}

TEST_F(Snapshots, ADownloadOfAChainIsTheWholeChainAsOneQcow2Image) {
    lvs({"lvs_snap_one.json", "lvs_snap_one.json", "lvs_snap_one_copy.json"});
    ASSERT_TRUE(backend->download_vol(pool, "thin", "/tmp/out.qcow2", 0, 0).ok());
    expect_in_order({"lvchange -asy -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s1",
                     "qemu-img convert -q -f qcow2 -O qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off "
                     "/dev/vg_san/thin /tmp/out.qcow2",
                     "lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s1"});
    expect_not_run({"dd"});
    expect_not_run({"lvchange", "-aey"});
}

TEST_F(Snapshots, APartOfAChainIsNotDownloaded) {
    lvs({"lvs_snap_one.json"});
    expect_refusal(backend->download_vol(pool, "thin", "/tmp/out.qcow2", 4096, 0), ErrorCode::invalid_input,
                   "it is downloaded whole, as one qcow2 image");
    expect_no_mutation();
    expect_not_run({"qemu-img"});
}

TEST_F(Snapshots, AFailedChainCopyLeavesNothing) {
    lvs({"lvs_snap_one.json", "lvs_snap_one.json", "lvs_snap_one_copy.json"});
    sys.on({"qemu-img", "convert"}, fail_out(1, "qemu-img: error while writing at byte 0: No space left on device\n"));
    VolDef copy;
    copy.name = "copy";
    copy.format = VolFormat::qcow2;
    auto v = backend->build_vol_from(pool, copy, "thin");
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().message.find("No space left on device"), std::string::npos) << v.error().message;
    expect_in_order({"qemu-img convert", "lvchange -an vg_san/copy", "lvremove --yes", "vg_san/copy",
                     "lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s1"});
}

}  // namespace
}  // namespace ilvm::test
