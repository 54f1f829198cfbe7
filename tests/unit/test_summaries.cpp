// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's views of the module's XML (host/core/summaries.hpp): the volume list's size is
// bounded by the pool's capacity, not by a fixed 1 MiB (issue 16: vol-list failed from
// ~2,870 volumes).
#include <gtest/gtest.h>

#include <string>

#include "host/core/summaries.hpp"

namespace ilvm::test {
namespace {

std::string volumes(size_t n) {
    std::string xml = "<volumes>\n";
    for (size_t i = 0; i < n; ++i) {
        const std::string name = "v" + std::to_string(i);
        xml += "<volume type='block'>\n  <name>" + name + "</name>\n  <key>uuid-" + name +
               "</key>\n  <capacity unit='bytes'>1073741824</capacity>\n  <allocation unit='bytes'>1073741824</allocation>\n"
               "  <target>\n    <path>/dev/vg_san/" + name + "</path>\n  </target>\n"
               "  <activation state='inactive' open='no' skip='yes' autoactivation='no'/>\n</volume>\n";
    }
    return xml + "</volumes>\n";
}

host::PoolSummary pool_of(uint64_t capacity) {
    host::PoolSummary p;
    p.capacity = capacity;
    return p;
}

TEST(Summaries, TenThousandVolumesOfALargePool) {
    const std::string xml = volumes(10000);
    ASSERT_GT(xml.size(), 1024u * 1024u);   // what the fixed cap refused
    auto vols = host::summarize_volumes(xml, pool_of(40ULL << 40));
    ASSERT_TRUE(vols.ok()) << vols.error().message;
    ASSERT_EQ(vols->size(), 10000u);
    EXPECT_EQ((*vols)[9999].name, "v9999");
    EXPECT_EQ((*vols)[9999].path, "/dev/vg_san/v9999");
    EXPECT_EQ((*vols)[9999].capacity, 1073741824u);
    EXPECT_TRUE((*vols)[9999].skip);
}

TEST(Summaries, TheBoundGrowsWithThePool) {
    EXPECT_EQ(host::volumes_xml_limit(0), 1024u * 1024u);
    EXPECT_EQ(host::volumes_xml_limit(10ULL << 30), 1024u * 1024u + 10240u * 2048u);
    EXPECT_GT(host::volumes_xml_limit(UINT64_MAX), host::volumes_xml_limit(1ULL << 50));   // no overflow
    // A document beyond its pool's bound is refused, and says why.
    auto small = host::summarize_volumes(volumes(5000), pool_of(64ULL << 20));
    ASSERT_FALSE(small.ok());
    EXPECT_NE(small.error().message.find("too large"), std::string::npos) << small.error().message;
}

TEST(Summaries, EachVolumesFieldsAsTheModuleWroteThem) {
    // The first element of each name counts; elements in a namespace and unknown ones are
    // passed over; text split by references is joined; attribute references decoded.
    const std::string xml =
        "<volumes metadata_size='1048576' metadata_free='4096' xmlns:x='urn:x'>"
        "<x:volume><name>not-this</name></x:volume>"
        "<volume><x:name>nor-this</x:name><name>vm&#45;1</name><name>second</name><key>k</key>"
        "<capacity unit='bytes'>10</capacity><allocation unit='bytes'>4</allocation><unknown><name>deep</name></unknown>"
        "<target><path>/dev/vg_san/vm-1</path><format type='qcow2'/><format type='raw'/></target>"
        "<target><path>/elsewhere</path></target>"
        "<activation state='exclusive' open='yes' skip='yes' autoactivation='no'/><incomplete/>"
        "<holder host_id='2' name='b&amp;b' mode='shared'/></volume>"
        "<volume><name>vm2</name><capacity>1</capacity></volume>"
        "</volumes>";
    host::MetadataArea area;
    auto vols = host::summarize_volumes(xml, pool_of(1ULL << 30), &area);
    ASSERT_TRUE(vols.ok()) << vols.error().message;
    ASSERT_EQ(vols->size(), 2u);
    const auto &v = (*vols)[0];
    EXPECT_EQ(v.name, "vm-1");
    EXPECT_EQ(v.key, "k");
    EXPECT_EQ(v.capacity, 10u);
    EXPECT_EQ(v.allocation, 4u);
    EXPECT_EQ(v.path, "/dev/vg_san/vm-1");
    EXPECT_EQ(v.format, "qcow2");
    EXPECT_EQ(v.activation, "exclusive");
    EXPECT_TRUE(v.open && v.skip && v.incomplete);
    EXPECT_FALSE(v.autoactivation);
    EXPECT_TRUE(v.has_holder);
    EXPECT_EQ(v.holder_id, 2u);
    EXPECT_EQ(v.holder_name, "b&b");
    EXPECT_EQ(v.holder_mode, "shared");
    EXPECT_EQ((*vols)[1].name, "vm2");
    EXPECT_EQ((*vols)[1].activation, "inactive");
    EXPECT_FALSE((*vols)[1].has_holder);
    EXPECT_TRUE(area.known);
    EXPECT_EQ(area.size, 1048576u);
    EXPECT_EQ(area.free, 4096u);
}

// A pool with several portals: inspect_pool's <path> elements before its volumes (issue 19).
TEST(Summaries, EachPathOfAMultipathPool) {
    const std::string xml =
        "<volumes><path portal='10.0.2.2:3260' session='LOGGED_IN' disk='sdb' state='active' checker='ready' usable='yes'/>"
        "<path portal='10.0.2.2:3261' session='FAILED' disk='sdc' state='failed' checker='faulty' usable='no'/>"
        "<path portal='10.0.2.3:3260'/>"
        "<volume><name>vm1</name><capacity>1</capacity></volume></volumes>";
    std::vector<host::PathSummary> paths;
    auto vols = host::summarize_volumes(xml, pool_of(1ULL << 30), nullptr, &paths);
    ASSERT_TRUE(vols.ok()) << vols.error().message;
    ASSERT_EQ(vols->size(), 1u);   // a <path> is no volume
    ASSERT_EQ(paths.size(), 3u);
    EXPECT_TRUE(paths[0].usable);
    EXPECT_EQ(paths[1].session, "FAILED");
    EXPECT_FALSE(paths[1].usable);
    EXPECT_EQ(host::describe_paths(paths),
              "1 of 3 usable: 10.0.2.2:3260 sdb active/ready, 10.0.2.2:3261 sdc failed/faulty, 10.0.2.3:3260 no session");
    // A pool with one portal: no <path>, nothing said.
    auto single = host::summarize_volumes("<volumes/>", pool_of(1ULL << 30), nullptr, &paths);
    ASSERT_TRUE(single.ok());
    EXPECT_TRUE(paths.empty());
}

TEST(Summaries, WhatTheModuleCannotHaveWrittenIsItsBug) {
    auto wrong_root = host::summarize_volumes("<pool/>", pool_of(1ULL << 30));
    ASSERT_FALSE(wrong_root.ok());
    EXPECT_EQ(wrong_root.error().code, ErrorCode::internal);
    EXPECT_EQ(wrong_root.error().message, "the backend returned <pool> where <volumes> was expected");
    auto broken = host::summarize_volumes("<volumes><volume>", pool_of(1ULL << 30));
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().message.find("the backend returned XML that does not parse"), std::string::npos);
    auto nan = host::summarize_vol("<volume><name>v</name><capacity>12x</capacity></volume>");
    ASSERT_FALSE(nan.ok());
    EXPECT_NE(nan.error().message.find("a volume capacity '12x', not a number"), std::string::npos) << nan.error().message;
    auto one = host::summarize_vol("<volume type='block'>\n  <name>v</name>\n  <capacity unit='bytes'>5</capacity>\n</volume>\n");
    ASSERT_TRUE(one.ok()) << one.error().message;
    EXPECT_EQ(one->name, "v");
    EXPECT_EQ(one->capacity, 5u);
}

}  // namespace
}  // namespace ilvm::test
