// SPDX-License-Identifier: LGPL-2.1-or-later
// A pool with several portals (multipath, issue 19): each portal logged in, out and checked,
// the start degraded while one path is left, the multipath recovery timeout in each record.
#include <algorithm>
#include <iterator>

#include "backend_fixture.hpp"
#include "log_capture.hpp"

namespace ilvm::test {
namespace {

const std::string k_iqn = "iqn.2024-04.com.example:vms";
const std::string k_first = "10.0.0.50:3260", k_second = "10.0.1.50:3260";
// The LUN's WWID as udev's ID_SERIAL gives it (the lab's tgtd LUN), and its map.
const std::string k_wwid = "360000000000000000e00000000010001", k_map = "/dev/mapper/" + k_wwid;

// `iscsiadm --mode session --print 3` with one block per portal: its recovery timeout and,
// when `disk` is set, LUN 0's disk.
struct Tree {
    std::string portal;
    int timeout = 5;
    std::string disk;
    std::string session_state = "LOGGED_IN";
};
std::string details(const std::vector<Tree> &portals) {
    std::string out = "iSCSI Transport Class version 2.0-870\nversion 2.1.8\n";
    int sid = 1;
    for (const auto &t : portals) {
        out += "Target: " + k_iqn + " (non-flash)\n\tCurrent Portal: " + t.portal + ",1\n\tPersistent Portal: " +
               t.portal + ",1\n\t\tSID: " + std::to_string(sid++) + "\n\t\tiSCSI Session State: " + t.session_state +
               "\n\t\tRecovery Timeout: " + std::to_string(t.timeout) + "\n";
        if (!t.disk.empty())
            out += "\t\tscsi2 Channel 00 Id 0 Lun: 0\n\t\t\tAttached scsi disk " + t.disk + "\t\tState: running\n";
    }
    return out;
}

class Portals : public BackendTest {
protected:
    void SetUp() override { use_pool("san_multipath.xml"); }

