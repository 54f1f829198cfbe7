// SPDX-License-Identifier: LGPL-2.1-or-later
// The libvirt mirror pool: when ilvm defines, starts, refreshes, stops and undefines it
// (mirror_sync, against a fake), and the libvirt implementation itself against libvirt's
// in-process test driver (test:///default: real API calls, no daemon).
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "fake_mirror_pool.hpp"
#include "host/libvirt/libvirt_mirror_pool.hpp"
#include "host/libvirt/mirror_sync.hpp"
#include "host/reconcile/idle_tracker.hpp"

namespace ilvm::test {
namespace {

using host::MirrorState;

// What a failed mirror step says ("" when it succeeded): the warning its caller logs.
std::string warning(const Status &st) { return st.ok() ? std::string() : st.error().message; }

TEST(MirrorSync, BringUpDefinesAndStartsAnAbsentMirror) {
    FakeMirrorPool m;
    EXPECT_EQ(warning(host::mirror_bring_up(m, "san", "vg_san")), "");
    EXPECT_EQ(m.calls, (std::vector<std::string>{"define san", "start san"}));
    EXPECT_EQ(m.pools["san"].state, MirrorState::active);
}

TEST(MirrorSync, BringUpStartsADefinedMirrorAndRefreshesAnActiveOne) {
    FakeMirrorPool m;
    m.pools["san"] = {MirrorState::defined, {}};
    m.pools["two"] = {MirrorState::active, {}};
    EXPECT_TRUE(host::mirror_bring_up(m, "san", "vg_san").ok());
    EXPECT_TRUE(host::mirror_bring_up(m, "two", "vg_two").ok());
    EXPECT_EQ(m.calls, (std::vector<std::string>{"start san", "refresh two"}));
}

TEST(MirrorSync, UnreachableLibvirtIsOneWarningAndNoCall) {
    FakeMirrorPool m;
    m.reachable = false;
    EXPECT_TRUE(host::mirror_check(m, "san", "vg_san").ok());
    EXPECT_EQ(warning(host::mirror_bring_up(m, "san", "vg_san")),
              "libvirt mirror pool san not started: cannot connect to libvirt at test:///nowhere");
    EXPECT_NE(warning(host::mirror_refresh(m, "san", "vg_san")), "");
    EXPECT_NE(warning(host::mirror_bring_down(m, "san", "vg_san")), "");
    EXPECT_TRUE(m.calls.empty());
}

TEST(MirrorSync, AForeignPoolOfTheSameNameIsRefusedAndNeverTouched) {
    FakeMirrorPool m;
    m.pools["san"] = {MirrorState::foreign, "it is a 'dir' pool"};
    auto st = host::mirror_check(m, "san", "vg_san");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_NE(st.error().message.find("it is a 'dir' pool"), std::string::npos);
    EXPECT_FALSE(st.error().hint.empty());
    EXPECT_EQ(warning(host::mirror_bring_up(m, "san", "vg_san")), "libvirt mirror pool san not started: it is a 'dir' pool");
    EXPECT_TRUE(host::mirror_refresh(m, "san", "vg_san").ok());
    EXPECT_TRUE(host::mirror_bring_down(m, "san", "vg_san").ok());
    EXPECT_EQ(warning(host::mirror_remove(m, "san", "vg_san")), "");
    EXPECT_TRUE(m.calls.empty());
}

TEST(MirrorSync, FailuresAreWarningsNotErrors) {
    FakeMirrorPool m;
    m.failing = {"define"};
    EXPECT_EQ(warning(host::mirror_bring_up(m, "san", "vg_san")), "libvirt mirror pool san not defined: libvirt said no to define");
    EXPECT_EQ(m.calls, (std::vector<std::string>{"define san"}));
}

TEST(MirrorSync, RefreshOnlyTouchesAnActiveMirror) {
    FakeMirrorPool m;
    m.pools["san"] = {MirrorState::defined, {}};
    EXPECT_EQ(warning(host::mirror_refresh(m, "san", "vg_san")), "");
    EXPECT_EQ(warning(host::mirror_refresh(m, "absent", "vg_x")), "");
    EXPECT_TRUE(m.calls.empty());
}

// libvirt stops a pool whose refresh failed, and a logical pool's stop is `vgchange -aln`: the
// idle volumes of this host went with it (stop 49: a device removed during an ilvmd refresh on
// Debian 13 released a lock the fault scenario expected to stay). The warning must say so.
TEST(MirrorSync, ARefreshThatStoppedTheMirrorSaysWhatTheStopDeactivated) {
    FakeMirrorPool m;
    m.pools["san"] = {MirrorState::active, {}};
    m.failing = {"refresh"};
    EXPECT_EQ(warning(host::mirror_refresh(m, "san", "vg_san")), "libvirt mirror pool san not refreshed: libvirt said no to refresh");
    m.failed_refresh_stops = true;
    const std::string w = warning(host::mirror_refresh(m, "san", "vg_san"));
    EXPECT_EQ(w.rfind("libvirt mirror pool san not refreshed: libvirt said no to refresh; libvirt stopped the mirror", 0), 0u) << w;
    EXPECT_NE(w.find("vgchange -aln vg_san"), std::string::npos) << w;
    EXPECT_NE(w.find("--hold"), std::string::npos) << w;
    EXPECT_NE(w.find("ilvm mirror-sync"), std::string::npos) << w;
    EXPECT_EQ(m.calls, (std::vector<std::string>{"refresh san", "refresh san"}));
}

TEST(MirrorSync, RemoveStopsThenUndefines) {
    FakeMirrorPool m;
    m.pools["san"] = {MirrorState::active, {}};
    EXPECT_EQ(warning(host::mirror_remove(m, "san", "vg_san")), "");
    EXPECT_EQ(m.calls, (std::vector<std::string>{"stop san", "undefine san"}));
    EXPECT_EQ(m.pools.count("san"), 0u);
}

TEST(MirrorPoolXml, HasNoSourceDevice) {
    EXPECT_EQ(host::mirror_pool_xml("san", "vg_san"),
              "<pool type='logical'>\n  <name>san</name>\n  <source>\n    <name>vg_san</name>\n"
              "    <format type='lvm2'/>\n  </source>\n  <target>\n    <path>/dev/vg_san</path>\n  </target>\n</pool>\n");
}

// libvirt's test driver keeps one shared state per process for test:///default, so a
// second connection sees what the implementation did.
class LibvirtMirror : public ::testing::Test {
protected:
    void SetUp() override {
        virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
        conn = virConnectOpen("test:///default");
        ASSERT_NE(conn, nullptr);
        mirror = host::make_libvirt_mirror_pool("test:///default");
    }
    void TearDown() override {
        for (const char *n : {"h6san", "h6other", "h6dev"}) {
            if (virStoragePoolPtr p = virStoragePoolLookupByName(conn, n)) {
                virStoragePoolDestroy(p);
                virStoragePoolUndefine(p);
                virStoragePoolFree(p);
            }
        }
        virConnectClose(conn);
    }
    void define_raw(const std::string &xml) {
        virStoragePoolPtr p = virStoragePoolDefineXML(conn, xml.c_str(), 0);
        ASSERT_NE(p, nullptr);
        virStoragePoolFree(p);
    }
    virConnectPtr conn = nullptr;
    std::unique_ptr<host::MirrorPool> mirror;
};

TEST_F(LibvirtMirror, FullLifecycleThroughTheRealApi) {
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::absent);
    ASSERT_TRUE(mirror->define("h6san", "vg_h6").ok());
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::defined);

