// SPDX-License-Identifier: LGPL-2.1-or-later
// Parsers of what LVM, sanlock and iscsiadm print, fed recorded output.
#include <gtest/gtest.h>

#include <tuple>

#include "fake_system.hpp"
#include "iscsi/node_record.hpp"
#include "iscsi/session.hpp"
#include "iscsi/session_details.hpp"
#include "lvm/lock_info.hpp"
#include "lvm/lvm_argv.hpp"
#include "lvm/lvm_report.hpp"
#include "sanlock/lease_dump.hpp"
#include "sanlock/lease_table.hpp"
#include "sanlock/vg_lock_lease.hpp"

namespace ilvm::test {
namespace {

TEST(LvmReport, ParsesRecordedVgs) {
    auto vgs = lvm::parse_vgs_json(data_file("lvm/vgs_vg_san.json"));
    ASSERT_TRUE(vgs.ok()) << vgs.error().message;
    ASSERT_EQ(vgs->size(), 1u);
    EXPECT_EQ((*vgs)[0].uuid, "Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa");
    EXPECT_EQ((*vgs)[0].extent_size, 4194304u);
    EXPECT_EQ((*vgs)[0].lock_type, "sanlock");
}

TEST(LvmReport, ParsesRecordedLvsAndDropsLockLv) {
    std::string json = data_file("lvm/lvs_three.json");
    json.insert(json.find("{\"lv_name\":\"vm1\""),
                R"({"lv_name":"[lvmlock]", "lv_uuid":"x", "lv_size":"1073741824", "lv_path":"", "lv_active_locally":"1", "lv_active_exclusively":"0", "lv_device_open":"1", "lv_skip_activation":"0", "lv_autoactivation":"1", "lv_lockargs":""},)");
    auto lvs = lvm::parse_lvs_json(json);
    ASSERT_TRUE(lvs.ok()) << lvs.error().message;
    ASSERT_EQ(lvs->size(), 3u);
    EXPECT_TRUE((*lvs)[1].device_open);
    EXPECT_TRUE((*lvs)[0].skip_activation);
    EXPECT_FALSE((*lvs)[0].autoactivation);
    EXPECT_EQ(*lvm::sanlock_offset_from_lock_args((*lvs)[0].lock_args), 70254592u);
}

TEST(LvmReport, UnknownBinaryFieldsAreNotSet) {
    // lvs --binary on a real host: an inactive LV reports lv_device_open as -1.
    auto lvs = lvm::parse_lvs_json(R"({"report":[{"lv":[{"lv_name":"cache","lv_uuid":"u","lv_size":"33554432","lv_path":"/dev/vg_san/cache","lv_active_locally":"0","lv_active_exclusively":"-1","lv_device_open":"-1","lv_skip_activation":"1","lv_autoactivation":"0","lv_lockargs":"1.0.0:1"}]}]})");
    ASSERT_TRUE(lvs.ok());
    EXPECT_FALSE((*lvs)[0].device_open);
    EXPECT_FALSE((*lvs)[0].active_exclusively);
    EXPECT_TRUE((*lvs)[0].skip_activation);
    // Recorded in the lab without --binary: words mean "set".
    auto rec = lvm::parse_lvs_json(data_file("../e2e/recorded/lvs.json"));
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    ASSERT_EQ(rec->size(), 2u);
    EXPECT_TRUE((*rec)[0].skip_activation);
    EXPECT_EQ((*rec)[0].size, 67108864u);
}

TEST(LvmReport, ReadsEveryTagWhateverItsLength) {
    // The tags were once split out of a temporary string: beyond the small-string buffer
    // (15 characters) they were read from freed memory (found by the qcow2 volumes' tags).
    const std::string tags = "ilvm_qcow2,ilvm_capacity_107374182400,an_administrators_own_tag_of_some_length";
    auto lvs = lvm::parse_lvs_json(R"({"report":[{"lv":[{"lv_name":"thin","lv_size":"4194304","lv_tags":")" + tags +
                                   R"("}]}]})");
    ASSERT_TRUE(lvs.ok()) << lvs.error().message;
    EXPECT_EQ((*lvs)[0].tags, (std::vector<std::string>{"ilvm_qcow2", "ilvm_capacity_107374182400",
                                                        "an_administrators_own_tag_of_some_length"}));
}

