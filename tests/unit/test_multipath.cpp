// SPDX-License-Identifier: LGPL-2.1-or-later
// The multipath library (issue 19): its command lines, the WWIDs it accepts, and its readers of
// udevadm's, multipathd's and iscsiadm's output (tests/data/multipath/README.md says where the
// fixtures come from).
#include <gtest/gtest.h>

#include "fake_system.hpp"
#include "iscsi/session_details.hpp"
#include "multipath/multipath_argv.hpp"
#include "multipath/multipath_report.hpp"

namespace ilvm::test {
namespace {

constexpr const char *kWwid = "360000000000000000e00000000010001";

std::string display(const Result<Command> &c) { return c.ok() ? c->display() : "error: " + c.error().message; }

TEST(MultipathArgv, CommandLines) {
    EXPECT_EQ(display(multipath::udev_properties("sdb")), "udevadm info --query=property --name=/dev/sdb");
    EXPECT_EQ(display(multipath::multipath_add_wwid("sdb")), "multipath -a /dev/sdb");
    EXPECT_EQ(display(multipath::multipathd_add_map(kWwid)), std::string("multipathd add map ") + kWwid);
    EXPECT_EQ(display(multipath::multipath_flush(kWwid)), std::string("multipath -f ") + kWwid);
    EXPECT_EQ(multipath::multipathd_show_maps_json().display(), "multipathd show maps json");
    EXPECT_EQ(multipath::map_device_path(kWwid).value(), std::string("/dev/mapper/") + kWwid);
    // Each one argument, never split or quoted by a shell.
    EXPECT_EQ(multipath::multipathd_add_map(kWwid)->argv.size(), 4u);
}

TEST(MultipathArgv, WwidsOfRealDisks) {
    for (const char *w : {kWwid, "36001405a1b2c3d4e5f60718293a4b5c6", "SATA_QEMU_HARDDISK_QM00005",
                          "3600a0b80000f4e2d00001f2c5ac6b0a1", "eui.0025388b71b12345", "a", "x:y.z-1"})
        EXPECT_TRUE(multipath::validate_wwid(w).ok()) << w;
    EXPECT_TRUE(multipath::validate_wwid(std::string(128, 'a')).ok());
}

TEST(MultipathArgv, RefusesOtherWwids) {
    for (const std::string &w : {std::string(), std::string(129, 'a'), std::string("-f"), std::string("."),
                                std::string(".."), std::string("../../sda"), std::string("a b"), std::string("a/b"),
                                std::string("a\nb"), std::string("a\0b", 3), std::string("wwid;reboot"),
                                std::string("wwïd")}) {
        const Status st = multipath::validate_wwid(w);
        ASSERT_FALSE(st.ok()) << w;
        EXPECT_EQ(st.error().code, ErrorCode::invalid_input) << w;
        EXPECT_FALSE(st.error().hint.empty());
        // Nothing is built from a refused WWID.
        EXPECT_FALSE(multipath::multipathd_add_map(w).ok());
        EXPECT_FALSE(multipath::multipath_flush(w).ok());
        EXPECT_FALSE(multipath::map_device_path(w).ok());
    }
    EXPECT_EQ(multipath::validate_wwid("a/b").error().message,
              "WWID 'a/b' may hold only letters, digits and '_', '.', ':', '-'");
    EXPECT_EQ(multipath::validate_wwid("-f").error().message, "WWID '-f' must not start with '-'");
    EXPECT_EQ(multipath::validate_wwid("").error().message, "WWID '' must be 1 to 128 characters");
}

TEST(MultipathArgv, RefusesOtherDiskNames) {
    for (const char *dev : {"", "/dev/sdb", "sdb ", "-a", "SDB", "../sdb", "sd-b"}) {
        auto c = multipath::udev_properties(dev);
        ASSERT_FALSE(c.ok()) << dev;
        EXPECT_EQ(c.error().code, ErrorCode::invalid_input);
        EXPECT_FALSE(multipath::multipath_add_wwid(dev).ok()) << dev;
    }
    EXPECT_EQ(multipath::udev_properties("/dev/sdb").error().message,
              "disk name '/dev/sdb' is not a kernel disk name such as sdb");
}

// --- udevadm ----------------------------------------------------------------------------

TEST(UdevProperties, IdSerialIsTheWwid) {
    EXPECT_EQ(multipath::wwid_from_udev_properties(data_file("multipath/udev_properties_sdb.txt"), "sdb").value(), kWwid);
    // ID_SERIAL_SHORT comes first here: only ID_SERIAL itself counts.
    EXPECT_EQ(multipath::wwid_from_udev_properties("ID_SERIAL_SHORT=abc\nID_SERIAL=3abc\n", "sdb").value(), "3abc");
}

TEST(UdevProperties, NoWwid) {
    for (const char *out : {"", "DEVNAME=/dev/sdb\nID_SERIAL_SHORT=abc\n", "ID_SERIAL=\n", "garbage"}) {
        auto w = multipath::wwid_from_udev_properties(out, "sdb");
        ASSERT_FALSE(w.ok()) << out;
        EXPECT_EQ(w.error().code, ErrorCode::not_found);
        EXPECT_EQ(w.error().message, "the LUN has no WWID: udev reports no ID_SERIAL for /dev/sdb");
        EXPECT_NE(w.error().hint.find("udevadm trigger --settle /dev/sdb"), std::string::npos);
    }
}

TEST(UdevProperties, RefusesAWwidWeCannotUse) {
    auto w = multipath::wwid_from_udev_properties("ID_SERIAL=IET VIRTUAL DISK\n", "sdc");
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(w.error().message, "udev's ID_SERIAL of /dev/sdc: WWID 'IET VIRTUAL DISK' may hold only letters, "
                                 "digits and '_', '.', ':', '-'");
}

// --- multipathd show maps json -----------------------------------------------------------

TEST(MultipathMaps, TwoHealthyPaths) {
    auto maps = multipath::parse_multipath_maps(data_file("multipath/show_maps_two_paths.json"));
    ASSERT_TRUE(maps.ok()) << maps.error().message;
    ASSERT_EQ(maps->size(), 1u);
    const auto &m = (*maps)[0];
    EXPECT_EQ(m.name, kWwid);
    EXPECT_EQ(m.uuid, kWwid);
    EXPECT_EQ(m.dm_st, "active");
    EXPECT_EQ(m.queueing, "13 chk");
    EXPECT_EQ(m.active_paths, 2u);
    const std::vector<multipath::MultipathPath> paths{{"sdb", "8:16", "active", "running", "ready", 1},
                                                      {"sdc", "8:32", "active", "running", "ready", 2}};
    EXPECT_EQ(m.paths, paths);
    for (const auto &p : m.paths) EXPECT_TRUE(multipath::path_usable(p)) << p.dev;
    EXPECT_EQ(multipath::find_map(*maps, kWwid), &m);
    EXPECT_EQ(multipath::find_map(*maps, "36001405"), nullptr);
}

TEST(MultipathMaps, OnePathFailed) {
    auto maps = multipath::parse_multipath_maps(data_file("multipath/show_maps_one_path_failed.json"));
    ASSERT_TRUE(maps.ok()) << maps.error().message;
    ASSERT_EQ(maps->size(), 1u);
    const auto &m = (*maps)[0];
    EXPECT_EQ(m.active_paths, 1u);
    ASSERT_EQ(m.paths.size(), 2u);
    EXPECT_TRUE(multipath::path_usable(m.paths[0]));
    EXPECT_EQ(m.paths[1].dm_st, "failed");
    EXPECT_EQ(m.paths[1].chk_st, "faulty");
    EXPECT_FALSE(multipath::path_usable(m.paths[1]));
}

TEST(MultipathMaps, NoMaps) {
    auto maps = multipath::parse_multipath_maps(data_file("multipath/show_maps_none.json"));
    ASSERT_TRUE(maps.ok()) << maps.error().message;
    EXPECT_TRUE(maps->empty());
    EXPECT_EQ(multipath::find_map(*maps, kWwid), nullptr);
}

TEST(MultipathMaps, UsablePaths) {
    multipath::MultipathPath p{"sdb", "8:16", "active", "running", "ghost", 1};
    EXPECT_TRUE(multipath::path_usable(p));
    for (const char *chk : {"faulty", "shaky", "i/o pending", "i/o timeout", "delayed", "undef", ""}) {
        p.chk_st = chk;
        EXPECT_FALSE(multipath::path_usable(p)) << chk;
    }
    p.chk_st = "ready";
    p.dm_st = "undef";
    EXPECT_FALSE(multipath::path_usable(p));
}

// Members multipath-tools may add, in any order, and other maps' values are read as they are.
TEST(MultipathMaps, ToleratesUnknownMembers) {
    const std::string json = R"({"future": {"x": [1, 2]}, "maps": [{"paths": 0, "queueing": "65 sec",
        "path_groups": [], "dm_st": "suspend", "uuid": "w1", "name": "w1", "extra": null}],
        "major_version": 0, "minor_version": 7})";
    auto maps = multipath::parse_multipath_maps(json);
    ASSERT_TRUE(maps.ok()) << maps.error().message;
    ASSERT_EQ(maps->size(), 1u);
    EXPECT_EQ((*maps)[0].queueing, "65 sec");
    EXPECT_EQ((*maps)[0].dm_st, "suspend");
    EXPECT_TRUE((*maps)[0].paths.empty());
}