    virStoragePoolPtr p = virStoragePoolLookupByName(conn, "h6san");
    ASSERT_NE(p, nullptr);
    int autostart = -1;
    ASSERT_EQ(virStoragePoolGetAutostart(p, &autostart), 0);
    EXPECT_EQ(autostart, 0);
    char *xml = virStoragePoolGetXMLDesc(p, 0);
    ASSERT_NE(xml, nullptr);
    const std::string desc(xml);
    free(xml);
    virStoragePoolFree(p);
    EXPECT_NE(desc.find("<pool type='logical'>"), std::string::npos) << desc;
    EXPECT_NE(desc.find("<name>vg_h6</name>"), std::string::npos) << desc;
    EXPECT_EQ(desc.find("<device"), std::string::npos) << desc;

    ASSERT_TRUE(mirror->start("h6san").ok());
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::active);
    EXPECT_TRUE(mirror->refresh("h6san").ok());
    ASSERT_TRUE(mirror->stop("h6san").ok());
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::defined);
    ASSERT_TRUE(mirror->undefine("h6san").ok());
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::absent);
}

TEST_F(LibvirtMirror, BringUpThenRemoveLeavesNothingBehind) {
    EXPECT_EQ(warning(host::mirror_bring_up(*mirror, "h6san", "vg_h6")), "");
    EXPECT_EQ(mirror->inspect("h6san", "vg_h6").state, MirrorState::active);
    EXPECT_EQ(warning(host::mirror_remove(*mirror, "h6san", "vg_h6")), "");
    EXPECT_EQ(virStoragePoolLookupByName(conn, "h6san"), nullptr);
}

