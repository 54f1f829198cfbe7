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
    // The LUN is read through the first portal's device.
    EXPECT_TRUE(sys.ran({"pvs", "--reportformat", "json", "--units", "b", "--nosuffix", "--binary", "-o",
                         "pv_name,pv_uuid,vg_name,vg_uuid", pool.by_path_device(pool.portals[0])}));
    expect_golden("pool-start-multipath", sys.transcript());
}

TEST_F(Portals, OnePortalDownStartsDegradedWithAWarning) {
    LogCapture log;
    logged_in(false);
    no_records();
    login_fails(k_first);
    sys.paths.insert(pool.by_path_device(pool.portals[1]));
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
                         "pv_name,pv_uuid,vg_name,vg_uuid", pool.by_path_device(pool.portals[1])}));
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
    sys.on({"pvs"}, fail_out(5, "  Failed to find physical volume \"/dev/disk/by-path/x\".\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_TRUE(sys.ran(node(k_second, {"--login"})));
    EXPECT_TRUE(sys.ran(node(k_second, {"--logout"})));
    expect_not_run(node(k_first, {"--login"}));
    expect_not_run(node(k_first, {"--logout"}));
}

TEST_F(Portals, StopLogsOutEveryPortal) {
    sessions_at({k_first, k_second});
    lun_present();
    lvs({"lvs_vm1_active_here.json"});
    ASSERT_TRUE(backend->stop_pool(pool).ok());
    expect_in_order({"vgchange --lock-stop vg_san", "--portal " + k_first + " --logout", "--portal " + k_second + " --logout"});
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
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    ASSERT_TRUE(backend->delete_pool(pool).ok());
    EXPECT_TRUE(sys.ran({"wipefs", "--all", pool.by_path_device(pool.portals[1])})) << sys.transcript();
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
    auto up = backend->check_pool(pool);
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_TRUE(*up);
    sys.paths.clear();
    up = backend->check_pool(pool);
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_FALSE(*up);
}

// `iscsiadm --mode session --print 3` with one block per portal and its recovery timeout.
std::string details(const std::vector<std::pair<std::string, int>> &portals) {
    std::string out = "iSCSI Transport Class version 2.0-870\nversion 2.1.8\n";
    for (const auto &[portal, timeout] : portals)
        out += "Target: " + k_iqn + " (non-flash)\n\tCurrent Portal: " + portal + ",1\n\tPersistent Portal: " + portal +
               ",1\n\t\tSID: 1\n\t\tRecovery Timeout: " + std::to_string(timeout) + "\n";
    return out;
}

TEST_F(Portals, DoctorChecksEachPortal) {
    sessions_at({k_first, k_second});
    sys.on({"iscsiadm", "--mode", "session", "--print", "3"}, ok_out(details({{k_first, 5}, {k_second, 120}})));
    auto sessions = findings_of("iscsi session");
    // One session --print 3 for both portals.
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
