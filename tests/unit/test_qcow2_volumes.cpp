// SPDX-License-Identifier: LGPL-2.1-or-later
// qcow2 volumes: an LV holding a qcow2 image, its format and virtual size in the LV's tags
// (lvm/volume_tags.hpp), made with qemu-img (qemu/qemu_img.hpp). Golden argv and refusals;
// a refusal runs nothing that changes anything.
#include "backend_fixture.hpp"
#include "log_capture.hpp"
#include "lvm/volume_tags.hpp"
#include "qemu/qemu_img.hpp"

namespace ilvm::test {
namespace {

constexpr uint64_t GiB = 1ULL << 30;
constexpr uint64_t MiB = 1ULL << 20;

lvm::LvReport lv_with_tags(std::vector<std::string> tags) {
    lvm::LvReport lv;
    lv.name = "thin";
    lv.size = 2560 * MiB;
    lv.tags = std::move(tags);
    return lv;
}

TEST(VolumeTags, SayTheFormatAndTheVirtualSize) {
    EXPECT_EQ(lvm::image_tags(VolFormat::raw, 10 * GiB), std::vector<std::string>{});
    EXPECT_EQ(lvm::image_tags(VolFormat::qcow2, 100 * GiB),
              (std::vector<std::string>{"ilvm_qcow2", "ilvm_capacity_107374182400"}));
    auto raw = lvm::image_of(lv_with_tags({"ilvm_incomplete"}));
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw->format, VolFormat::raw);
    EXPECT_EQ(raw->capacity, 2560 * MiB);   // a raw volume is its LV
    auto qcow2 = lvm::image_of(lv_with_tags(lvm::image_tags(VolFormat::qcow2, 100 * GiB)));
    ASSERT_TRUE(qcow2.ok());
    EXPECT_EQ(qcow2->format, VolFormat::qcow2);
    EXPECT_EQ(qcow2->capacity, 100 * GiB);
}

TEST(VolumeTags, AQcow2VolumeWithoutOneGoodCapacityTagIsAnError) {
    for (const auto &tags : std::vector<std::vector<std::string>>{
             {"ilvm_qcow2"},
             {"ilvm_qcow2", "ilvm_capacity_"},
             {"ilvm_qcow2", "ilvm_capacity_12x"},
             {"ilvm_qcow2", "ilvm_capacity_0"},
             {"ilvm_qcow2", "ilvm_capacity_1", "ilvm_capacity_2"},
             {"ilvm_qcow2", "ilvm_capacity_99999999999999999999999"}}) {
        auto r = lvm::image_of(lv_with_tags(tags));
        ASSERT_FALSE(r.ok()) << tags.back();
        EXPECT_EQ(r.error().code, ErrorCode::system);
        EXPECT_NE(r.error().message.find("volume 'thin' is tagged ilvm_qcow2 but has"), std::string::npos)
            << r.error().message;
    }
}

TEST(QemuImg, CommandsAreData) {
    EXPECT_EQ(qemu::measure_qcow2(100 * GiB).display(),
              "qemu-img measure --output=json -O qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off --size "
              "107374182400");
    EXPECT_EQ(qemu::create_qcow2("/dev/vg_san/thin", 100 * GiB).display(),
              "qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off /dev/vg_san/thin "
              "107374182400");
    EXPECT_EQ(qemu::resize_qcow2("/dev/vg_san/thin", 200 * GiB).display(),
              "qemu-img resize -q -f qcow2 /dev/vg_san/thin 214748364800");
}

TEST(QemuImg, MeasureAsQemu72PrintsIt) {
    auto m = qemu::parse_measure_json(data_file("qemu/measure_qcow2_100g.json"));
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->required, 16646144u);
    EXPECT_EQ(m->fully_allocated, 107390828544u);
    for (const char *bad : {"", "[]", "{\"required\": 1}", "{\"required\": \"1\", \"fully-allocated\": 2}",
                            "{\"required\": -1, \"fully-allocated\": 2}", "{\"required\": 1.5, \"fully-allocated\": 2}"}) {
        auto r = qemu::parse_measure_json(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::system) << bad;
    }
}

using Qcow2Volumes = BackendTest;

VolDef qcow2(const std::string &name, uint64_t capacity, std::optional<uint64_t> allocation = std::nullopt) {
    VolDef v;
    v.name = name;
    v.capacity = capacity;
    v.allocation = allocation;
    v.format = VolFormat::qcow2;
    return v;
}

