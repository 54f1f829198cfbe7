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

}  // namespace
}  // namespace ilvm::test