std::string without_line(std::string text, const std::string &key) {
    const auto at = text.find("\"" + key + "\"");
    EXPECT_NE(at, std::string::npos) << key;
    const auto start = text.rfind('\n', at) + 1;
    text.erase(start, text.find('\n', at) + 1 - start);
    return text;
}

TEST(MultipathMaps, RefusesMissingRequiredMembers) {
    const std::string healthy = data_file("multipath/show_maps_two_paths.json");
    const std::vector<std::pair<std::string, std::string>> cases{
        {"uuid", "multipathd show maps json: map 1 has no \"uuid\""},
        {"queueing", "multipathd show maps json: map 1 has no \"queueing\""},
        {"chk_st", "multipathd show maps json: map 1's path group 1's path 1 has no \"chk_st\""},
        {"dev_t", "multipathd show maps json: map 1's path group 1's path 1 has no \"dev_t\""},
    };
    for (const auto &[key, message] : cases) {
        auto maps = multipath::parse_multipath_maps(without_line(healthy, key));
        ASSERT_FALSE(maps.ok()) << key;
        EXPECT_EQ(maps.error().code, ErrorCode::system);
        EXPECT_EQ(maps.error().message, message);
        EXPECT_FALSE(maps.error().hint.empty());
    }
    auto no_maps = multipath::parse_multipath_maps(R"({"major_version": 0, "minor_version": 1})");
    ASSERT_FALSE(no_maps.ok());
    EXPECT_EQ(no_maps.error().message, "multipathd show maps json: the output has no \"maps\"");
}