    std::vector<std::string> node(const std::string &portal, std::vector<std::string> more = {}) {
        std::vector<std::string> argv{"iscsiadm", "--mode", "node", "--targetname", k_iqn, "--portal", portal};
        argv.insert(argv.end(), more.begin(), more.end());
        return argv;
    }
    // A fresh host: neither portal has a node record yet; making one and logging in work.
    void no_records() {
        for (const auto &p : {k_first, k_second}) {
            sys.on(node(p), fail_out(21, "iscsiadm: No records found\n"));
            sys.on(node(p, {"--op"}), ok_out());
            sys.on(node(p, {"--login"}), ok_out());
        }
    }
    void login_fails(const std::string &portal) {
        sys.on(node(portal, {"--login"}),
               fail_out(8, "iscsiadm: Could not login to [iface: default, target: " + k_iqn + ", portal: " + portal +
                               "].\niscsiadm: initiator reported error (8 - connection timed out)\n"));
    }
    // iscsiadm --mode session lists the sessions of these portals.
    void sessions_at(const std::vector<std::string> &portals) {
        std::string out;
        int sid = 1;
        for (const auto &p : portals) out += "tcp: [" + std::to_string(sid++) + "] " + p + ",1 " + k_iqn + " (non-flash)\n";
        sys.on({"iscsiadm", "--mode", "session"}, ok_out(out));
    }
    // The sessions' tree shows each path's disk of the LUN; udev gives each `wwid` (the LUN's
    // by default); multipath's commands succeed; the map exists when `map`.
    void paths(const std::vector<Tree> &tree, bool map = true, const std::string &other_wwid = {}) {
        sys.on({"iscsiadm", "--mode", "session", "--print", "3"}, ok_out(details(tree)));
        for (size_t i = 0; i < tree.size(); ++i) {
            if (tree[i].disk.empty()) continue;
            const std::string wwid = i > 0 && !other_wwid.empty() ? other_wwid : k_wwid;
            sys.on({"udevadm", "info", "--query=property", "--name=/dev/" + tree[i].disk},
                   ok_out("DEVNAME=/dev/" + tree[i].disk + "\nID_SERIAL=" + wwid + "\nID_BUS=scsi\n"));
        }
        if (map) sys.paths.insert(k_map);
    }
    std::vector<Finding> findings_of(const std::string &check) {
        auto all = backend->diagnose_pool(pool, {}, false);
        EXPECT_TRUE(all.ok()) << all.error().message;
        std::vector<Finding> out;
        if (all.ok())
            std::copy_if(all->begin(), all->end(), std::back_inserter(out), [&](const Finding &f) { return f.check == check; });
        return out;
    }
};

TEST_F(Portals, StartLogsInToEveryPortalWithTheMultipathRecoveryTimeout) {
    logged_in(false);
    no_records();
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}});
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    lockspace_joined();
    auto started = backend->start_pool(pool);
    ASSERT_TRUE(started.ok()) << started.error().message;
    for (const auto &p : {k_first, k_second}) {
        EXPECT_TRUE(sys.ran(node(p, {"--op", "new"}))) << p;
        // A path gives up after 5 s so that dm-multipath fails over (iscsi/session_timeouts.hpp).
        EXPECT_TRUE(sys.ran(node(p, {"--op", "update", "--name", "node.session.timeo.replacement_timeout", "--value", "5"})))
            << p;
        EXPECT_TRUE(sys.ran(node(p, {"--login"}))) << p;
    }
    expect_not_run({"iscsiadm", "--mode", "node", "--targetname", k_iqn, "--portal", k_first, "--op", "update", "--name",
                    "node.session.timeo.replacement_timeout", "--value", "70"});
    // Both paths are the same LUN; its WWID whitelisted; the LUN read through the map, never a path.
    EXPECT_TRUE(sys.ran({"udevadm", "info", "--query=property", "--name=/dev/sdc"}));
    EXPECT_TRUE(sys.ran({"multipath", "-a", "/dev/sdb"}));
    expect_not_run({"multipathd", "add", "map"});   // multipathd made it from the paths' events
    EXPECT_TRUE(sys.ran({"pvs", "--reportformat", "json", "--units", "b", "--nosuffix", "--binary", "-o",
                         "pv_name,pv_uuid,vg_name,vg_uuid", k_map}));
    for (const auto &portal : pool.portals) expect_not_run({"pvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                                            "--binary", "-o", "pv_name,pv_uuid,vg_name,vg_uuid",
                                                            pool.by_path_device(portal)});
    expect_golden("pool-start-multipath", sys.transcript());
}

TEST_F(Portals, StartAsksMultipathdForAMapThatIsNotThereAndGivesUpWhenItNeverAppears) {
    logged_in(false);
    no_records();
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}}, false);
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "multipath map " + k_map + " of pool san did not appear within 5 s");
    EXPECT_TRUE(sys.ran({"multipathd", "add", "map", k_wwid}));
    // Nothing left: no LVM command, both sessions this start made logged out.
    for (const char *tool : {"pvs", "vgchange"}) expect_not_run({tool});
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

// A host without multipath-tools: the start says what to install, and leaves nothing.
TEST_F(Portals, StartWithoutMultipathToolsSaysWhatToInstall) {
    logged_in(false);
    no_records();
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}}, false);
    sys.fail_to_run({"multipath"}, system_error("cannot run multipath: No such file or directory"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message.rfind("pool san names 2 portals, which needs dm-multipath: ", 0), 0u)
        << started.error().message;
    EXPECT_EQ(started.error().hint.rfind("install multipath-tools, then run ilvm host-setup", 0), 0u);
    for (const char *tool : {"multipathd", "pvs", "vgchange"}) expect_not_run({tool});
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

// multipath-tools installed, but `multipath -a` fails (a wwids file it cannot write, say):
// its own error, not advice to install what is there.
TEST_F(Portals, StartWhoseMultipathAddFailsSaysWhatFailed) {
    logged_in(false);
    no_records();
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}}, false);
    sys.on({"multipath", "-a"}, CommandOutput{1, "", "cannot open /etc/multipath/wwids: Read-only file system\n"});
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "pool san: multipath -a /dev/sdb failed: cannot open /etc/multipath/wwids: "
                                       "Read-only file system");
    EXPECT_EQ(started.error().hint.find("install multipath-tools"), std::string::npos) << started.error().hint;
    for (const char *tool : {"multipathd", "pvs", "vgchange"}) expect_not_run({tool});
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

