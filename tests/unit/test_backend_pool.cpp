// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden-argv tests of the pool lifecycle (libvirt storagepoolxml2argvtest style).
#include "backend_fixture.hpp"
#include "log_capture.hpp"
#include "lvm/lvm_version.hpp"

namespace ilvm::test {
namespace {

class PoolOps : public BackendTest {
protected:
    // A CHAP pool built on a fresh host whose open-iscsi keeps its node records under
    // `nodes_dir`: the same commands (golden), the secret on no argv, only in the record (0600).
    void build_chap_pool_with_records_in(const std::string &nodes_dir) {
        use_pool("san_chap.xml");
        secrets.by_usage["san-chap"] = "s3cr3t-Chap-Pw!";
        logged_in(false);
        lun_present();
        const std::string target_dir = nodes_dir + "/iqn.2024-04.com.example:vms";
        const std::string record = target_dir + "/10.0.0.50,3260,-1/ilvm-san";
        sys.dirs[target_dir] = {"10.0.0.50,3260,-1"};
        sys.dirs[target_dir + "/10.0.0.50,3260,-1"] = {"ilvm-san"};
        sys.files[record] = data_file("iscsi/node_record_default.txt");
        // A fresh host: no iface, no node record yet.
        sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san"}, fail_out(6, "iscsiadm: Could not read iface ilvm-san (6).\n"));
        sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op"}, ok_out());
        sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260",
                "--interface", "ilvm-san"},
               fail_out(21, "iscsiadm: No records found\n"));
        sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260",
                "--interface", "ilvm-san", "--op"},
               ok_out());
        sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260",
                "--interface", "ilvm-san", "--login"},
               ok_out());
        sys.on({"blkid"}, fail_out(2, ""));
        vgs("vgs_vg_san.json");
        ASSERT_TRUE(backend->build_pool(pool, {}).ok());
        expect_golden("pool-build-chap-initiator", sys.transcript());
        for (const auto &c : sys.commands) {
            for (const auto &a : c.argv) EXPECT_EQ(a.find("s3cr3t"), std::string::npos) << c.display();
            EXPECT_EQ(c.stdin_data.find("s3cr3t"), std::string::npos);
    }
    // The secret lives in the node record only, 0600, with the CHAP method and user.
    EXPECT_EQ(sys.modes[record], 0600u);
    EXPECT_NE(sys.files[record].find("node.session.auth.password = s3cr3t-Chap-Pw!\n"), std::string::npos);
    EXPECT_NE(sys.files[record].find("node.session.auth.authmethod = CHAP\n"), std::string::npos);
    EXPECT_NE(sys.files[record].find("node.session.auth.username = vmhost\n"), std::string::npos);
    EXPECT_EQ(sys.files[record].find("password = <empty>"), std::string::npos);
    }
};

TEST_F(PoolOps, BuildFreshLunCreatesSharedVgAndRestoresState) {
    logged_in(false);
    sys.on({"iscsiadm", "--mode", "node", "--targetname"}, fail_out(21, "iscsiadm: No records found\n"));
    sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260", "--op"}, ok_out());
    sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260", "--login"}, ok_out());
    lun_present();
    sys.on({"blkid"}, fail_out(2, ""));
    vgs("vgs_vg_san.json");
    auto built = backend->build_pool(pool, {});
    ASSERT_TRUE(built.ok()) << built.error().message;
    EXPECT_EQ(built->vg_uuid, "Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa");
    expect_golden("pool-build-fresh", sys.transcript());
}

