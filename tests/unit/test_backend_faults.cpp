// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden-argv tests of the pool lifecycle under faults (issue 15): lock-start racing udev,
// portals that do not answer, logins that leave nothing behind.
#include "backend_fixture.hpp"
#include "iscsi/session.hpp"
#include "iscsi/session_timeouts.hpp"

namespace ilvm::test {
namespace {

class PoolFaults : public BackendTest {
protected:
    const std::vector<std::string> lock_start{"vgchange", "--lock-start", "vg_san"};

    // A pool whose LUN carries vg_san, logged out: pool-start logs in, finds the VG, lock-starts.
    void startable_pool() {
        logged_in(false);
        lun_present();
        sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
        lockspace_joined();
    }
    size_t count(const std::vector<std::string> &argv) const {
        size_t n = 0;
        for (const auto &c : sys.commands) n += c.argv == argv;
        return n;
    }
};

CommandOutput lvmlock_missing() { return fail_out(5, data_file("stderr/vgchange-lock-start-lvmlock-missing.txt")); }

// lvmlockd stats /dev/mapper/vg_san-lvmlock one second after lvm activated it; on a loaded
// host udev has not made the node yet (README demo, issue 15). The start goes on after udev
// settled.
TEST_F(PoolFaults, LockStartRetriedWhenLvmlockdFoundNoLockLvDevice) {
    startable_pool();
    sys.on(lock_start, std::vector<CommandOutput>{lvmlock_missing(), ok_out()});
    auto started = backend->start_pool(pool);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_EQ(count(lock_start), 2u);
    expect_golden("pool-start-lock-start-retry", sys.transcript());
}

TEST_F(PoolFaults, LockStartGivesUpAfterThreeAttemptsAndQuotesTheError) {
    startable_pool();
    sys.on(lock_start, lvmlock_missing());
    sys.on({"sanlock", "client", "status"}, ok_out());   // lvmlockd never got to join
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::system);
    EXPECT_EQ(started.error().message,
              "vgchange --lock-start vg_san: VG vg_san start failed: invalid parameters for sanlock (3 attempts)");
    EXPECT_NE(started.error().hint.find("/dev/mapper/vg_san-lvmlock"), std::string::npos) << started.error().hint;
    EXPECT_EQ(count(lock_start), 3u);
    // Logged in by this call: logged out again.
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal",
                         "10.0.0.50:3260", "--logout"}));
    expect_golden("pool-start-lock-start-give-up", sys.transcript());
}

TEST_F(PoolFaults, OtherLockStartFailuresAreNotRetried) {
    startable_pool();
    sys.on(lock_start, fail_out(5, "  VG vg_san start failed: lock manager sanlock is not running\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "vgchange --lock-start vg_san: VG vg_san start failed: lock manager sanlock is not running");
    EXPECT_NE(started.error().hint.find("lvmlockd and sanlock running"), std::string::npos) << started.error().hint;
    EXPECT_EQ(count(lock_start), 1u);
    expect_not_run({"udevadm"});
}

// --- a lock-start that did not join --------------------------------------------------

const std::vector<std::string> k_sanlock_status{"sanlock", "client", "status"};
const std::vector<std::string> k_logout{"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms",
                                        "--portal", "10.0.0.50:3260", "--logout"};

// Measured in the lab (host-failure): vgchange --lock-start exited 0 while sanlock's
// add_lockspace had failed ("add_lockspace error -5"); the pool counted as started, and every
// lock on it failed ("Cannot access VG vg_san due to failed lock"). A start is a start only
// when sanlock has joined the lockspace.
TEST_F(PoolFaults, ALockStartThatDidNotJoinTheLockspaceFailsTheStart) {
    startable_pool();
    sys.on(k_sanlock_status, ok_out("daemon 8c58c3fb.hosta\np -1 helper\n"));   // no lockspace
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::system);
    EXPECT_EQ(started.error().message,
              "vgchange --lock-start vg_san: sanlock has not joined lockspace lvm_vg_san although vgchange reported success");
    EXPECT_NE(started.error().hint.find("journalctl -u lvmlockd -u sanlock"), std::string::npos) << started.error().hint;
    // No join in progress: this call's login is undone.
    EXPECT_TRUE(sys.ran(k_logout)) << sys.transcript();
}

// Boot's deadline stops a lock-start that waits out an old lease (after an unclean
// power-off): lvmlockd goes on joining, on this session's disk. Logging out under it made
// the join fail with I/O errors and left the lvmlock device mapped to the vanished disk, so
// the retry's start failed too (lab, host-failure). The session stays for the next start.
TEST_F(PoolFaults, AStoppedLockStartLeavesTheSessionToTheJoinStillRunning) {
    startable_pool();
    sys.fail_to_run(lock_start, system_error("vgchange was stopped by SIGTERM"));
    sys.on(k_sanlock_status, ok_out(data_file("sanlock/status_joining_vg_san.txt")));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("stopped by SIGTERM"), std::string::npos) << started.error().message;
    expect_not_run(k_logout);
    expect_not_run({"vgchange", "--lock-stop"});
}