TEST_F(Portals, StartRefusesPortalsThatLeadToDifferentLuns) {
    logged_in(false);
    no_records();
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}}, false, "36001405aaaaaaaaaaaaaaaaaaaaaaaa");
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(started.error().message,
              "the portals of pool san lead to different LUNs: " + k_iqn + " LUN 0 is WWID " + k_wwid +
                  " through 10.0.0.50:3260 and 36001405aaaaaaaaaaaaaaaaaaaaaaaa through 10.0.1.50:3260");
    for (const char *tool : {"multipath", "multipathd", "pvs", "vgchange"}) expect_not_run({tool});
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

TEST_F(Portals, OnePortalDownStartsDegradedWithAWarning) {
    LogCapture log;
    logged_in(false);
    no_records();
    login_fails(k_first);
    sys.paths.insert(pool.by_path_device(pool.portals[1]));
    paths({{k_second, 5, "sdc"}});
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    lockspace_joined();
    auto started = backend->start_pool(pool);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_TRUE(log.contains("pool san: path 10.0.0.50:3260 of " + k_iqn + " is not logged in: iSCSI login to " + k_iqn +
                             " at 10.0.0.50:3260 failed"))
        << log.text();
    // The failed path's record is gone; the other path carries the pool.
    EXPECT_TRUE(sys.ran(node(k_first, {"--op", "delete"})));
    expect_not_run(node(k_second, {"--op", "delete"}));
    expect_not_run(node(k_second, {"--logout"}));
    EXPECT_TRUE(sys.ran({"pvs", "--reportformat", "json", "--units", "b", "--nosuffix", "--binary", "-o",
                         "pv_name,pv_uuid,vg_name,vg_uuid", k_map}));
    EXPECT_TRUE(sys.ran({"vgchange", "--lock-start", "vg_san"}));
}

TEST_F(Portals, EveryPortalDownIsTheFirstPortalsErrorAndLeavesNothing) {
    logged_in(false);
    no_records();
    login_fails(k_first);
    login_fails(k_second);
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "iSCSI login to " + k_iqn + " at 10.0.0.50:3260 failed (tried for up to 20 s, 5 s per "
                                       "attempt): iscsiadm: initiator reported error (8 - connection timed out)");
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--op", "delete"}))) << p;
    for (const char *tool : {"pvs", "vgchange"}) expect_not_run({tool});
}

TEST_F(Portals, APathWhoseLunNeverAppearsIsUndone) {
    LogCapture log;
    logged_in(false);
    no_records();
    sys.paths.insert(pool.by_path_device(pool.portals[1]));
    paths({{k_second, 5, "sdc"}});
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    lockspace_joined();
    ASSERT_TRUE(backend->start_pool(pool).ok());
    EXPECT_TRUE(sys.ran(node(k_first, {"--logout"})));
    EXPECT_TRUE(sys.ran(node(k_first, {"--op", "delete"})));
    expect_not_run(node(k_second, {"--logout"}));
    EXPECT_TRUE(log.contains("pool san: path 10.0.0.50:3260 of " + k_iqn + " has no LUN device")) << log.text();
}

TEST_F(Portals, AFailedStartLogsOutOnlyWhatItLoggedIn) {
    sessions_at({k_first});   // one path was up before
    lun_present();
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}});
    sys.on({"pvs"}, fail_out(5, "  Failed to find physical volume \"/dev/disk/by-path/x\".\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_TRUE(sys.ran(node(k_second, {"--login"})));
    EXPECT_TRUE(sys.ran(node(k_second, {"--logout"})));
    expect_not_run(node(k_first, {"--login"}));
    expect_not_run(node(k_first, {"--logout"}));
    expect_not_run({"multipath", "-f"});   // the map was there before: it stays with its first path
}

TEST_F(Portals, StopLogsOutEveryPortal) {
    sessions_at({k_first, k_second});
    lun_present();
    lvs({"lvs_vm1_active_here.json"});
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}});
    ASSERT_TRUE(backend->stop_pool(pool).ok());
    // The map goes before its paths: none is left queueing I/O without one.
    expect_in_order({"vgchange --lock-stop vg_san", "multipath -f " + k_wwid, "--portal " + k_first + " --logout",
                     "--portal " + k_second + " --logout"});
}