TEST_F(PoolOps, BuildKeepStartedSkipsLockStopAndLogout) {
    logged_in(false);
    lun_present();
    sys.on({"blkid"}, fail_out(2, ""));
    vgs("vgs_vg_san.json");
    ASSERT_TRUE(backend->build_pool(pool, {false, true}).ok());
    expect_not_run({"vgchange", "--lock-stop"});
    expect_not_run({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260", "--logout"});
    expect_golden("pool-build-keep-started", sys.transcript());
}

TEST_F(PoolOps, BuildRefusesLunWithSignatures) {
    logged_in(false);
    lun_present();
    sys.on({"blkid"}, ok_out("DEVNAME=/dev/sdb\nUUID=0f1e\nTYPE=ext4\n"));
    auto built = backend->build_pool(pool, {});
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, ErrorCode::conflict);
    EXPECT_NE(built.error().message.find("not empty (found TYPE=ext4)"), std::string::npos) << built.error().message;
    EXPECT_NE(built.error().hint.find("--overwrite"), std::string::npos);
    for (const char *tool : {"vgcreate", "wipefs", "lvcreate"}) expect_not_run({tool});
    expect_golden("pool-build-refuse-nonempty", sys.transcript());
}

TEST_F(PoolOps, BuildRefusesPartitionTableToo) {
    logged_in(true);
    lun_present();
    sys.on({"blkid"}, ok_out("DEVNAME=/dev/sdb\nPTUUID=77aa\nPTTYPE=gpt\n"));
    auto built = backend->build_pool(pool, {});
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, ErrorCode::conflict);
    expect_no_mutation();
    // We were logged in before: the refusal must not log us out.
    expect_not_run({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260", "--logout"});
}

TEST_F(PoolOps, BuildOverwriteWipesFirst) {
    logged_in(true);
    lun_present();
    sys.on({"blkid"}, ok_out("TYPE=LVM2_member\n"));
    vgs("vgs_vg_san.json");
    ASSERT_TRUE(backend->build_pool(pool, {true, false}).ok());
    expect_golden("pool-build-overwrite", sys.transcript());
}

TEST_F(PoolOps, BuildRollsBackPvWhenVgcreateFails) {
    logged_in(true);
    lun_present();
    sys.on({"blkid"}, fail_out(2, ""));
    sys.on({"vgcreate"}, fail_out(5, "  Failed to initialize lock args for lock type sanlock\n"));
    auto built = backend->build_pool(pool, {});
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, ErrorCode::system);
    EXPECT_EQ(built.error().message, "vgcreate vg_san: Failed to initialize lock args for lock type sanlock");
    EXPECT_TRUE(sys.ran({"wipefs", "--all", pool.by_path_device(pool.portals.front())}));
}

TEST_F(PoolOps, BuildLocalVgHasNoSharedOptions) {
    use_pool("local.xml");
    logged_in(false);
    lun_present();
    sys.on({"blkid"}, fail_out(2, ""));
    sys.on({"vgs"}, ok_out(R"({"report":[{"vg":[{"vg_name":"vg_lab","vg_uuid":"Ab12Cd-0000-1111-2222-3333-4444-55EeFf","vg_size":"4290772992","vg_free":"4290772992","vg_extent_size":"4194304","vg_extent_count":"1023","vg_free_count":"1023","lv_count":"0","vg_lock_type":"","vg_lock_args":""}]}]})"));
    ASSERT_TRUE(backend->build_pool(pool, {}).ok());
    expect_golden("pool-build-local", sys.transcript());
}

TEST_F(PoolOps, BuildWithChapAndInitiatorNeverPutsSecretOnArgv) { build_chap_pool_with_records_in("/etc/iscsi/nodes"); }

// Debian 13's open-iscsi (2.1.11) keeps its node records under /var/lib/iscsi/nodes: the lab's
// first CHAP pool there failed "no open-iscsi node record for … at 10.0.2.2:32941" while the
// backend looked only under /etc/iscsi/nodes. The same commands, the secret in that record.
TEST_F(PoolOps, BuildWithChapOnDebian13WritesTheRecordUnderVarLib) { build_chap_pool_with_records_in("/var/lib/iscsi/nodes"); }

TEST_F(PoolOps, LoginAuthFailureLeavesNoRecordBehind) {
    use_pool("san_chap.xml");
    secrets.by_usage["san-chap"] = "wrong-password";
    logged_in(false);
    const std::string target_dir = "/etc/iscsi/nodes/iqn.2024-04.com.example:vms";
    sys.dirs[target_dir] = {"10.0.0.50,3260,-1"};
    sys.dirs[target_dir + "/10.0.0.50,3260,-1"] = {"ilvm-san"};
    sys.files[target_dir + "/10.0.0.50,3260,-1/ilvm-san"] = data_file("iscsi/node_record_default.txt");
    const std::vector<std::string> node{"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms",
                                        "--portal", "10.0.0.50:3260", "--interface", "ilvm-san"};
    sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san"}, fail_out(6, "iscsiadm: Could not read iface ilvm-san (6).\n"));
    sys.on({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op"}, ok_out());
    sys.on(node, fail_out(21, "iscsiadm: No records found\n"));
    auto op = node;
    op.push_back("--op");
    sys.on(op, ok_out());
    auto login = node;
    login.push_back("--login");
    sys.on(login, fail_out(24, "iscsiadm: Could not login to [iface: ilvm-san, target: iqn.2024-04.com.example:vms, portal: 10.0.0.50,3260].\n"
                               "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(started.error().message,
              "iSCSI login to iqn.2024-04.com.example:vms at 10.0.0.50:3260 failed: CHAP authentication rejected by the target");
    auto del = node;
    del.insert(del.end(), {"--op", "delete"});
    EXPECT_TRUE(sys.ran(del)) << sys.transcript();
    // The iface this login created goes too.
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op", "delete"})) << sys.transcript();
    expect_not_run({"vgchange"});
    expect_golden("pool-start-chap-auth-failure", sys.transcript());
}

TEST_F(PoolOps, MissingSecretIsNotFoundBeforeAnyCommand) {
    use_pool("san_chap.xml");
    logged_in(false);
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::not_found);
    expect_no_mutation();
}

TEST_F(PoolOps, StartPinsVgUuidOnFirstUse) {
    logged_in(false);
    lun_present();
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    lockspace_joined();
    auto started = backend->start_pool(pool);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_EQ(started->vg_uuid, "Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa");
    expect_golden("pool-start", sys.transcript());
}

TEST_F(PoolOps, StartRefusesWrongVgUuid) {
    use_pool("san_pinned.xml");
    logged_in(false);
    lun_present();
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_other_vg.json")));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::conflict);
    EXPECT_NE(started.error().message.find("is pinned to Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa"), std::string::npos);
    expect_not_run({"vgchange"});
    expect_golden("pool-start-wrong-uuid", sys.transcript());
}

TEST_F(PoolOps, StartRefusesBlankLun) {
    logged_in(true);
    lun_present();
    sys.on({"pvs"}, fail_out(5, "  Failed to find physical volume \"/dev/disk/by-path/x\".\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::not_found);
    EXPECT_NE(started.error().hint.find("pool-build san"), std::string::npos);
    expect_no_mutation();
}

TEST_F(PoolOps, StartRefusesOtherVgName) {
    logged_in(true);
    lun_present();
    sys.on({"pvs"}, ok_out(R"({"report":[{"pv":[{"pv_name":"/dev/sdb","pv_uuid":"x","vg_name":"vg_other","vg_uuid":"y"}]}]})"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::conflict);
    EXPECT_NE(started.error().message.find("carries volume group vg_other"), std::string::npos);
    expect_no_mutation();
}

TEST_F(PoolOps, StartTimesOutWhenLunNeverAppears) {
    logged_in(false);
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::not_found);
    EXPECT_NE(started.error().message.find("did not appear within 5 s"), std::string::npos);
    // Logged in for nothing: logged out again.
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal",
                         "10.0.0.50:3260", "--logout"}));
    expect_not_run({"vgchange"});
}

TEST_F(PoolOps, StartLocalPoolNeedsNoLockStart) {
    use_pool("local.xml");
    logged_in(false);
    lun_present();
    sys.on({"pvs"}, ok_out(R"({"report":[{"pv":[{"pv_name":"/dev/sdb","pv_uuid":"x","vg_name":"vg_lab","vg_uuid":"Ab12Cd-0000-1111-2222-3333-4444-55EeFf"}]}]})"));
    ASSERT_TRUE(backend->start_pool(pool).ok());
    expect_not_run({"vgchange"});
    expect_golden("pool-start-local", sys.transcript());
}

TEST_F(PoolOps, RefreshIsOneVgsAndOneLvs) {
    started_pool();
    vgs("vgs_vg_san_used.json");
    lvs({"lvs_three.json"});
    auto snap = backend->refresh_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ(sys.commands.size(), 2u);
    expect_golden("pool-refresh", sys.transcript());
    EXPECT_EQ(snap->status.capacity, 10733223936u);
    EXPECT_EQ(snap->status.available, 5364514816u);
    EXPECT_EQ(snap->status.allocation, 10733223936u - 5364514816u);
    ASSERT_EQ(snap->volumes.size(), 3u);
    EXPECT_EQ(snap->volumes[0].def.name, "vm1");
    EXPECT_EQ(snap->volumes[0].status.key, "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa");
    EXPECT_EQ(snap->volumes[0].status.activation, ActivationState::inactive);
    EXPECT_TRUE(snap->volumes[0].status.activation_skip);
    EXPECT_FALSE(snap->volumes[0].status.autoactivation);
    EXPECT_EQ(snap->volumes[1].status.activation, ActivationState::exclusive);
    EXPECT_TRUE(snap->volumes[1].status.open);
    EXPECT_EQ(snap->volumes[1].status.path, "/dev/vg_san/vm2");
}

// pool-info's vgs (lvm::vgs_report_with_mda): refresh_pool's fields and the metadata area's.
const std::vector<std::string> kVgsWithMda{"vgs", "--reportformat", "json", "--units", "b", "--nosuffix", "--binary", "-o",
                                           "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,"
                                           "lv_count,vg_lock_type,vg_lock_args,vg_mda_free,vg_mda_size"};

// pool-info: where every volume is, in at most five commands at any size (issue 16): one vgs
// with the metadata area, lvs, one lvmlockctl -i for the volumes active here, one dump of the
// delta leases (the hosts' names) and one of the LV leases of the volumes inactive here,
// from the first to the end of the last (never the gap between the two: see lease_range).
TEST_F(PoolOps, InspectReadsEveryLeaseInOneDump) {
    started_pool();
    std::string report = data_file("lvm/vgs_vg_san_used.json");
    const auto at = report.find("\"vg_name\"");
    ASSERT_NE(at, std::string::npos);
    report.insert(at, "\"vg_mda_free\":\"520000\", \"vg_mda_size\":\"1044480\", ");
    sys.on(kVgsWithMda, ok_out(report));
    lvs({"lvs_three.json"});
    sys.on({"lvmlockctl", "-i"},
           ok_out("VG vg_san lock_type=sanlock KONMr0-bGNi-kQ3P-rWNy-NrKt-9EPR-C1tqtO\nLS sanlock lvm_vg_san\n"
                  "LK LV ex exxNPX-wZdO-uCNy-yiGa-aJGT-JKVl-arfcYT\nLK LV sh Gk2mQe-8dPz-Lm0v-Yt7R-cW1x-Fb5N-aS3uJh\n"));
    sys.on({"sanlock", "direct", "dump"}, ok_out(data_file("sanlock/dump_pool_vm1_held_by_2.txt")));
    auto snap = backend->inspect_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    expect_golden("pool-inspect", sys.transcript());
    ASSERT_TRUE(snap->metadata_area.has_value());
    EXPECT_EQ(snap->metadata_area->mda_size, 1044480u);
    EXPECT_EQ(snap->metadata_area->mda_free, 520000u);
    ASSERT_EQ(snap->volumes.size(), 3u);
    EXPECT_EQ(snap->volumes[0].status.holder_host_id, 2u);
    EXPECT_EQ(snap->volumes[0].status.holder_host_name, "kvm-b");
    EXPECT_FALSE(snap->volumes[0].status.holder_shared);
    EXPECT_EQ(snap->volumes[1].status.activation, ActivationState::exclusive);
    EXPECT_FALSE(snap->volumes[1].status.holder_host_id.has_value());
    EXPECT_EQ(snap->volumes[2].status.activation, ActivationState::shared);
    EXPECT_EQ(snap->status.capacity, 10733223936u);
    expect_no_mutation();
}

// The same answers as refresh_vol with the holder lookup, volume by volume: pool-info and
// vol-info must not disagree.
TEST_F(PoolOps, InspectAgreesWithRefreshVolPerVolume) {
    started_pool();
    vgs("vgs_vg_san_used.json");
    lvs({"lvs_three.json"});
    sys.on({"lvmlockctl", "-i"},
           ok_out("VG vg_san lock_type=sanlock KONMr0-bGNi-kQ3P-rWNy-NrKt-9EPR-C1tqtO\nLS sanlock lvm_vg_san\n"
                  "LK LV sh Gk2mQe-8dPz-Lm0v-Yt7R-cW1x-Fb5N-aS3uJh\n"));
    sys.on({"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:70254592:8388608"},
           ok_out(data_file("sanlock/dump_lv_held_by_2.txt")));
    sys.on({"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"}, ok_out(data_file("sanlock/dump_delta.txt")));
    auto snap = backend->inspect_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    for (const auto &whole : snap->volumes) {
        auto one = backend->refresh_vol(pool, whole.def.name, true);
        ASSERT_TRUE(one.ok()) << one.error().message;
        EXPECT_EQ(whole.status.activation, one->status.activation) << whole.def.name;
        EXPECT_EQ(whole.status.holder_host_id, one->status.holder_host_id) << whole.def.name;
        EXPECT_EQ(whole.status.holder_host_name, one->status.holder_host_name) << whole.def.name;
        EXPECT_EQ(whole.status.holder_shared, one->status.holder_shared) << whole.def.name;
    }
}

// A local pool has no leases and no lvmlockd: refresh_pool's two commands and the metadata area.
TEST_F(PoolOps, InspectOfALocalPoolIsVgsAndLvs) {
    use_pool("local.xml");
    started_pool();
    sys.on({"vgs"}, ok_out(R"({"report":[{"vg":[{"vg_name":"vg_lab","vg_uuid":"Ab12Cd-0000-1111-2222-3333-4444-55EeFf","vg_size":"4290772992","vg_free":"2143289344","vg_extent_size":"4194304","vg_extent_count":"1023","vg_free_count":"511","lv_count":"3","vg_lock_type":"","vg_lock_args":""}]}]})"));
    lvs({"lvs_three.json"});
    auto snap = backend->inspect_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ(sys.commands.size(), 2u) << sys.transcript();   // vgs (with the metadata area), lvs
}

// sanlock cannot read the leases: the volumes are listed without holders, and the log says why.
TEST_F(PoolOps, InspectWithoutLeasesSaysSoAndListsTheVolumes) {
    started_pool();
    vgs("vgs_vg_san_used.json");
    lvs({"lvs_vm1.json"});
    sys.on({"sanlock", "direct", "dump"}, fail_out(1, "open error -13 /dev/mapper/vg_san-lvmlock\n"));
    LogCapture log;
    auto snap = backend->inspect_pool(pool);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    ASSERT_EQ(snap->volumes.size(), 1u);
    EXPECT_FALSE(snap->volumes[0].status.holder_host_id.has_value());
    EXPECT_TRUE(log.contains("cannot read the sanlock leases of vg_san (open error -13 /dev/mapper/vg_san-lvmlock)"))
        << log.text();
    EXPECT_EQ(sys.commands.size(), 3u) << sys.transcript();
}

TEST_F(PoolOps, StopRefusesWhileAVolumeIsOpen) {
    started_pool();
    lvs({"lvs_three.json"});
    auto st = backend->stop_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(st.error().message, "volume 'vm2' of pool san is open on this host");
    expect_no_mutation();
}

TEST_F(PoolOps, StopDeactivatesIdleVolumesThenLockStopsAndLogsOut) {
    started_pool();
    lvs({"lvs_vm1_active_here.json"});
    ASSERT_TRUE(backend->stop_pool(pool).ok());
    expect_golden("pool-stop", sys.transcript());
}

TEST_F(PoolOps, StopOfPoolNotLoggedInIsANoOp) {
    logged_in(false);
    ASSERT_TRUE(backend->stop_pool(pool).ok());
    EXPECT_EQ(sys.commands.size(), 1u);
}

TEST_F(PoolOps, DeleteRefusesPoolWithVolumes) {
    started_pool();
    vgs("vgs_vg_san_used.json");
    lvs({"lvs_three.json"});
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(st.error().message, "pool san still has 3 volume(s)");
    expect_no_mutation();
    expect_golden("pool-delete-refuse", sys.transcript());
}

TEST_F(PoolOps, DeleteEmptyPoolRemovesVgAndPv) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    ASSERT_TRUE(backend->delete_pool(pool).ok());
    expect_golden("pool-delete", sys.transcript());
}

TEST_F(PoolOps, DeleteRefusedWhileOtherHostsUseTheLockspace) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    sys.on({"vgremove"}, fail_out(5, "  Lockspace for \"vg_san\" not stopped on other hosts\n"));
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    expect_not_run({"wipefs"});
}

