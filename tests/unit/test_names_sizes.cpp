// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gtest/gtest.h>

#include "common/duration.hpp"
#include "common/names.hpp"
#include "common/size.hpp"

namespace ilvm {
namespace {

TEST(Durations, SecondsOrOneUnitCaseInsensitiveWithinBounds) {
    using std::chrono::seconds;
    const seconds lo(1), hi(7 * 86400);
    for (auto [text, want] : std::vector<std::pair<const char *, int64_t>>{
             {"90", 90}, {"90s", 90}, {"30m", 1800}, {"2H", 7200}, {"1d", 86400}, {"7d", 604800}}) {
        auto d = parse_duration(text, lo, hi, "--hold");
        ASSERT_TRUE(d.ok()) << text << ": " << d.error().message;
        EXPECT_EQ(d->count(), want) << text;
    }
    for (const char *bad : {"", "m", "0", "8d", "-5", "1.5h", "10 m", "2w", "1hh", "99999999999999999999", "18446744073709551615d"}) {
        auto d = parse_duration(bad, lo, hi, "--hold");
        ASSERT_FALSE(d.ok()) << bad;
        EXPECT_EQ(d.error().code, ErrorCode::invalid_input);
    }
    EXPECT_EQ(parse_duration("2w", lo, hi, "--hold").error().message, "--hold '2w' is not a duration");
}

TEST(Names, LvmNameRules) {
    for (const char *good : {"vm1", "a", "web-01_disk.0", "A+B"}) EXPECT_TRUE(validate_lv_name(good).ok()) << good;
    for (const char *bad : {"", "-x", ".", "..", "a/b", "a b", "lvmlock", "snapshot0", "pvmove1", "x_rimage_0", "é"})
        EXPECT_FALSE(validate_lv_name(bad).ok()) << bad;
    EXPECT_FALSE(validate_lv_name(std::string(128, 'a')).ok());
    EXPECT_TRUE(validate_lv_name(std::string(127, 'a')).ok());
    EXPECT_TRUE(validate_vg_name("vg_san").ok());
    EXPECT_FALSE(validate_vg_name("vg san").ok());
}

TEST(Names, LvmReservedLvNames) {
    // lvm2 lib/misc/lvm-string.c: every reserved substring, anywhere in the name.
    for (const char *r : {"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mimage", "_mlog", "_rimage",
                          "_rmeta", "_tdata", "_tmeta", "_vdata", "_imeta", "_iorig", "_pmspare", "_vorigin"}) {
        for (const std::string &name : {std::string("vm") + r, std::string("vm") + r + "_0", std::string("a") + r + "b"}) {
            auto st = validate_lv_name(name);
            ASSERT_FALSE(st.ok()) << name;
            EXPECT_NE(st.error().message.find(std::string("must not contain '") + r + "'"), std::string::npos)
                << st.error().message;
        }
    }
    for (const char *bad : {"snapshot", "snapshots", "pvmove", "pvmove0"}) EXPECT_FALSE(validate_lv_name(bad).ok()) << bad;
    // Only the exact substrings: these are fine.
    for (const char *good : {"vm_c", "cpool", "vm-cvol", "my_snapshot", "xpvmove", "imeta", "vm_cvo", "lvmlock2"})
        EXPECT_TRUE(validate_lv_name(good).ok()) << good;
}

TEST(Names, VgNamesThatAreDevEntries) {
    for (const char *bad : {"mapper", "disk", "block", "char", "pts", "shm", "null", "zero", "snapshot", "dm-0", "dm-12",
                            "loop0", "md127", "nbd3", "sr0", "tty1", "ttyS0", ".", ".."}) {
        auto st = validate_vg_name(bad);
        EXPECT_FALSE(st.ok()) << bad;
    }
    auto st = validate_vg_name("mapper");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, "volume group name 'mapper' is taken: /dev/mapper exists on Linux hosts, and the VG's "
                                  "volumes appear under /dev/<VG name>");
    EXPECT_NE(st.error().hint.find("<source><name>"), std::string::npos);
    for (const char *good : {"vg_san", "san", "mappers", "disks", "dm-x", "loop", "loopy", "md", "vdo", "hdd", "data"})
        EXPECT_TRUE(validate_vg_name(good).ok()) << good;
}

TEST(Names, PoolNames) {
    EXPECT_TRUE(validate_pool_name("san").ok());
    EXPECT_FALSE(validate_pool_name("../etc").ok());
    EXPECT_FALSE(validate_pool_name(".hidden").ok());
    EXPECT_FALSE(validate_pool_name(std::string(65, 'p')).ok());
}

TEST(Names, IscsiNames) {
    for (const char *good : {"iqn.2024-04.com.example:vms", "iqn.2026-11.org.example:host-a", "iqn.1994-05.com.redhat",
                             "eui.02004567a425678d", "naa.52004567ba64678d"})
        EXPECT_TRUE(validate_iscsi_name(good, "IQN").ok()) << good;
    for (const char *bad : {"", "iqn.2024.com.example", "iqn.2024-13.com.example:x", "iqn.2024-04.Com.Example:x",
                            "iqn.2024-04.com.example:", "iqn.2024-04.:x", "eui.123", "naa.xyz", "foo", "iqn.2024-04.a b"})
        EXPECT_FALSE(validate_iscsi_name(bad, "IQN").ok()) << bad;
    EXPECT_FALSE(validate_iscsi_name("iqn.2024-04.com.example:" + std::string(220, 'a'), "IQN").ok());
}

TEST(Names, Hosts) {
    for (const char *good : {"10.0.0.50", "fe80::1", "::1", "0.0.0.0"}) {
        auto h = canonical_host(good, HostNames::refuse);
        ASSERT_TRUE(h.ok()) << good;
        EXPECT_EQ(*h, good);
    }
    for (const char *name : {"san.example.com", "localhost", "a-b.c0"}) {
        EXPECT_FALSE(canonical_host(name, HostNames::refuse).ok()) << name;
        EXPECT_TRUE(canonical_host(name, HostNames::keep).ok()) << name;
    }
    for (const char *bad : {"", "256.1.1.1", "1.2.3", "-bad.example", "a..b", "host name", "1.2.3.4.5", "x.1"})
        EXPECT_FALSE(canonical_host(bad, HostNames::keep).ok()) << bad;
    EXPECT_FALSE(canonical_host(std::string(254, 'a'), HostNames::keep).ok());
    EXPECT_TRUE(same_host("2001:db8::50", "2001:0DB8:0:0::50"));
    EXPECT_TRUE(same_host("10.0.0.50", "::ffff:10.0.0.50"));
    EXPECT_FALSE(same_host("10.0.0.50", "10.0.0.51"));
    EXPECT_TRUE(same_host("San.example.org", "san.example.org"));
    EXPECT_FALSE(same_host("san.example.org", "10.0.0.50"));
}

TEST(Names, Uuids) {
    EXPECT_TRUE(validate_uuid("3b3e0f7a-4d7c-4f0e-9a63-2b1f6d1c9e11").ok());
    EXPECT_FALSE(validate_uuid("3b3e0f7a-4d7c-4f0e-9a63").ok());
    EXPECT_TRUE(validate_lvm_uuid("Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa").ok());
    EXPECT_FALSE(validate_lvm_uuid("Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F").ok());
}

TEST(Sizes, VirshUnits) {
    EXPECT_EQ(*parse_size("10G"), 10ULL << 30);
    EXPECT_EQ(*parse_size("10GiB"), 10ULL << 30);
    EXPECT_EQ(*parse_size("10GB"), 10000000000ULL);
    EXPECT_EQ(*parse_size("512M"), 512ULL << 20);
    EXPECT_EQ(*parse_size("4096"), 4096u);
    EXPECT_EQ(*parse_size("1", "G"), 1ULL << 30);
    EXPECT_FALSE(parse_size("").ok());
    EXPECT_FALSE(parse_size("-1G").ok());
    EXPECT_FALSE(parse_size("1.5G").ok());
    EXPECT_FALSE(parse_size("10X").ok());
    EXPECT_FALSE(parse_size("99999999999999999999").ok());
    EXPECT_FALSE(parse_size("17E").ok());
    EXPECT_FALSE(parse_size("20000000T").ok());
}

// libvirt's virScaleInteger: the unit in any case; one letter or letter + "iB" is a power of
// 1024, letter + "B" a power of 1000; "b", "byte", "bytes" are bytes.
TEST(Sizes, UnitsInAnyCaseAsLibvirt) {
    const struct { const char *text; uint64_t bytes; } cases[] = {
        {"20g", 20ULL << 30},   {"20G", 20ULL << 30},    {"20GiB", 20ULL << 30}, {"20gib", 20ULL << 30},
        {"20GIB", 20ULL << 30}, {"512m", 512ULL << 20},  {"1t", 1ULL << 40},     {"3k", 3072},
        {"3K", 3072},           {"3kib", 3072},          {"3KB", 3000},          {"3kb", 3000},
        {"2gb", 2000000000ULL}, {"2Gb", 2000000000ULL},  {"7B", 7},              {"7byte", 7},
        {"7BYTES", 7},          {"1e", 1ULL << 60},      {"1EB", 1000000000000000000ULL}, {"1pib", 1ULL << 50},
    };
    for (const auto &c : cases) {
        auto r = parse_size(c.text);
        ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
        EXPECT_EQ(*r, c.bytes) << c.text;
    }
    for (const char *bad : {"1x", "1gi", "1gibb", "1ib", "1kbb", "1bb", "1 g", "g"})
        EXPECT_FALSE(parse_size(bad).ok()) << bad;
}

TEST(Sizes, ExtentRounding) {
    EXPECT_EQ(*round_up_to_extent(1, 4 << 20), 4u << 20);
    EXPECT_EQ(*round_up_to_extent(8 << 20, 4 << 20), 8u << 20);
    EXPECT_FALSE(round_up_to_extent(UINT64_MAX, 4 << 20).ok());
    EXPECT_EQ(human_size(1073741824), "1.00 GiB");
    EXPECT_EQ(human_size(512), "512 B");
}

}  // namespace
}  // namespace ilvm