TEST_F(Portals, StopLogsOutWhenTheMapCannotBeRemoved) {
    LogCapture log;
    sessions_at({k_first, k_second});
    lvs({"lvs_empty.json"});
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}});
    sys.on({"multipath", "-f"}, fail_out(1, "Dec 05 19:40:01 | " + k_wwid + ": map in use\n"));
    ASSERT_TRUE(backend->stop_pool(pool).ok());
    EXPECT_TRUE(log.contains("cannot remove multipath map " + k_map + " of pool san")) << log.text();
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

TEST_F(Portals, StopGoesOnWhenOnePortalsLogoutFails) {
    LogCapture log;
    sessions_at({k_first, k_second});
    lvs({"lvs_empty.json"});
    sys.on(node(k_first, {"--logout"}), fail_out(3, "iscsiadm: Could not logout of all requested sessions\n"));
    auto st = backend->stop_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, "iSCSI logout from " + k_iqn + " at 10.0.0.50:3260 failed: iscsiadm: Could not logout of "
                                  "all requested sessions");
    EXPECT_TRUE(sys.ran(node(k_second, {"--logout"})));
}

TEST_F(Portals, DeleteWipesThroughALoggedInPathAndLogsOutBoth) {
    sessions_at({k_second});
    sys.paths.insert(pool.by_path_device(pool.portals[1]));
    paths({{k_second, 5, "sdc"}});
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    ASSERT_TRUE(backend->delete_pool(pool).ok());
    EXPECT_TRUE(sys.ran({"wipefs", "--all", k_map})) << sys.transcript();
    expect_in_order({"wipefs --all " + k_map, "multipath -f " + k_wwid, "--portal " + k_second + " --logout"});
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--logout"}))) << p;
}

TEST_F(Portals, ForgetDeletesEveryRecord) {
    logged_in(false);
    ASSERT_TRUE(backend->forget_pool(pool).ok());
    for (const auto &p : {k_first, k_second}) EXPECT_TRUE(sys.ran(node(p, {"--op", "delete"}))) << p;
    sessions_at({k_second});
    auto st = backend->forget_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
}

TEST_F(Portals, CheckIsTrueWhileOnePathHasItsLun) {
    sessions_at({k_second});
    sys.paths.insert(pool.by_path_device(pool.portals[1]));
    paths({{k_second, 5, "sdc"}});
    auto up = backend->check_pool(pool);
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_TRUE(*up);
    sys.paths.clear();   // no map: the pool is not started here
    up = backend->check_pool(pool);
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_FALSE(*up);
}

TEST_F(Portals, DoctorChecksEachPortal) {
    sessions_at({k_first, k_second});
    paths({{k_first, 5, "sdb"}, {k_second, 120, "sdc"}});
    sys.on({"multipathd", "show", "maps", "json"}, ok_out(data_file("multipath/show_maps_two_paths.json")));
    auto sessions = findings_of("iscsi session");
    // One session --print 3 for both portals' states and recovery timeouts and the multipath
    // check (the map's WWID, each path's state).
    EXPECT_EQ(std::count_if(sys.commands.begin(), sys.commands.end(),
                            [](const Command &c) { return c.display() == "iscsiadm --mode session --print 3"; }),
              1);
    ASSERT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions[0].severity, "ok");
    EXPECT_EQ(sessions[0].what, "logged in to " + k_iqn + " at 10.0.0.50:3260");
    EXPECT_EQ(sessions[1].what, "logged in to " + k_iqn + " at 10.0.1.50:3260");
    auto timeouts = findings_of("iscsi recovery timeout");
    ASSERT_EQ(timeouts.size(), 2u);
    EXPECT_EQ(timeouts[0].severity, "ok");
    EXPECT_EQ(timeouts[0].what, "5 s, as pool-start sets it (path 10.0.0.50:3260)");
    EXPECT_EQ(timeouts[1].severity, "warn");
    EXPECT_EQ(timeouts[1].what.rfind("the session's recovery timeout is 120 s, not 5 s (path 10.0.1.50:3260)", 0), 0u)
        << timeouts[1].what;
}