TEST_F(PoolOps, DeleteStillSucceedsWhenTidyingFailsAfterVgremove) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    sys.on({"wipefs"}, fail_out(1, "wipefs: error: probing initialization failed: Device or resource busy\n"));
    EXPECT_TRUE(backend->delete_pool(pool).ok());
    // The tidying was tried (and failed) after the VG was gone, and the logout still ran.
    expect_in_order({"vgremove vg_san", "wipefs --all", "--logout"});
}

// lvm2 2.03.31/2.03.32 (Debian 13): lvmlockd's own vgremove of a sanlock VG never ends
// (lvm/lvm_version.hpp), so the backend checks the lockspace itself and takes lvmlockd(8)'s
// forced way out of the shared lock type.
void lvm_release(FakeSystem &sys, const char *version) {
    sys.on({"lvm", "version"}, ok_out(data_file(std::string("lvm/lvm_version_") + version + ".txt")));
}
void in_lockspace_with(FakeSystem &sys, const char *host_status) {
    sys.on({"sanlock", "client", "status"}, ok_out(data_file("sanlock/status_joined_vg_san.txt")));
    sys.on({"sanlock", "client", "host_status", "-s", "lvm_vg_san"},
           ok_out(data_file(std::string("sanlock/") + host_status)));
}

TEST_F(PoolOps, DeleteOnLvm2_03_16LetsLvmlockdRemoveTheVg) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.16");
    ASSERT_TRUE(backend->delete_pool(pool).ok());
    expect_in_order({"lvm version", "vgremove vg_san", "wipefs --all"});
    expect_not_run({"vgchange"});
    expect_not_run({"sanlock"});
}