TEST(LvmReport, RejectsGarbage) {
    EXPECT_FALSE(lvm::parse_lvs_json("not json").ok());
    EXPECT_FALSE(lvm::parse_lvs_json("{\"nope\":1}").ok());
    EXPECT_FALSE(lvm::parse_vgs_json(R"({"report":[{"vg":[{"vg_name":"v","vg_size":"12x"}]}]})").ok());
    EXPECT_FALSE(lvm::sanlock_offset_from_lock_args("1.0.0:abc").ok());
    EXPECT_FALSE(lvm::sanlock_offset_from_lock_args("").ok());
}

TEST(LvmReport, RefusesWhatLvmNeverPrints) {
    const std::string row = R"({"lv_name":"vm1","lv_uuid":"u","lv_size":"4194304"})";
    const auto report = [](const std::string &rows) { return R"({"report":[{"lv":[)" + rows + "]}]}"; };
    ASSERT_TRUE(lvm::parse_lvs_json(report(row)).ok());
    // A NUL written \u0000 would cut the name short wherever it meets a C string.
    auto nul = lvm::parse_lvs_json(report(R"({"lv_name":"vm1\u0000x","lv_size":"4194304"})"));
    ASSERT_FALSE(nul.ok());
    EXPECT_NE(nul.error().message.find("NUL"), std::string::npos) << nul.error().message;
    EXPECT_FALSE(lvm::parse_lvs_json(report(row) + " {}").ok());            // something after the report
    EXPECT_FALSE(lvm::parse_lvs_json(report(row).substr(0, 30)).ok());       // cut short
    EXPECT_FALSE(lvm::parse_lvs_json(R"({"report":{"lv":[]}})").ok());      // report not an array
    EXPECT_FALSE(lvm::parse_lvs_json(R"({"report":[{"lv":{}}]})").ok());    // section not an array
    EXPECT_FALSE(lvm::parse_lvs_json(report("1")).ok());                     // row not an object
    EXPECT_FALSE(lvm::parse_lvs_json("[]").ok());                            // no top-level object
    EXPECT_FALSE(lvm::parse_lvs_json("{\"report\":[{\"lv\":[{\"lv_name\":\"\xff\"}]}]}").ok());  // not UTF-8
}

TEST(LvmReport, FieldsOfAnotherTypeReadAsEmpty) {
    // Every field LVM prints is a string; a number or null where a string belongs is empty
    // (a size then fails as non-numeric), and an unknown section or field is passed over.
    auto lvs = lvm::parse_lvs_json(
        R"({"log":[{"x":1}],"report":[{"vg":[]},{"lv":[{"lv_name":"a","lv_size":"512","lv_tags":null,"extra":{"deep":[1,{"k":"v"}]},"lv_device_open":1}]}]})");
    ASSERT_TRUE(lvs.ok()) << lvs.error().message;
    ASSERT_EQ(lvs->size(), 1u);
    EXPECT_TRUE((*lvs)[0].tags.empty());
    EXPECT_FALSE((*lvs)[0].device_open);   // present but not a string: not "1"
    EXPECT_EQ((*lvs)[0].size, 512u);
    EXPECT_FALSE(lvm::parse_lvs_json(R"({"report":[{"lv":[{"lv_name":"a","lv_size":512}]}]})").ok());
}

