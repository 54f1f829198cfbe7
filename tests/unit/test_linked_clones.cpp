// SPDX-License-Identifier: LGPL-2.1-or-later
// Linked clones (backend/linked_clones.cpp, lvm/template_tags.hpp): golden argv of a clone
// of a raw and of a qcow2 template (the first clone makes it a read-only template, a second
// does not repeat it); every write path refuses a template and runs nothing that changes
// anything; delete names the clones; a clone's chain takes its template shared, and the
// release and the reconciler keep a template another active clone reads.
#include "backend/reconcile_plan.hpp"
#include "backend_fixture.hpp"
#include "lvm/template_tags.hpp"
#include "qemu/qemu_img.hpp"
#include "xml/vol_xml.hpp"

namespace ilvm::test {
namespace {

constexpr uint64_t GiB = 1ULL << 30;

TEST(LinkedCloneQemuImg, TheOverlayNamesItsTemplatesFormat) {
    EXPECT_EQ(qemu::create_overlay("/dev/vg_san/c1", "vm1", "raw", GiB).display(),
              "qemu-img create -q -u -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off -b vm1 -F raw "
              "/dev/vg_san/c1 1073741824");
}

class LinkedClones : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        started_pool();
        sys.on({"qemu-img", "measure"}, ok_out(data_file("qemu/measure_qcow2_100g.json")));
    }
    static VolDef clone_def(const std::string &name, uint64_t capacity = 0) {
        VolDef d;
        d.name = name;
        d.capacity = capacity;
        d.format = VolFormat::qcow2;
        return d;
    }
    template <class R>
    static void expect_refusal(const R &s, ErrorCode code, const std::string &fragment) {
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().code, code);
        EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
    }
};

TEST_F(LinkedClones, TheFirstCloneOfARawVolumeMakesItAReadOnlyTemplate) {
    lvs({"lvs_tpl_none.json", "lvs_tpl_none.json", "lvs_tpl_one_clone.json"});
    auto v = backend->build_linked_clone(pool, clone_def("c1", GiB), "vm1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-clone-linked-first", sys.transcript());
    // Made under its exclusive lock, then held shared (a conversion, the lock kept) until the
    // clone's row names it: a template delete elsewhere waits for no one in between.
    const std::vector<std::string> want{
        "lvchange -aey -K vg_san/vm1",
        "lvchange --permission r --addtag ilvm_template --config 'backup{retain_min=4 retain_days=0}' vg_san/vm1",
        "lvchange -asy -K vg_san/vm1"};
    auto m = sys.mutating_commands();
    ASSERT_GE(m.size(), 3u) << sys.transcript();
    EXPECT_EQ(std::vector<std::string>(m.begin(), m.begin() + 3), want);
    expect_in_order({"lvcreate --yes --activate ey -K", "--addtag ilvm_qcow2 --addtag ilvm_capacity_1073741824 "
                     "--addtag ilvm_backing:vm1 --name c1", "lvchange -an vg_san/vm1",
                     "qemu-img create -q -u -f qcow2 -o compat=1.1,cluster_size=65536,lazy_refcounts=off -b vm1 -F raw "
                     "/dev/vg_san/c1 1073741824",
                     "lvchange --deltag ilvm_incomplete", "lvchange -an vg_san/c1"});
    EXPECT_EQ(v->def.format, VolFormat::qcow2);
    EXPECT_EQ(v->status.backing_path, "/dev/vg_san/vm1");
}

// What a second clone does to its template: hold its lock shared around the clone's
// lvcreate (the commit that names it), nothing else.
void expect_only_the_templates_lock(const FakeSystem &sys, const std::string &tpl) {
    const std::string dev = "vg_san/" + tpl;
    for (const auto &c : sys.mutating_commands()) {
        if (c.find(dev) == std::string::npos) continue;
        EXPECT_TRUE(c == "lvchange -asy -K " + dev || c == "lvchange -an " + dev) << c;
    }
}

TEST_F(LinkedClones, ASecondCloneOnlyHoldsTheTemplatesLockWhileItsRowIsCommitted) {
    lvs({"lvs_tpl_one_clone.json", "lvs_tpl_two_clones.json"});
    auto v = backend->build_linked_clone(pool, clone_def("c2", GiB), "vm1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-clone-linked-second", sys.transcript());
    expect_only_the_templates_lock(sys, "vm1");
    expect_in_order({"lvchange -asy -K vg_san/vm1", "lvcreate --yes --activate ey -K",
                     "--addtag ilvm_backing:vm1 --name c2", "lvchange -an vg_san/vm1",
                     "-b vm1 -F raw /dev/vg_san/c2 1073741824", "lvchange -an vg_san/c2"});
}