TEST_F(PoolOps, DeleteOnLvm2_03_31RemovesTheVgPastLvmlockdWhenNoOtherHostIsIn) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    in_lockspace_with(sys, "host_status_vg_san_only_us.txt");
    ASSERT_TRUE(backend->delete_pool(pool).ok());
    expect_not_run({"vgremove", "vg_san"});
    expect_golden("pool-delete-lvm-2.03.31", sys.transcript());
}

TEST_F(PoolOps, DeleteOnLvm2_03_31RefusedWhileAnotherHostIsInTheLockspace) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    in_lockspace_with(sys, "host_status_vg_san_hostb_live.txt");
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(st.error().message, "vgremove vg_san: host 2 (hostb) is still in its lockspace lvm_vg_san");
    EXPECT_EQ(st.error().hint, "stop the pool on every other host first (ilvm pool-destroy san)");
    expect_no_mutation();
}

TEST_F(PoolOps, DeleteOnLvm2_03_31RefusedWhenThisHostIsNotInTheLockspace) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    sys.on({"sanlock", "client", "status"}, ok_out(data_file("sanlock/status_D_no_lockspace.txt")));
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(st.error().message, "vgremove vg_san: this host has not joined lockspace lvm_vg_san");
    expect_no_mutation();
    expect_not_run({"sanlock", "client", "host_status"});
}