TEST(MultipathMaps, RefusesMalformedOutput) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"major_version": 0, "maps": {}})", "multipathd show maps json: the output's \"maps\" is not an array"},
        {R"({"major_version": 0, "maps": ["x"]})", "multipathd show maps json: map 1 is not an object"},
        {R"({"major_version": 0, "maps": [{"name": 7, "uuid": "w", "dm_st": "active", "queueing": "-",
             "paths": 0, "path_groups": []}]})",
         "multipathd show maps json: map 1's \"name\" is not a string"},
        {R"({"major_version": 0, "maps": [{"name": "w", "uuid": "w", "dm_st": "active", "queueing": "-",
             "paths": "2", "path_groups": []}]})",
         "multipathd show maps json: map 1's \"paths\" is not a whole number"},
        {R"({"major_version": 1, "maps": []})",
         "multipathd show maps json output is of major_version 1, this build reads 0"},
        {R"({"major_version": 0, "maps": []} {})", "multipathd show maps json output continues after its top-level object"},
        {"[]", "multipathd show maps json: the output is not an object"},
        {"fail\n", "multipathd show maps json: the output is not an object"},   // multipathd's answer to a bad command
    };
    for (const auto &[json, message] : cases) {
        auto maps = multipath::parse_multipath_maps(json);
        ASSERT_FALSE(maps.ok()) << json;
        EXPECT_EQ(maps.error().code, ErrorCode::system) << json;
        EXPECT_EQ(maps.error().message, message) << json;
    }
    // Nothing, an error text, or cut short.
    for (const std::string &text : {std::string(""), std::string("{\"major_version\": 0, \"maps\": [{"),
                                   data_file("multipath/show_maps_two_paths.json").substr(0, 300)}) {
        auto maps = multipath::parse_multipath_maps(text);
        ASSERT_FALSE(maps.ok()) << text;
        EXPECT_EQ(maps.error().code, ErrorCode::system);
        EXPECT_EQ(maps.error().message.rfind("cannot parse multipathd show maps json output: ", 0), 0u)
            << maps.error().message;
    }
}