TEST_F(Qcow2Volumes, ANewVolumeStartsWithOneChunkAndAnEmptyImage) {
    started_pool();
    lvs({"lvs_new_thin.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    auto v = backend->create_vol(pool, qcow2("thin", 100 * GiB));
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->def.format, VolFormat::qcow2);
    EXPECT_EQ(v->def.capacity, 100 * GiB);
    EXPECT_EQ(v->status.allocation, 2560 * MiB);
    expect_golden("vol-create-qcow2", sys.transcript());
}

TEST_F(Qcow2Volumes, AnImageThatCanNeverNeedAChunkGetsWhatItCanNeed) {
    started_pool();
    lvs({"lvs_new_thin.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_1g.json")));
    ASSERT_TRUE(backend->create_vol(pool, qcow2("thin", GiB)).ok());
    // 1074135040 bytes (qemu-img measure's fully-allocated size), which LVM rounds up to whole
    // 4 MiB extents.
    expect_in_order({"--addtag ilvm_qcow2 --addtag ilvm_capacity_1073741824 --name thin --size 1074135040b"});
}

TEST_F(Qcow2Volumes, TheVirtualSizeIsWholeSectors) {
    started_pool();
    lvs({"lvs_new_thin.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_1g.json")));
    ASSERT_TRUE(backend->create_vol(pool, qcow2("thin", GiB - 1000, 64 * MiB)).ok());
    expect_in_order({"qemu-img measure --output=json -O qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off --size 1073741312",
                     "--addtag ilvm_capacity_1073741312 --name thin --size 67108864b"});
}

TEST_F(Qcow2Volumes, AnAllocationTooSmallForTheEmptyImageIsRefused) {
    started_pool();
    lvs({"lvs_vm1_space.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    auto v = backend->create_vol(pool, qcow2("thin", 100 * GiB, 8 * MiB));
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
    EXPECT_NE(v.error().message.find("allocation 8.00 MiB of qcow2 volume 'thin' is too small: an empty image of 100.00 GiB needs"),
              std::string::npos)
        << v.error().message;
    EXPECT_NE(v.error().hint.find("16646144"), std::string::npos) << v.error().hint;
    expect_no_mutation();
}

TEST_F(Qcow2Volumes, WithoutQemuImgNothingIsMade) {
    started_pool();
    lvs({"lvs_vm1_space.json"});
    sys.on({"qemu-img", "measure"}, fail_out(127, "qemu-img: No such file or directory\n"));
    auto v = backend->create_vol(pool, qcow2("thin", 100 * GiB));
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::system);
    EXPECT_NE(v.error().hint.find("apt install qemu-utils"), std::string::npos) << v.error().hint;
    expect_no_mutation();
}

TEST_F(Qcow2Volumes, AFailedImageRemovesTheHalfMadeVolume) {
    started_pool();
    lvs({"lvs_new_thin.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    sys.on({"qemu-img", "create"}, fail_out(1, "qemu-img: /dev/vg_san/thin: Could not open: Permission denied\n"));
    auto v = backend->create_vol(pool, qcow2("thin", 100 * GiB));
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().message.find("Could not open: Permission denied"), std::string::npos) << v.error().message;
    expect_in_order({"qemu-img create", "lvchange -an vg_san/thin", "lvremove --yes"});
    expect_not_run({"lvchange", "--deltag"});
}

TEST_F(Qcow2Volumes, ARefreshShowsTheVirtualSizeAndTheLv) {
    started_pool();
    lvs({"lvs_thin.json"});
    auto v = backend->refresh_vol(pool, "thin");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->def.format, VolFormat::qcow2);
    EXPECT_EQ(v->def.capacity, 100 * GiB);
    EXPECT_EQ(v->status.capacity, 100 * GiB);
    EXPECT_EQ(v->status.allocation, 2560 * MiB);
}

TEST_F(Qcow2Volumes, ALostCapacityTagIsLoggedAndTheLvSizeShown) {
    LogCapture log;
    started_pool();
    lvs({"lvs_thin_tag_lost.json"});
    auto v = backend->refresh_vol(pool, "thin");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->def.format, VolFormat::qcow2);
    EXPECT_EQ(v->status.capacity, 2560 * MiB);
    EXPECT_TRUE(log.contains("volume 'thin' is tagged ilvm_qcow2 but has no ilvm_capacity_<bytes> tag")) << log.text();
}

TEST_F(Qcow2Volumes, AWipedVolumeIsAnEmptyImageAgain) {
    started_pool();
    lvs({"lvs_thin.json"});
    ASSERT_TRUE(backend->wipe_vol(pool, "thin", WipeAlgorithm::zero).ok()) << sys.transcript();
    expect_in_order({"lvchange -aey -K vg_san/thin", "blkdiscard --zeroout /dev/vg_san/thin",
                     "qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off /dev/vg_san/thin "
                     "107374182400",
                     "lvchange -an vg_san/thin"});
}