TEST_F(PoolOps, DeleteOnLvm2_03_31RefusedWhenSanlockCannotSayWhoIsIn) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    sys.on({"sanlock", "client", "status"}, ok_out(data_file("sanlock/status_joined_vg_san.txt")));
    sys.on({"sanlock", "client", "host_status"}, fail_out(1, "sanlock_host_status error -111\n"));
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::system);
    expect_no_mutation();
}

TEST_F(PoolOps, DeleteOnLvm2_03_31JoinsTheLockspaceAgainWhenTheLockTypeStays) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    in_lockspace_with(sys, "host_status_vg_san_only_us.txt");
    sys.on({"vgchange", "--locktype"}, fail_out(5, "  Cannot change VG vg_san with active LVs\n"));
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::system);
    EXPECT_NE(st.error().hint.find("nothing was removed; pool san is started here as before"), std::string::npos)
        << st.error().hint;
    expect_in_order({"vgchange --lock-stop vg_san", "vgchange --locktype none", "vgchange --lock-start"});
    expect_not_run({"vgremove"});
    expect_not_run({"wipefs"});
}

TEST_F(PoolOps, DeleteOnLvm2_03_31SaysWhatIsLeftWhenTheLocalVgStays) {
    started_pool();
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    lvm_release(sys, "2.03.31");
    in_lockspace_with(sys, "host_status_vg_san_only_us.txt");
    sys.on({"vgremove"}, fail_out(5, "  Volume group \"vg_san\" not found\n"));
    auto st = backend->delete_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().hint.find("a local VG now"), std::string::npos) << st.error().hint;
    expect_not_run({"wipefs"});
}