TEST_F(Portals, DoctorCountsTheUsablePathsOfTheMap) {
    sessions_at({k_first, k_second});
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc"}});
    sys.on({"multipathd", "show", "maps", "json"}, ok_out(data_file("multipath/show_maps_two_paths.json")));
    auto both = findings_of("multipath");
    ASSERT_EQ(both.size(), 1u);
    EXPECT_EQ(both[0].severity, "ok");
    EXPECT_EQ(both[0].what, "2 of 2 paths of " + k_map + " usable");
    sys.on({"multipathd", "show", "maps", "json"}, ok_out(data_file("multipath/show_maps_one_path_failed.json")));
    auto one = findings_of("multipath");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].severity, "warn");
    EXPECT_EQ(one[0].what, "1 of 2 paths of " + k_map + " usable; down: 10.0.1.50:3260 (sdc failed/faulty)");
    sys.paths.erase(k_map);
    auto none = findings_of("multipath");
    ASSERT_EQ(none.size(), 1u);
    EXPECT_EQ(none[0].severity, "fail");
    EXPECT_EQ(none[0].what, "pool san has no multipath map " + k_map + " on this host");
    expect_not_run({"multipath"});
    expect_not_run({"multipathd", "add"});
}

// A cut path's session stays listed while open-iscsi recovers it: --print 3 says FAILED.
TEST_F(Portals, DoctorWarnsOfASessionOpenIscsiIsRecovering) {
    sessions_at({k_first, k_second});
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc", "FAILED"}});
    sys.on({"multipathd", "show", "maps", "json"}, ok_out(data_file("multipath/show_maps_one_path_failed.json")));
    auto sessions = findings_of("iscsi session");
    ASSERT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions[0].severity, "ok");
    EXPECT_EQ(sessions[1].severity, "warn");
    EXPECT_EQ(sessions[1].what, "the iSCSI session to " + k_iqn + " at 10.0.1.50:3260 is FAILED (open-iscsi is "
                                "recovering it): the pool's I/O goes over its other paths");
}

TEST_F(Portals, InspectReportsEachPath) {
    sessions_at({k_first, k_second});
    paths({{k_first, 5, "sdb"}, {k_second, 5, "sdc", "FAILED"}});
    sys.on({"multipathd", "show", "maps", "json"}, ok_out(data_file("multipath/show_maps_one_path_failed.json")));
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    auto snap = backend->inspect_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    ASSERT_EQ(snap->paths.size(), 2u);
    EXPECT_EQ(snap->paths[0].portal, k_first);
    EXPECT_EQ(snap->paths[0].disk, "sdb");
    EXPECT_TRUE(snap->paths[0].usable);
    EXPECT_EQ(snap->paths[1].session_state, "FAILED");
    EXPECT_EQ(snap->paths[1].dm_state, "failed");
    EXPECT_EQ(snap->paths[1].checker, "faulty");
    EXPECT_FALSE(snap->paths[1].usable);
    EXPECT_TRUE(sys.mutating_commands().empty()) << sys.transcript();
}

TEST_F(Portals, DoctorWarnsOfAMissingPathAndFailsWithoutAny) {
    sessions_at({k_second});
    auto degraded = findings_of("iscsi session");
    ASSERT_EQ(degraded.size(), 2u);
    EXPECT_EQ(degraded[0].severity, "warn");
    EXPECT_EQ(degraded[0].what, "no iSCSI session to " + k_iqn + " at 10.0.0.50:3260: the pool runs on its other paths "
                                "(degraded)");
    EXPECT_EQ(degraded[1].severity, "ok");
    logged_in(false);
    auto down = findings_of("iscsi session");
    ASSERT_EQ(down.size(), 2u);
    for (const auto &f : down) EXPECT_EQ(f.severity, "fail") << f.what;
    EXPECT_EQ(down[1].what, "no iSCSI session to " + k_iqn + " at 10.0.1.50:3260");
}

}  // namespace
}  // namespace ilvm::test