// --- iscsiadm --mode session --print 3 ------------------------------------------------------

TEST(IscsiSessions, TwoPortalsOneFailed) {
    const std::string out = data_file("iscsi/session_print3_two_portals.txt");
    const auto sessions = iscsi::target_sessions(out, "iqn.2024-01.lab.iscsi-lvm:target1");
    const std::vector<iscsi::SessionDetails> want{
        {{"10.0.2.2", 3260}, "LOGGED_IN", "LOGGED IN", {{"sdb", "running", 1}}},
        {{"10.0.2.2", 3261}, "FAILED", "TRANSPORT WAIT", {{"sdc", "blocked", 1}}},
    };
    EXPECT_EQ(sessions, want);
    ASSERT_EQ(sessions.size(), 2u);
    ASSERT_NE(iscsi::disk_of_lun(sessions[1], 1), nullptr);
    EXPECT_EQ(iscsi::disk_of_lun(sessions[1], 1)->name, "sdc");
    EXPECT_EQ(iscsi::disk_of_lun(sessions[1], 0), nullptr);   // LUN 0 is the target's controller: no disk
    EXPECT_TRUE(iscsi::target_sessions(out, "iqn.2024-01.lab.iscsi-lvm:other").empty());
    EXPECT_TRUE(iscsi::target_sessions("", "iqn.2024-01.lab.iscsi-lvm:target1").empty());
    EXPECT_EQ(iscsi::session_recovery_timeout(out, "iqn.2024-01.lab.iscsi-lvm:target1", "10.0.2.2", 3261), 5u);
}

TEST(IscsiSessions, TheRecordedSingleSession) {
    const auto sessions = iscsi::target_sessions(data_file("iscsi/session_print3.txt"), "iqn.2024-04.com.example:vms");
    const std::vector<iscsi::SessionDetails> want{{{"10.0.0.50", 3260}, "LOGGED_IN", "LOGGED IN", {{"sda", "running", 1}}}};
    EXPECT_EQ(sessions, want);
}

// iscsiadm prints a portal once for consecutive sessions to it (two ifaces): both are its.
TEST(IscsiSessions, TwoSessionsOnePortal) {
    const std::string out = "Target: iqn.2024-01.x:t (non-flash)\n"
                            "\tCurrent Portal: [fd00::50]:3260,1\n\tPersistent Portal: [fd00::50]:3260,1\n"
                            "\t\tSID: 1\n\t\tiSCSI Connection State: LOGGED IN\n\t\tiSCSI Session State: LOGGED_IN\n"
                            "\t\t\tAttached scsi disk sdb\t\tState: running\n"
                            "\n\t\tSID: 2\n\t\tiSCSI Connection State: FREE\n\t\tiSCSI Session State: FREE\n"
                            "\t\tUnavailable\n"
                            "Target: iqn.2024-01.x:other (non-flash)\n"
                            "\tCurrent Portal: 10.0.0.9:3260,1\n\t\tSID: 3\n\t\t\tAttached scsi disk sdz\t\tState: running\n";
    const std::vector<iscsi::SessionDetails> want{
        {{"fd00::50", 3260}, "LOGGED_IN", "LOGGED IN", {{"sdb", "running", {}}}},
        {{"fd00::50", 3260}, "FREE", "FREE", {}},
    };
    EXPECT_EQ(iscsi::target_sessions(out, "iqn.2024-01.x:t"), want);
}

TEST(IscsiSessions, PortalsOfEveryShape) {
    EXPECT_EQ(iscsi::parse_portal("10.0.2.2:3261,1"), (iscsi::PortalAddress{"10.0.2.2", 3261}));
    EXPECT_EQ(iscsi::parse_portal("[fd00::50]:3260,1"), (iscsi::PortalAddress{"fd00::50", 3260}));
    EXPECT_EQ(iscsi::parse_portal("san.example:3260"), (iscsi::PortalAddress{"san.example", 3260}));
    for (const char *bad : {"", "10.0.2.2", "10.0.2.2:,1", ":3260,1", "10.0.2.2:99999,1", "10.0.2.2:0,1", "h:x,1"})
        EXPECT_FALSE(iscsi::parse_portal(bad)) << bad;
}

}  // namespace
}  // namespace ilvm::test