// The join finished as the start was stopped: the lockspace is stopped before the logout.
TEST_F(PoolFaults, AFailedStartWhoseLockspaceJoinedStopsItBeforeLoggingOut) {
    startable_pool();
    sys.fail_to_run(lock_start, system_error("vgchange was stopped by SIGTERM"));
    ASSERT_FALSE(backend->start_pool(pool).ok());
    expect_in_order({"vgchange --lock-stop vg_san", "--logout"});
}

// --- bounded login, nothing left behind ------------------------------------------------

const std::vector<std::string> k_node{"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms",
                                      "--portal", "10.0.0.50:3260"};

std::vector<std::string> with(std::vector<std::string> argv, std::initializer_list<std::string> more) {
    argv.insert(argv.end(), more);
    return argv;
}

class LoginFaults : public PoolFaults {
protected:
    // No node record for the pool's target yet: this call creates it.
    void no_record(const std::vector<std::string> &node = k_node) {
        logged_in(false);
        sys.on(node, fail_out(21, "iscsiadm: No records found\n"));
        sys.on(with(node, {"--op"}), ok_out());
        sys.on(with(node, {"--login"}), ok_out());
        sys.on(with(node, {"--logout"}), ok_out());
    }
    const Command *login_command() const {
        for (const auto &c : sys.commands)
            if (!c.argv.empty() && c.argv.back() == "--login") return &c;
        return nullptr;
    }
};

// What a failed login of the fixture pool says before the reason, with the default settings.
const std::string k_login_failed =
    "iSCSI login to iqn.2024-04.com.example:vms at 10.0.0.50:3260 failed (tried for up to 20 s, 5 s per attempt): ";

// A portal that drops or refuses connections: iscsid gives up after the pool's login
// settings (default 5 s per attempt, 4 retries: 20 s), long before the 40 s kill bound.
TEST_F(LoginFaults, DeadPortalFailsWithinTheLoginSettingsAndLeavesNoRecord) {
    no_record();
    sys.on(with(k_node, {"--login"}), fail_out(8, data_file("stderr/iscsiadm-login-timed-out.txt")));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::system);
    EXPECT_EQ(started.error().message, k_login_failed + "iscsiadm: initiator reported error (8 - connection timed out)");
    EXPECT_NE(started.error().hint.find("<login timeout="), std::string::npos) << started.error().hint;
    // The login settings are in the record before the login, and our kill bound is later
    // than iscsid's own give-up.
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "update", "--name", "node.conn[0].timeo.login_timeout", "--value", "5"})));
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "update", "--name", "node.session.initial_login_retry_max", "--value", "4"})));
    ASSERT_NE(login_command(), nullptr);
    EXPECT_EQ(login_command()->timeout, std::chrono::seconds(40));
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "delete"}))) << sys.transcript();
    expect_not_run(with(k_node, {"--logout"}));
    expect_not_run({"pvs"});
    expect_golden("pool-start-login-dead-portal", sys.transcript());
}

TEST_F(LoginFaults, KilledLoginIsLoggedOutAndItsRecordRemoved) {
    no_record();
    sys.fail_to_run(with(k_node, {"--login"}), system_error("iscsiadm did not finish within 40 s and was killed"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::system);
    EXPECT_EQ(started.error().message, k_login_failed + "iscsiadm did not finish within 40 s and was killed");
    EXPECT_FALSE(started.error().hint.empty());
    // iscsid may still finish the login it was asked for: no session to the target existed
    // before this call, so logging out cannot touch anyone else's.
    EXPECT_TRUE(sys.ran(with(k_node, {"--logout"})));
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "delete"})));
    expect_golden("pool-start-login-killed", sys.transcript());
}