TEST_F(LinkedClones, ACloneIsRefusedWhileAnotherHostDeletesItsTemplate) {
    // The deleting host holds the template exclusive (Backend::delete_vol): no clone row is
    // committed that its listing under that lock would miss.
    lvs({"lvs_tpl_one_clone.json"});
    sys.on({"lvchange", "-asy"}, fail_out(5, "  LV locked by other host: vg_san/vm1\n"));
    auto v = backend->build_linked_clone(pool, clone_def("c2", GiB), "vm1");
    expect_refusal(v, ErrorCode::conflict, "cannot clone volume 'vm1'");
    expect_not_run({"lvcreate"});
}

TEST_F(LinkedClones, AClonesTemplateActiveHereKeepsTheLockItHas) {
    // Another clone runs here: the template is active here, shared, and stays so (a release
    // would pull it from under that clone's QEMU).
    lvs({"lvs_tpl_c1_stopped_c2_running.json", "lvs_tpl_c2_running_c3_made.json"});
    auto v = backend->build_linked_clone(pool, clone_def("c3", GiB), "vm1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    for (const auto &c : sys.mutating_commands()) EXPECT_EQ(c.find("vg_san/vm1"), std::string::npos) << c;
    expect_in_order({"--addtag ilvm_backing:vm1 --name c3", "lvchange -an vg_san/c3"});
}

TEST_F(LinkedClones, AQcow2TemplateIsNamedAsQcow2AndItsCapacityKept) {
    lvs({"lvs_tpl_qcow2.json", "lvs_tpl_qcow2_two_clones.json"});
    // A smaller capacity asked is the template's: an overlay never cuts its backing off.
    auto v = backend->build_linked_clone(pool, clone_def("q2", GiB), "thin");
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-clone-linked-qcow2", sys.transcript());
    expect_in_order({"--addtag ilvm_capacity_107374182400 --addtag ilvm_backing:thin --name q2",
                     "-b thin -F qcow2 /dev/vg_san/q2 107374182400"});
    expect_only_the_templates_lock(sys, "thin");
}

TEST_F(LinkedClones, UnderTheLockATemplateAnotherHostMadeIsNotChangedAgain) {
    // lvchange --permission r of a read-only LV fails ("already read only"): planned again.
    lvs({"lvs_tpl_none.json", "lvs_tpl_no_clone.json", "lvs_tpl_one_clone.json"});
    auto v = backend->build_linked_clone(pool, clone_def("c1", GiB), "vm1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_not_run({"lvchange", "--permission"});
    expect_in_order({"lvchange -aey -K vg_san/vm1", "lvchange -asy -K vg_san/vm1", "lvcreate", "lvchange -an vg_san/vm1"});
}

TEST_F(LinkedClones, ATemplateInUseByAnotherHostIsRefusedBeforeAnyChange) {
    lvs({"lvs_tpl_none.json"});
    sys.on({"lvchange", "-aey"}, fail_out(5, "  LV locked by other host: vg_san/vm1\n"));
    auto v = backend->build_linked_clone(pool, clone_def("c1", GiB), "vm1");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::conflict);
    EXPECT_NE(v.error().message.find("cannot make a template of volume 'vm1'"), std::string::npos) << v.error().message;
    expect_not_run({"lvcreate"});
    expect_not_run({"lvchange", "--permission"});
}

TEST_F(LinkedClones, ARawTargetFormatIsRefused) {
    VolDef raw = clone_def("c1", GiB);
    raw.format = VolFormat::raw;
    auto v = backend->build_linked_clone(pool, raw, "vm1");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
    EXPECT_NE(v.error().message.find("a linked clone is a qcow2 volume"), std::string::npos) << v.error().message;
    EXPECT_TRUE(sys.commands.empty()) << sys.transcript();
}

TEST_F(LinkedClones, AVolumeWithSnapshotsOrACloneIsNoTemplate) {
    lvs({"lvs_snap_one.json", "lvs_tpl_one_clone.json"});
    auto snap = backend->build_linked_clone(pool, clone_def("x", GiB), "thin");
    expect_refusal(snap, ErrorCode::invalid_input, "a template must be a standalone image");
    auto of_clone = backend->build_linked_clone(pool, clone_def("x", GiB), "c1");
    expect_refusal(of_clone, ErrorCode::invalid_input, "reads through vm1");
    // A full copy is the whole chain in one image (Snapshots.AFullCopyOfAChainIsOneStandaloneImage…).
    EXPECT_NE(of_clone.error().hint.find("without --linked"), std::string::npos) << of_clone.error().hint;
    expect_no_mutation();
}

TEST_F(LinkedClones, EveryWritePathRefusesATemplate) {
    lvs({"lvs_tpl_one_clone.json"});
    const std::string fragment = "it is a template of linked clones, read-only for good";
    auto ex = backend->activate_vol(pool, "vm1", lvm::ActivationMode::exclusive);
    expect_refusal(ex, ErrorCode::invalid_input, fragment);
    EXPECT_NE(ex.error().hint.find("--linked"), std::string::npos) << ex.error().hint;
    expect_refusal(backend->resize_vol(pool, "vm1", 2 * GiB, {}), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->wipe_vol(pool, "vm1", WipeAlgorithm::zero), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->upload_vol(pool, "vm1", "/tmp/img", 0, 0), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->grow_allocation(pool, "vm1", 2 * GiB), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->create_snapshot(pool, "vm1", "s1", ""), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->revert_snapshot(pool, "vm1", "s1"), ErrorCode::invalid_input, fragment);
    expect_refusal(backend->delete_snapshot(pool, "vm1", "s1"), ErrorCode::invalid_input, fragment);
    expect_no_mutation();
}

TEST_F(LinkedClones, AQcow2TemplateRefusesSnapshotsAndAClonesSnapshotsAreNotBuilt) {
    lvs({"lvs_tpl_qcow2.json"});
    expect_refusal(backend->create_snapshot(pool, "thin", "s1", ""), ErrorCode::invalid_input,
                   "it is a template of linked clones");
    expect_refusal(backend->create_snapshot(pool, "q1", "s1", ""), ErrorCode::invalid_input,
                   "is a linked clone of template 'thin'");
    expect_no_mutation();
}

TEST_F(LinkedClones, ATemplateIsReadSharedAndCopiedWithoutLinked) {
    lvs({"lvs_tpl_one_clone.json"});
    auto sh = backend->activate_vol(pool, "vm1", lvm::ActivationMode::shared);
    ASSERT_TRUE(sh.ok()) << sh.error().message;
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"lvchange -asy -K vg_san/vm1"});
}