TEST(LvmVersion, ReadsTheToolsReleaseOfBothLabReleases) {
    auto old = lvm::parse_lvm_version(data_file("lvm/lvm_version_2.03.16.txt"));
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->text(), "2.03.16");
    auto now = lvm::parse_lvm_version(data_file("lvm/lvm_version_2.03.31.txt"));
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(now->text(), "2.03.31");
    EXPECT_FALSE(lvm::parse_lvm_version("  Library version: 1.02.185 (2022-05-18)\n").has_value());
    EXPECT_FALSE(lvm::parse_lvm_version("  LVM version:     unknown\n").has_value());
}

TEST(LvmVersion, OnlyTheTwoReleasesWithTheBrokenRenameAreAvoided) {
    using lvm::LvmVersion;
    EXPECT_FALSE(lvm::lvmlockd_vgremove_hangs(LvmVersion{2, 3, 16}));
    EXPECT_FALSE(lvm::lvmlockd_vgremove_hangs(LvmVersion{2, 3, 30}));
    EXPECT_TRUE(lvm::lvmlockd_vgremove_hangs(LvmVersion{2, 3, 31}));
    EXPECT_TRUE(lvm::lvmlockd_vgremove_hangs(LvmVersion{2, 3, 32}));
    EXPECT_FALSE(lvm::lvmlockd_vgremove_hangs(LvmVersion{2, 3, 33}));
    EXPECT_FALSE(lvm::lvmlockd_vgremove_hangs(LvmVersion{3, 0, 0}));
}