TEST_F(Qcow2Volumes, ACopyIsTheSameImageInAnLvAsLarge) {
    started_pool();
    lvs({"lvs_thin_space.json", "lvs_thin_and_copy.json"});
    sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    VolDef copy;
    copy.name = "copy";
    copy.capacity = 1;   // what vol-create-from gives when no capacity is asked for
    auto v = backend->build_vol_from(pool, copy, "thin");
    ASSERT_TRUE(v.ok()) << v.error().message << "\n" << sys.transcript();
    expect_in_order({"--addtag ilvm_qcow2 --addtag ilvm_capacity_107374182400 --name copy --size 2684354560b",
                     "dd if=/dev/vg_san/thin of=/dev/vg_san/copy bs=4M count=2684354560 iflag=direct,count_bytes",
                     "lvchange --deltag ilvm_incomplete"});
    expect_not_run({"qemu-img", "create"});   // the copy brings its image
}

TEST_F(Qcow2Volumes, ACopyCannotBeLargerThanItsQcow2Source) {
    started_pool();
    lvs({"lvs_thin_space.json"});
    VolDef copy;
    copy.name = "copy";
    copy.capacity = 200 * GiB;
    auto v = backend->build_vol_from(pool, copy, "thin");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(v.error().message, "a copy of qcow2 volume 'thin' has its capacity (100.00 GiB), not 200.00 GiB");
    expect_no_mutation();
}

// The capacity of a qcow2 volume is its image's virtual size: qemu-img grows the image
// (active here exclusively, nobody has it open); the LV keeps its size, the tag follows.
TEST_F(Qcow2Volumes, GrowingTheCapacityGrowsTheImageNotTheLv) {
    started_pool();
    lvs({"lvs_thin.json", "lvs_thin_grown.json"});
    vgs("vgs_vg_san.json");
    auto v = backend->resize_vol(pool, "thin", 200 * GiB - 100, {});
    ASSERT_TRUE(v.ok()) << v.error().message << "\n" << sys.transcript();
    EXPECT_EQ(v->def.capacity, 200 * GiB);
    EXPECT_EQ(v->status.allocation, 2560 * MiB);
    expect_golden("vol-resize-qcow2", sys.transcript());
    expect_not_run({"lvextend"});
}

TEST_F(Qcow2Volumes, TheSameCapacityChangesNothing) {
    started_pool();
    lvs({"lvs_thin.json"});
    auto v = backend->resize_vol(pool, "thin", 100 * GiB, {});
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->def.capacity, 100 * GiB);
    expect_no_mutation();
}

// Where the guest's data lies in its virtual disk is not known from outside: no shrink, even
// with --allow-shrink.
TEST_F(Qcow2Volumes, ShrinkingIsRefused) {
    started_pool();
    lvs({"lvs_thin.json", "lvs_thin.json"});
    for (bool allow : {false, true}) {
        auto v = backend->resize_vol(pool, "thin", 50 * GiB, ResizeOptions{allow});
        ASSERT_FALSE(v.ok());
        EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
        EXPECT_EQ(v.error().message, "shrinking qcow2 volume 'thin' from 100.00 GiB to 50.00 GiB is not supported");
        expect_no_mutation();
    }
}

// A running QEMU has the image open: another process must never change it under it.
TEST_F(Qcow2Volumes, AnOpenVolumeIsNotGrown) {
    started_pool();
    lvs({"lvs_thin_open_here.json"});
    auto v = backend->resize_vol(pool, "thin", 200 * GiB, {});
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_EQ(v.error().message, "volume 'thin' of pool san is open on this host");
    expect_no_mutation();
}

TEST_F(Qcow2Volumes, AFailedResizeLeavesTheCapacityTagAlone) {
    started_pool();
    lvs({"lvs_thin.json"});
    sys.on({"qemu-img", "resize"}, fail_out(1, "qemu-img: Could not resize image: No space left on device\n"));
    auto v = backend->resize_vol(pool, "thin", 200 * GiB, {});
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().message,
              "growing the qcow2 image of volume 'thin': qemu-img: Could not resize image: No space left on device");
    expect_not_run({"lvchange", "--deltag"});
    expect_in_order({"lvchange -aey -K vg_san/thin", "qemu-img resize", "lvchange -an vg_san/thin"});
}