TEST_F(LinkedClones, ATemplateIsDownloadedUnderASharedLock) {
    lvs({"lvs_tpl_one_clone.json"});
    sys.on({"dd"}, ok_out(""));
    auto s = backend->download_vol(pool, "vm1", "/tmp/out.img", 0, 0);
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_in_order({"lvchange -asy -K vg_san/vm1", "lvchange -an vg_san/vm1"});
    expect_not_run({"lvchange", "-aey"});
}

TEST_F(LinkedClones, DeletingATemplateIsRefusedNamingItsClones) {
    lvs({"lvs_tpl_two_clones.json"});
    auto s = backend->delete_vol(pool, "vm1", {});
    expect_refusal(s, ErrorCode::conflict, "is the template of linked clones: c1, c2");
    EXPECT_NE(s.error().hint.find("delete its clones first"), std::string::npos) << s.error().hint;
    expect_no_mutation();
}

TEST_F(LinkedClones, ATemplateWithoutClonesIsDeletedWithoutWriting) {
    lvs({"lvs_tpl_no_clone.json"});
    DeleteVolOptions opts;
    opts.wipe = true;   // asked, but a read-only template is not zeroed
    auto s = backend->delete_vol(pool, "vm1", opts);
    ASSERT_TRUE(s.ok()) << s.error().message;
    const std::vector<std::string> want{"lvchange -aey -K vg_san/vm1",
                                        "lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/vm1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(LinkedClones, ATemplateDeleteListsItsClonesAgainUnderItsExclusiveLock) {
    // Another host made a clone between this delete's first listing and its lock: the
    // listing read under the lock names it, and the template is kept (its lock let go).
    lvs({"lvs_tpl_no_clone.json", "lvs_tpl_no_clone.json", "lvs_tpl_one_clone.json"});
    auto s = backend->delete_vol(pool, "vm1", {});
    expect_refusal(s, ErrorCode::conflict, "is the template of linked clones: c1");
    const std::vector<std::string> want{"lvchange -aey -K vg_san/vm1", "lvchange -an vg_san/vm1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(LinkedClones, ATemplateDeleteIsRefusedWhileAnotherHostHoldsItsLock) {
    // A clone runs there, or is being made there (its lvcreate under the template's lock).
    lvs({"lvs_tpl_no_clone.json"});
    sys.on({"lvchange", "-aey"}, fail_out(5, "  LV locked by other host: vg_san/vm1\n"));
    auto s = backend->delete_vol(pool, "vm1", {});
    expect_refusal(s, ErrorCode::conflict, "cannot delete volume 'vm1'");
    expect_not_run({"lvremove"});
}

TEST_F(LinkedClones, AClonesActivationTakesItsTemplateShared) {
    lvs({"lvs_tpl_two_clones.json"});
    auto v = backend->activate_vol(pool, "c1", lvm::ActivationMode::exclusive);
    ASSERT_TRUE(v.ok()) << v.error().message;
    expect_golden("vol-activate-linked-clone", sys.transcript());
    const std::vector<std::string> want{"lvchange -aey -K vg_san/c1", "lvchange -asy -K vg_san/vm1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(LinkedClones, ReleaseKeepsATemplateAnotherActiveCloneReads) {
    lvs({"lvs_tpl_c1_stopped_c2_running.json"});
    auto v = backend->deactivate_vol(pool, "c1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"lvchange -an vg_san/c1"});
}

TEST_F(LinkedClones, ReleaseOfTheLastCloneHereReleasesTheTemplate) {
    lvs({"lvs_tpl_c1_stopped.json"});
    auto v = backend->deactivate_vol(pool, "c1");
    ASSERT_TRUE(v.ok()) << v.error().message;
    const std::vector<std::string> want{"lvchange -an vg_san/c1", "lvchange -an vg_san/vm1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(LinkedClones, TheReconcilerKeepsATemplateAnActiveCloneReads) {
    lvm::LvReport tpl, c2;
    tpl.name = "vm1";
    tpl.tags = {lvm::kTemplateTag};
    tpl.active_locally = true;
    tpl.skip_activation = true;
    tpl.autoactivation = false;
    c2 = tpl;
    c2.name = "c2";
    c2.tags = {"ilvm_qcow2", "ilvm_capacity_1073741824", "ilvm_backing:vm1"};
    c2.active_exclusively = true;
    ReconcileInput input;
    input.settled = {"vm1"};   // closed for a moment (between the hook's prepare and QEMU's open)
    input.in_use = {"c2"};
    auto steps = plan_reconcile(pool, {tpl, c2}, input);
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[0].volume, "vm1");
    EXPECT_EQ(steps[0].action, ReconcileAction::keep);
    EXPECT_EQ(steps[0].reason, "read by a linked clone active on this host");
    // With its clone gone from here, a settled template is released like any volume.
    c2.active_locally = false;
    auto later = plan_reconcile(pool, {tpl, c2}, input);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].action, ReconcileAction::deactivate);
}

TEST_F(LinkedClones, VolXmlShowsTheTemplateReadOnlyAndTheClonesBackingStore) {
    lvs({"lvs_tpl_one_clone.json"});
    auto tpl = backend->refresh_vol(pool, "vm1");
    ASSERT_TRUE(tpl.ok()) << tpl.error().message;
    const std::string t = format_vol_xml(tpl->def, &tpl->status, XmlLayout::indented);
    EXPECT_NE(t.find("<permissions>\n      <mode>0444</mode>"), std::string::npos) << t;
    auto clone = backend->refresh_vol(pool, "c1");
    ASSERT_TRUE(clone.ok()) << clone.error().message;
    const std::string c = format_vol_xml(clone->def, &clone->status, XmlLayout::indented);
    EXPECT_NE(c.find("<backingStore>\n    <path>/dev/vg_san/vm1</path>\n  </backingStore>"), std::string::npos) << c;
    EXPECT_EQ(c.find("<permissions>"), std::string::npos) << c;
}

}  // namespace
}  // namespace ilvm::test