TEST_F(PoolOps, CheckPoolReportsSessionAndDevice) {
    started_pool();
    auto active = backend->check_pool(pool);
    ASSERT_TRUE(active.ok());
    EXPECT_TRUE(*active);
    sys.paths.clear();
    EXPECT_FALSE(*backend->check_pool(pool));
}

TEST_F(PoolOps, ForgetRefusesWhileLoggedIn) {
    started_pool();
    auto st = backend->forget_pool(pool);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    expect_no_mutation();
}

TEST_F(PoolOps, SharedSessionSurvivesStopDeleteAndForget) {
    // Two pools on two LUNs of one target: the other pool still uses the session/record.
    started_pool();
    lvs({"lvs_vm1.json"});
    ASSERT_TRUE(backend->stop_pool(pool, SessionUse::shared).ok());
    EXPECT_TRUE(sys.ran({"vgchange", "--lock-stop", "vg_san"}));
    vgs("vgs_vg_san.json");
    lvs({"lvs_empty.json"});
    ASSERT_TRUE(backend->delete_pool(pool, SessionUse::shared).ok());
    ASSERT_TRUE(backend->forget_pool(pool, SessionUse::shared).ok());
    for (const auto &c : sys.commands)
        for (const auto &a : c.argv) EXPECT_TRUE(a != "--logout" && a != "delete") << c.display();
}

TEST_F(PoolOps, ForgetAlsoRemovesOurIface) {
    use_pool("san_chap.xml");
    logged_in(false);
    ASSERT_TRUE(backend->forget_pool(pool).ok());
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "iface", "--interface", "ilvm-san", "--op", "delete"}));
}

TEST_F(PoolOps, ForgetDeletesNodeRecord) {
    logged_in(false);
    ASSERT_TRUE(backend->forget_pool(pool).ok());
    expect_golden("pool-forget", sys.transcript());
}

}  // namespace
}  // namespace ilvm::test