// ilvmd's growth of a qcow2 volume under its running guest (ILVM_RESIZE_ALLOCATION): the
// LV grows, the image does not; only under this host's exclusive lock; never beyond what
// the image can need nor the VG's free space.
std::string thin_row(uint64_t lv_size, bool active, bool exclusive, uint64_t vg_free,
                     const std::string &tags = "ilvm_qcow2,ilvm_capacity_107374182400") {
    auto flag = [](bool b) { return std::string(b ? "1" : "0"); };
    return R"({"report":[{"lv":[{"lv_name":"thin", "lv_uuid":"Th1nQc-2Wm4-Zx8c-Vb3n-Mq1a-Rt6y-Ue5iOp", "lv_size":")" +
           std::to_string(lv_size) + R"(", "lv_path":"/dev/vg_san/thin", "lv_active_locally":")" + flag(active) +
           R"(", "lv_active_exclusively":")" + flag(exclusive) + R"(", "lv_device_open":")" + flag(active) +
           R"(", "lv_skip_activation":"1", "lv_autoactivation":"0", "lv_lockargs":"1.0.0:74448896", "lv_tags":")" + tags +
           R"(", "vg_free":")" + std::to_string(vg_free) + R"(", "vg_extent_size":"4194304"}]}]})";
}

class Qcow2Growth : public BackendTest {
protected:
    void running(uint64_t lv_size, uint64_t vg_free, bool active = true, bool exclusive = true) {
        started_pool();
        sys.on({"lvs"}, ok_out(thin_row(lv_size, active, exclusive, vg_free)));
        sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    }
};

// qemu-img measure: 107390828544 bytes with every cluster of 100 GiB written; whole extents.
constexpr uint64_t kCeiling = 25604ULL * 4 * MiB;

TEST_F(Qcow2Growth, TheLvGrowsToWhatIsAskedUnderTheRunningGuest) {
    running(2560 * MiB, 6975127552);
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_TRUE(v.ok()) << v.error().message << "\n" << sys.transcript();
    EXPECT_EQ(v->status.allocation, 5 * GiB);
    EXPECT_EQ(v->def.capacity, 100 * GiB);
    expect_golden("vol-grow-allocation", sys.transcript());
    expect_not_run({"qemu-img", "resize"});
    expect_not_run({"lvchange"});
}

TEST_F(Qcow2Growth, NeverBeyondWhatTheImageCanNeed) {
    running(100 * GiB, 200 * GiB);
    auto v = backend->grow_allocation(pool, "thin", 120 * GiB);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->status.allocation, kCeiling);
    EXPECT_TRUE(sys.ran({"lvextend", "--size", std::to_string(kCeiling) + "b"})) << sys.transcript();
}

TEST_F(Qcow2Growth, AtItsCeilingNothingChanges) {
    running(kCeiling, 200 * GiB);
    auto v = backend->grow_allocation(pool, "thin", kCeiling + 2560 * MiB);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->status.allocation, kCeiling);
    expect_no_mutation();
}

// A partial growth buys the guest time; the rest of a chunk is not there to be had.
TEST_F(Qcow2Growth, ANearlyFullPoolGivesWhatItHasInWholeExtents) {
    running(2560 * MiB, 1 * GiB + 1 * MiB);
    LogCapture log;
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->status.allocation, 2560 * MiB + 1 * GiB);
    EXPECT_TRUE(sys.ran({"lvextend", "--size", std::to_string(2560 * MiB + 1 * GiB) + "b"})) << sys.transcript();
    EXPECT_TRUE(log.contains("only 1.00 GiB free: volume thin grows by that")) << log.text();
}

TEST_F(Qcow2Growth, AFullPoolIsAConflictAndNothingRuns) {
    running(2560 * MiB, 2 * MiB);
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_EQ(v.error().message, "pool san has no free space left to grow volume 'thin' (2.50 GiB of at most 100.02 GiB)");
    expect_no_mutation();
}

// Both hosts hold it shared while a migration hands it over: LVM would refuse lvextend; the
// agent is told why and grows it after the switch-over.
TEST_F(Qcow2Growth, AVolumeSharedForAHandOverIsNotGrown) {
    running(2560 * MiB, 6975127552, true, false);
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_EQ(v.error().message, "volume 'thin' of pool san is active shared (a migration hand-over): LVM extends it only "
                                 "under an exclusive lock");
    expect_no_mutation();
}

TEST_F(Qcow2Growth, OnlyTheHostThatRunsTheGuestGrowsIt) {
    running(2560 * MiB, 6975127552, false, false);
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_EQ(v.error().message, "volume 'thin' of pool san is not active on this host");
    expect_no_mutation();
}

TEST_F(Qcow2Growth, ARawVolumesAllocationIsItsCapacity) {
    started_pool();
    sys.on({"lvs"}, ok_out(thin_row(2560 * MiB, true, true, 6975127552, "")));
    auto v = backend->grow_allocation(pool, "thin", 5 * GiB);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(v.error().message, "volume 'thin' is raw: its allocation is its capacity");
    expect_no_mutation();
}

}  // namespace
}  // namespace ilvm::test