TEST_F(LoginFaults, ARecordAndIfaceThatExistedBeforeAreKept) {
    use_pool("san_chap.xml");
    secrets.by_usage["san-chap"] = "pw-12345";
    logged_in(false);
    const auto node = with(k_node, {"--interface", "ilvm-san"});
    const std::string target_dir = "/etc/iscsi/nodes/iqn.2024-04.com.example:vms";
    sys.dirs[target_dir] = {"10.0.0.50,3260,1"};
    sys.dirs[target_dir + "/10.0.0.50,3260,1"] = {"ilvm-san"};
    sys.files[target_dir + "/10.0.0.50,3260,1/ilvm-san"] = data_file("iscsi/node_record_default.txt");
    sys.on(with(node, {"--login"}), fail_out(8, data_file("stderr/iscsiadm-login-refused.txt")));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("(4 - encountered connection failure)"), std::string::npos);
    expect_not_run(with(node, {"--op", "new"}));
    expect_not_run(with(node, {"--op", "delete"}));
    expect_not_run({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op", "new"});
    expect_not_run({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op", "delete"});
}

TEST_F(LoginFaults, AnIfaceCreatedByAFailedLoginIsRemoved) {
    use_pool("san_chap.xml");
    secrets.by_usage["san-chap"] = "pw-12345";
    const auto node = with(k_node, {"--interface", "ilvm-san"});
    no_record(node);
    sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san"}, fail_out(6, "iscsiadm: Could not read iface ilvm-san (6).\n"));
    sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op"}, ok_out());
    const std::string target_dir = "/etc/iscsi/nodes/iqn.2024-04.com.example:vms";
    sys.dirs[target_dir] = {"10.0.0.50,3260"};
    sys.files[target_dir + "/10.0.0.50,3260"] = data_file("iscsi/node_record_default.txt");
    sys.on(with(node, {"--login"}), fail_out(8, data_file("stderr/iscsiadm-login-timed-out.txt")));
    ASSERT_FALSE(backend->start_pool(pool).ok());
    EXPECT_TRUE(sys.ran(with(node, {"--op", "delete"})));
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op", "delete"})) << sys.transcript();
}

TEST_F(LoginFaults, LunThatNeverAppearsUndoesTheWholeLogin) {
    no_record();
    // Logged in, but the by-path link never shows up.
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::not_found);
    EXPECT_TRUE(sys.ran(with(k_node, {"--logout"})));
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "delete"})));
}

TEST_F(LoginFaults, LoginSettingsComeFromThePoolXml) {
    auto p = parse_pool_xml(
        "<pool type='iscsi-lvm'><name>san</name><source><host name='10.0.0.50'/>"
        "<login timeout='15' retries='8'/><device path='iqn.2024-04.com.example:vms'/><name>vg_san</name></source></pool>");
    ASSERT_TRUE(p.ok()) << p.error().message;
    no_record();
    sys.on(with(k_node, {"--login"}), fail_out(8, data_file("stderr/iscsiadm-login-timed-out.txt")));
    auto started = backend->start_pool(*p);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("(tried for up to 120 s, 15 s per attempt)"), std::string::npos)
        << started.error().message;
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "update", "--name", "node.conn[0].timeo.login_timeout", "--value", "15"})));
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "update", "--name", "node.session.initial_login_retry_max", "--value", "8"})));
    ASSERT_NE(login_command(), nullptr);
    EXPECT_EQ(login_command()->timeout, std::chrono::seconds(150));
}

// --- names ---------------------------------------------------------------------------

// A LUN that stops answering: its queued I/O must fail within sanlock's kill path, and not
// before the lease could fail (iscsi/session_timeouts.hpp); the session's recovery settings are
// in the record before the login. open-iscsi's default replacement_timeout is 120 s.
TEST_F(LoginFaults, RecoverySettingsAreInTheRecordBeforeTheLogin) {
    no_record();
    lun_present();
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    lockspace_joined();
    ASSERT_TRUE(backend->start_pool(pool).ok()) << sys.transcript();
    expect_in_order({"--name node.conn[0].timeo.noop_out_interval --value 5",
                     "--name node.session.timeo.replacement_timeout --value 70", "--login"});
    EXPECT_TRUE(sys.ran(with(k_node, {"--op", "update", "--name", "node.conn[0].timeo.noop_out_timeout", "--value", "5"})));
}