TEST_F(LibvirtMirror, PoolsThatAreNotOurMirrorAreForeign) {
    // The test driver's own directory pool.
    auto dir = mirror->inspect("default-pool", "vg_h6");
    EXPECT_EQ(dir.state, MirrorState::foreign);
    EXPECT_EQ(dir.detail, "it is a 'dir' pool");
    define_raw(host::mirror_pool_xml("h6other", "vg_elsewhere"));
    EXPECT_EQ(mirror->inspect("h6other", "vg_h6").state, MirrorState::foreign);
    define_raw("<pool type='logical'><name>h6dev</name><source><device path='/dev/sdz'/><name>vg_h6</name>"
               "<format type='lvm2'/></source><target><path>/dev/vg_h6</path></target></pool>");
    auto dev = mirror->inspect("h6dev", "vg_h6");
    EXPECT_EQ(dev.state, MirrorState::foreign);
    EXPECT_NE(dev.detail.find("source device"), std::string::npos);
    EXPECT_FALSE(host::mirror_check(*mirror, "h6dev", "vg_h6").ok());
}

TEST(LibvirtMirrorUnreachable, ABadUriIsUnreachableNotAnError) {
    auto m = host::make_libvirt_mirror_pool("test:///nonexistent/ilvm-no-such-file.xml");
    auto info = m->inspect("san", "vg_san");
    EXPECT_EQ(info.state, MirrorState::unreachable);
    EXPECT_NE(info.detail.find("cannot connect to libvirt at test:///nonexistent"), std::string::npos) << info.detail;
    EXPECT_EQ(info.detail.find('\n'), std::string::npos);
    EXPECT_FALSE(m->define("san", "vg_san").ok());
}

TEST(IdleTracker, GraceStartsAtTheFirstSightingAndEndsWhenUsed) {
    host::IdleSince before = host::parse_idle_since("vm3 100\nvm4 150\ngarbage\nvm5 x\n");
    EXPECT_EQ(before, (host::IdleSince{{"vm3", 100}, {"vm4", 150}}));
    EXPECT_EQ(host::settled_volumes(before, 160, 10), (std::set<std::string>{"vm3", "vm4"}));
    EXPECT_EQ(host::settled_volumes(before, 155, 10), (std::set<std::string>{"vm3"}));
    // vm3 still idle keeps its sighting, vm4 is in use again (dropped), vm6 is new.
    auto next = host::next_idle_since(before, {"vm3", "vm6"}, 170);
    EXPECT_EQ(next, (host::IdleSince{{"vm3", 100}, {"vm6", 170}}));
    EXPECT_EQ(host::parse_idle_since(host::format_idle_since(next)), next);
}

}  // namespace
}  // namespace ilvm::test