TEST(LockInfo, ModesOfOneVgOnly) {
    const auto text = data_file("lvmlockd/info_vm1_sh.txt");
    auto san = lvm::parse_lockctl_lv_modes(text, "vg_san");
    ASSERT_EQ(san.size(), 1u);  // "un" (released) locks are not held
    EXPECT_EQ(san.at("7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), lvm::LockMode::shared);
    auto ex = lvm::parse_lockctl_lv_modes(data_file("lvmlockd/info_vm1_ex.txt"), "vg_san");
    EXPECT_EQ(ex.at("7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), lvm::LockMode::exclusive);
    EXPECT_TRUE(lvm::parse_lockctl_lv_modes(text, "vg_none").empty());
    EXPECT_TRUE(lvm::parse_lockctl_lv_modes("garbage\nLK LV ex x\n", "vg_san").empty());
}

// `ilvm doctor`: which VGs' lockspaces lvmlockd runs, and where the global lock is
// (tests/e2e/recorded/lvmlockctl-info-A.txt's lines).
TEST(LockInfo, LockspacesAndTheGlobalLock) {
    const std::string recorded = "VG vg lock_type=sanlock YbUXhn-Uddl-gTXJ-Lta0-bOGF-EVYS-FucbcM\nLS sanlock lvm_vg\n"
                                 "LK VG un ver 5\nLK GL un ver 0\nLK LV ex UgqGIJ-Mhna-JFPH-IUzT-c9Ni-6X4i-kQoI3n\n";
    auto all = lvm::parse_lockctl_info(recorded);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_TRUE(all.at("vg").holds_global);
    EXPECT_EQ(all.at("vg").lv_modes.at("UgqGIJ-Mhna-JFPH-IUzT-c9Ni-6X4i-kQoI3n"), lvm::LockMode::exclusive);
    auto two = lvm::parse_lockctl_info(data_file("lvmlockd/info_vm1_ex.txt"));
    ASSERT_EQ(two.size(), 2u);
    EXPECT_FALSE(two.at("vg_san").holds_global);
    EXPECT_FALSE(two.at("vg_other").holds_global);
}

TEST(LvmReport, MetadataArea) {
    auto mda = lvm::parse_vgs_mda_json(R"({"report":[{"vg":[{"vg_name":"vg_san","vg_mda_free":"507392","vg_mda_size":"1044480"}]}]})");
    ASSERT_TRUE(mda.ok());
    ASSERT_EQ(mda->size(), 1u);
    EXPECT_EQ(mda->front().mda_free, 507392u);
    EXPECT_EQ(mda->front().mda_size, 1044480u);
    EXPECT_EQ(lvm::vgs_mda_report("vg_san").display(),
              "vgs --reportformat json --units b --nosuffix --binary -o vg_name,vg_mda_free,vg_mda_size vg_san");
}

TEST(LvmArgv, DmPathDoublesDashes) {
    EXPECT_EQ(lvm::dm_path("vg-san", "lvmlock"), "/dev/mapper/vg--san-lvmlock");
    EXPECT_EQ(lvm::dm_path("vg_san", "vm-1"), "/dev/mapper/vg_san-vm--1");
}

TEST(Sanlock, OwnerAndHostName) {
    auto res = sanlock::parse_direct_dump(data_file("sanlock/dump_lv_held_by_2.txt"));
    ASSERT_EQ(res.size(), 2u);
    EXPECT_EQ(res[0].offset, 70254592u);
    EXPECT_EQ(res[1].resource, "#unused");
    EXPECT_EQ(sanlock::lease_owner(res, "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), 2u);
    EXPECT_FALSE(sanlock::lease_owner(res, "other").has_value());
    auto delta = sanlock::parse_direct_dump(data_file("sanlock/dump_delta.txt"));
    EXPECT_EQ(sanlock::host_name_for(delta, 2), "kvm-b");
    EXPECT_EQ(sanlock::host_name_for(delta, 7), "");
    auto freed = sanlock::parse_direct_dump(data_file("sanlock/dump_lv_free.txt"));
    EXPECT_FALSE(sanlock::lease_owner(freed, "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa").has_value());
    EXPECT_EQ(sanlock::describe_holder(std::nullopt), "another host");
    auto shared = sanlock::parse_direct_dump(data_file("sanlock/dump_lv_shared.txt"));
    EXPECT_FALSE(sanlock::lease_owner(shared, "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa").has_value());
    EXPECT_EQ(sanlock::shared_holders(shared, "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), (std::vector<uint32_t>{1, 2}));
}

// Output recorded in the lab (tests/e2e/recorded): host A holds LV "t" exclusively, both
// hosts hold LV "u" shared, and the delta leases carry sanlock's "<uuid>.<hostname>" names.
TEST(Sanlock, RecordedLabDump) {
    auto rec = sanlock::parse_direct_dump(data_file("sanlock/recorded_dump_from_B.txt"));
    EXPECT_EQ(sanlock::lease_owner(rec, "jO1ciS-L0Wr-3AaD-Osvs-LBjB-N3xy-KFP1cy"), 1u);
    EXPECT_FALSE(sanlock::lease_owner(rec, "cFp46F-Aktr-ZEmT-rIaD-RSaf-WoOy-aqnwKj").has_value());
    EXPECT_EQ(sanlock::shared_holders(rec, "cFp46F-Aktr-ZEmT-rIaD-RSaf-WoOy-aqnwKj"), (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(sanlock::host_name_for(rec, 1), "hosta");
    EXPECT_EQ(sanlock::host_name_for(rec, 2), "hostb");
}

// lvmlockd puts the VG lock at 66 x the lockspace's align size and LV locks from 67 x on; the
// align (1 MiB on 512-byte sectors, 8 MiB on 4 KiB ones in the lab) is in no lock_args, so an
// LV lease's offset rules out the sizes it is no multiple >= 67 of, and the rest are tried.
TEST(Sanlock, VgLockOffsetsFromAnLvLeaseOffset) {
    constexpr uint64_t MiB = 1024 * 1024;
    EXPECT_EQ(sanlock::vg_lock_offsets(70254592), (std::vector<uint64_t>{66 * MiB}));   // 67 MiB: align 1 MiB
    EXPECT_EQ(sanlock::vg_lock_offsets(536 * MiB), (std::vector<uint64_t>{528 * MiB, 264 * MiB, 132 * MiB, 66 * MiB}));
    EXPECT_EQ(sanlock::vg_lock_offsets(544 * MiB), (std::vector<uint64_t>{528 * MiB, 264 * MiB, 132 * MiB, 66 * MiB}));
    EXPECT_EQ(sanlock::vg_lock_offsets(138 * MiB), (std::vector<uint64_t>{132 * MiB, 66 * MiB}));   // 2 MiB x 69
    EXPECT_EQ(sanlock::vg_lock_offsets(std::nullopt), (std::vector<uint64_t>{528 * MiB, 264 * MiB, 132 * MiB, 66 * MiB}));
    EXPECT_EQ(sanlock::vg_lock_offsets(12345), sanlock::vg_lock_offsets(std::nullopt));   // no layout explains it
    // The lab's recorded dump: its VGLK lies where an 8 MiB align puts it.
    auto table = sanlock::LeaseTable(sanlock::parse_direct_dump(data_file("sanlock/recorded_dump_from_B.txt")), {});
    ASSERT_TRUE(table.record(sanlock::kVgLockResource) != nullptr);
    EXPECT_EQ(table.record(sanlock::kVgLockResource)->offset, sanlock::vg_lock_offsets(std::nullopt).front());
}

// One dump of the whole lease area (pool-info): the delta leases name the hosts, the
// resource leases say who holds what; a resource lease past the delta area is no host name.
TEST(Sanlock, LeaseTableOfAWholeAreaDump) {
    auto table = sanlock::LeaseTable::from_whole_dump(data_file("sanlock/dump_pool_vm1_held_by_2.txt"));
    EXPECT_EQ(table.owner("7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), 2u);
    EXPECT_EQ(table.host_name(2), "kvm-b");
    EXPECT_EQ(table.host_name(1), "kvm-a");
    auto h = table.holder("7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa");
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(std::tuple(h->host_id, h->host_name, h->shared), std::tuple(2u, std::string("kvm-b"), false));
    EXPECT_FALSE(table.holder("VGLK").has_value());   // released: timestamp 0
    EXPECT_FALSE(table.holder("no-such-lv").has_value());

    // Host 3 owns a lease but has no delta lease: unnamed, not named after the lease.
    auto odd = sanlock::LeaseTable::from_whole_dump(
        "00000000 lvm_vg_san e7bd3cc0-b522-4b43-b28a-f897c90e98f2.kvm-a 0000000365 0001 0001\n"
        "70254592 lvm_vg_san 7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa 0000000278 0003 0001 1\n");
    EXPECT_EQ(odd.owner("7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"), 3u);
    EXPECT_EQ(odd.host_name(3), "");
}

// The lab's whole-area dump (offset 0, 560 MiB): the same answers as the per-lease functions.
TEST(Sanlock, LeaseTableAgreesWithThePerLeaseFunctions) {
    const auto text = data_file("sanlock/recorded_dump_from_B.txt");
    auto records = sanlock::parse_direct_dump(text);
    auto table = sanlock::LeaseTable::from_whole_dump(text);
    for (const auto &r : records) {
        EXPECT_EQ(table.owner(r.resource), sanlock::lease_owner(records, r.resource)) << r.resource;
        EXPECT_EQ(table.shared_holders(r.resource), sanlock::shared_holders(records, r.resource)) << r.resource;
    }
    auto ex = table.holder("jO1ciS-L0Wr-3AaD-Osvs-LBjB-N3xy-KFP1cy");
    ASSERT_TRUE(ex.has_value());
    EXPECT_EQ(std::tuple(ex->host_id, ex->host_name, ex->shared), std::tuple(1u, std::string("hosta"), false));
    auto sh = table.holder("cFp46F-Aktr-ZEmT-rIaD-RSaf-WoOy-aqnwKj");
    ASSERT_TRUE(sh.has_value());
    EXPECT_EQ(std::tuple(sh->host_id, sh->shared), std::tuple(1u, true));
    // Seen from host 1 itself, the other shared holder is named.
    auto other = table.holder("cFp46F-Aktr-ZEmT-rIaD-RSaf-WoOy-aqnwKj", 1u);
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(std::tuple(other->host_id, other->host_name), std::tuple(2u, std::string("hostb")));
}

TEST(Sanlock, LeaseAreaCoversTheLastLease) {
    // From the first lease to the end of the last, not from 0: lvmlockd puts the LV leases far
    // from the delta leases (528 MiB in the lab), and reading that gap made every vol-list
    // --json read ~570 MiB and sanlock's own lease I/O time out behind it.
    const auto r = sanlock::lease_range({595591168, 553648128, 570425344});
    EXPECT_EQ(r.offset, 553648128u);
    EXPECT_EQ(r.size, 595591168u + 8388608u - 553648128u);
    EXPECT_EQ(sanlock::lease_range({70254592}).size, 8388608u);
}

TEST(Iscsi, SessionListing) {
    const std::string out = data_file("iscsi/session_list.txt");
    EXPECT_TRUE(iscsi::session_listed(out, "iqn.2024-04.com.example:vms", "10.0.0.50", 3260));
    EXPECT_FALSE(iscsi::session_listed(out, "iqn.2024-04.com.example:vms", "10.0.0.51", 3260));
    EXPECT_FALSE(iscsi::session_listed("", "iqn.2024-04.com.example:vms", "10.0.0.50", 3260));
}

// iscsiadm --mode session --print 3 (recorded in the lab; target and portal renamed): the
// recovery timeout of the session to our target at our portal, and of no other.
TEST(Iscsi, SessionRecoveryTimeout) {
    const std::string one = data_file("iscsi/session_print3.txt");
    EXPECT_EQ(iscsi::session_recovery_timeout(one, "iqn.2024-04.com.example:vms", "10.0.0.50", 3260), 120u);
    EXPECT_FALSE(iscsi::session_recovery_timeout(one, "iqn.2024-04.com.example:vms", "10.0.0.51", 3260));
    EXPECT_FALSE(iscsi::session_recovery_timeout(one, "iqn.2024-04.com.example:other", "10.0.0.50", 3260));
    EXPECT_FALSE(iscsi::session_recovery_timeout("", "iqn.2024-04.com.example:vms", "10.0.0.50", 3260));
    // Two targets: each session's own line, never the one before it.
    std::string other = one;
    other.replace(other.find("iqn.2024-04.com.example:vms"), 27, "iqn.2024-04.com.example:xyz");
    other.replace(other.find("Recovery Timeout: 120"), 21, "Recovery Timeout: 999");
    const std::string two = other + one.substr(one.find("Target:"));
    EXPECT_EQ(iscsi::session_recovery_timeout(two, "iqn.2024-04.com.example:xyz", "10.0.0.50", 3260), 999u);
    EXPECT_EQ(iscsi::session_recovery_timeout(two, "iqn.2024-04.com.example:vms", "10.0.0.50", 3260), 120u);
}

TEST(Iscsi, ChapSettingsReplaceOldOnesAndKeepEndMarker) {
    SecretString pw("pa ss=word");
    const auto record = iscsi::with_chap_settings(data_file("iscsi/node_record_default.txt"), "vmhost", pw);
    const std::string_view rec = record.reveal();
    EXPECT_EQ(rec.find("authmethod = None"), std::string::npos);
    EXPECT_NE(rec.find("node.session.auth.password = pa ss=word\n# END RECORD\n"), std::string::npos);
    EXPECT_NE(rec.find("node.conn[0].port = 3260\n"), std::string::npos);
    EXPECT_EQ(rec.rfind("# END RECORD"), rec.size() - std::string("# END RECORD\n").size());
}

TEST(Iscsi, FindsRecordFilesInBothLayouts) {
    FakeSystem sys;
    iscsi::NodeAddress n{"iqn.2024-04.com.example:vms", "10.0.0.50:3260", ""};
    sys.dirs["/n/iqn.2024-04.com.example:vms"] = {"10.0.0.50,3260,1", "10.0.0.51,3260,1"};
    sys.dirs["/n/iqn.2024-04.com.example:vms/10.0.0.50,3260,1"] = {"default"};
    sys.paths.insert("/n/iqn.2024-04.com.example:vms/10.0.0.50,3260,1/default");
    auto files = iscsi::find_node_record_files(sys, "/n", n, "10.0.0.50", 3260);
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 1u);
    EXPECT_EQ((*files)[0], "/n/iqn.2024-04.com.example:vms/10.0.0.50,3260,1/default");
    sys.dirs.erase("/n/iqn.2024-04.com.example:vms/10.0.0.50,3260,1");
    files = iscsi::find_node_record_files(sys, "/n", n, "10.0.0.50", 3260);
    ASSERT_TRUE(files.ok());
    EXPECT_EQ((*files)[0], "/n/iqn.2024-04.com.example:vms/10.0.0.50,3260,1");
    EXPECT_FALSE(iscsi::find_node_record_files(sys, "/n", n, "10.9.9.9", 3260).ok());
}

// Debian 13 moved open-iscsi's database to /var/lib/iscsi (open-iscsi 2.1.10-3: its upgrade
// moves /etc/iscsi/nodes there); Debian 12 keeps /etc/iscsi. The backend looks in both.
TEST(Iscsi, FindsTheRecordInWhicheverDatabaseHasIt) {
    FakeSystem sys;
    iscsi::NodeAddress n{"iqn.2024-04.com.example:vms", "10.0.0.50:3260", ""};
    const std::vector<std::string> dirs{"/var/lib/iscsi/nodes", "/etc/iscsi/nodes"};
    sys.dirs["/var/lib/iscsi/nodes/iqn.2024-04.com.example:vms"] = {"10.0.0.50,3260"};
    auto files = iscsi::find_node_record_files(sys, dirs, n, "10.0.0.50", 3260);
    ASSERT_TRUE(files.ok()) << files.error().message;
    EXPECT_EQ(*files, std::vector<std::string>{"/var/lib/iscsi/nodes/iqn.2024-04.com.example:vms/10.0.0.50,3260"});
    // Both: which one iscsiadm reads cannot be told, so no secret is written to either.
    sys.dirs["/etc/iscsi/nodes/iqn.2024-04.com.example:vms"] = {"10.0.0.50,3260"};
    files = iscsi::find_node_record_files(sys, dirs, n, "10.0.0.50", 3260);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::conflict);
    EXPECT_EQ(files.error().message, "open-iscsi node record for iqn.2024-04.com.example:vms at 10.0.0.50:3260 in both "
                                     "/var/lib/iscsi/nodes and /etc/iscsi/nodes: which one open-iscsi reads cannot be told");
    sys.dirs.erase("/var/lib/iscsi/nodes/iqn.2024-04.com.example:vms");
    files = iscsi::find_node_record_files(sys, dirs, n, "10.0.0.50", 3260);
    ASSERT_TRUE(files.ok());
    EXPECT_EQ(*files, std::vector<std::string>{"/etc/iscsi/nodes/iqn.2024-04.com.example:vms/10.0.0.50,3260"});
    sys.dirs.clear();
    files = iscsi::find_node_record_files(sys, dirs, n, "10.0.0.50", 3260);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().message, "no open-iscsi node record for iqn.2024-04.com.example:vms at 10.0.0.50:3260 "
                                     "(looked in /var/lib/iscsi/nodes and /etc/iscsi/nodes)");
}

TEST(Iscsi, FindsRecordMadeWithUnknownTpgt) {
    // `iscsiadm -m node -o new -T … -p 127.0.0.1:3999` on open-iscsi 2.1.8 writes
    // /etc/iscsi/nodes/<iqn>/127.0.0.1,3999 (a file, no TPGT suffix).
    FakeSystem sys;
    iscsi::NodeAddress n{"iqn.2024-04.com.example:vms", "10.0.0.50:3260", "ilvm-san"};
    sys.dirs["/n/iqn.2024-04.com.example:vms"] = {"10.0.0.50,3260", "10.0.0.50,32601"};
    auto files = iscsi::find_node_record_files(sys, "/n", n, "10.0.0.50", 3260);
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 1u);
    EXPECT_EQ((*files)[0], "/n/iqn.2024-04.com.example:vms/10.0.0.50,3260");
}

}  // namespace
}  // namespace ilvm::test