TEST(SessionTimeouts, QueuedIoFailsWithinTheKillPathAndNotBeforeTheLeaseCould) {
    const auto t = iscsi::session_timeouts_for(10);
    const uint32_t noop = t.noop_out_interval + t.noop_out_timeout;
    EXPECT_EQ(t.replacement_timeout, 70u);
    // Cut right after a renewal: the I/O fails no sooner than the lease (80 s).
    EXPECT_GE(noop + t.replacement_timeout, 80u);
    // Cut just before the next renewal (20 s later): it fails 10 s before the kill path's 40 s end.
    EXPECT_LE(20 + noop + t.replacement_timeout, 80u + iscsi::kSanlockKillGrace - 10);
    // A longer I/O timeout: the kill path's bound wins (its 40 s do not grow with it).
    const auto slow = iscsi::session_timeouts_for(20);
    EXPECT_LE(40 + noop + slow.replacement_timeout, 160u + iscsi::kSanlockKillGrace - 10);
    EXPECT_EQ(iscsi::session_timeouts_for(1).replacement_timeout, 5u);   // never less than 5 s
}

TEST(SessionTimeouts, AMultipathMapQueuesWhatOneSessionWouldAndEachPathGivesUpQuickly) {
    const auto q = iscsi::multipath_queueing_for(10);
    const uint32_t noop = q.session.noop_out_interval + q.session.noop_out_timeout;
    EXPECT_EQ(q.session.replacement_timeout, 5u);   // a dead path fails over after 15 s
    EXPECT_EQ(q.polling_interval, 5u);
    EXPECT_EQ(q.no_path_retry, 13u);
    const uint32_t queued = q.no_path_retry * q.polling_interval;
    EXPECT_GE(noop + q.session.replacement_timeout + queued, 80u);
    EXPECT_LE(20 + noop + q.session.replacement_timeout + queued, 80u + iscsi::kSanlockKillGrace - 10);
    const auto slow = iscsi::multipath_queueing_for(20);
    EXPECT_LE(40 + noop + slow.session.replacement_timeout + slow.no_path_retry * slow.polling_interval,
              160u + iscsi::kSanlockKillGrace - 10);
    EXPECT_GE(noop + slow.session.replacement_timeout + slow.no_path_retry * slow.polling_interval, 140u);
    EXPECT_EQ(iscsi::multipath_queueing_for(1).no_path_retry, 1u);   // at least one retry
}

TEST_F(PoolFaults, BuildRefusesAVgNameThatIsADevEntryOnThisHost) {
    // "sdb" passes the name rules; on this host /dev/sdb is a disk, and vgcreate would fail
    // late with "/dev/sdb: already exists in filesystem".
    PoolDef p = pool;
    p.vg_name = "sdb";
    sys.paths.insert("/dev/sdb");
    auto built = backend->build_pool(p, {});
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(built.error().message,
              "volume group name 'sdb' cannot be used on this host: /dev/sdb exists, and LVM puts a VG's volumes there");
    EXPECT_TRUE(sys.commands.empty()) << sys.transcript();
}

TEST(IfaceNames, ShortNamesKeepTheirIfaceLongOnesGetOneOfTheirOwn) {
    PoolDef a, b, c;
    a.name = "san";
    EXPECT_EQ(iscsi::iface_name_for_pool(a), "ilvm-san");  // what every earlier version made
    a.name = std::string(59, 'p');
    EXPECT_EQ(iscsi::iface_name_for_pool(a), "ilvm-" + a.name);
    // Two 64-character names sharing 59 characters shared "ilvm-" + those 59 before.
    b.name = std::string(59, 'p') + "aaaaa";
    c.name = std::string(59, 'p') + "bbbbb";
    const std::string ib = iscsi::iface_name_for_pool(b), ic = iscsi::iface_name_for_pool(c);
    EXPECT_NE(ib, ic);
    EXPECT_EQ(ib.size(), 64u);
    EXPECT_EQ(ic.size(), 64u);
    EXPECT_EQ(ib.substr(0, 48), "ilvm_" + std::string(42, 'p') + "_");
    EXPECT_NE(ib, iscsi::iface_name_for_pool(a));
    // A 59-character pool named like a long pool's iface (minus "ilvm-") cannot take it.
    PoolDef d;
    d.name = ib.substr(5);
    EXPECT_EQ(d.name.size(), 59u);
    EXPECT_NE(iscsi::iface_name_for_pool(d), ib);
    // Stable: the same name gives the same iface in every run and on every host.
    EXPECT_EQ(iscsi::iface_name_for_pool(b), ib);
    PoolDef sixty;
    sixty.name = std::string(60, 'q');
    EXPECT_EQ(iscsi::iface_name_for_pool(sixty).size(), 64u);
    EXPECT_EQ(iscsi::iface_name_for_pool(sixty).substr(0, 5), "ilvm_");
}

}  // namespace
}  // namespace ilvm::test
