// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool XML against hostile and careless input (issue 15): login bounds, portal hosts.
#include <gtest/gtest.h>

#include <string>

#include "iscsi/session.hpp"
#include "xml/pool_xml.hpp"

namespace ilvm {
namespace {

std::string pool_with(const std::string &host, const std::string &extra = "") {
    return "<pool type='iscsi-lvm'><name>san</name><source>" + host + extra +
           "<device path='iqn.2024-04.com.example:vms'/></source></pool>";
}

Error parse_err(const std::string &xml) {
    auto r = parse_pool_xml(xml);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << xml;
    return r.ok() ? Error{} : r.error();
}

// --- <login timeout retries>

TEST(PoolXmlLogin, DefaultsBoundADeadPortalToTwentySeconds) {
    auto d = parse_pool_xml(pool_with("<host name='10.0.0.50'/>"));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->login.timeout, 5u);
    EXPECT_EQ(d->login.retries, 4u);
    EXPECT_EQ(d->login.window(), 20u);
    EXPECT_NE(format_pool_xml(*d).find("    <host name='10.0.0.50' port='3260'/>\n    <login timeout='5' retries='4'/>\n"),
              std::string::npos)
        << format_pool_xml(*d);
}

TEST(PoolXmlLogin, EitherAttributeAlone) {
    auto d = parse_pool_xml(pool_with("<host name='10.0.0.50'/>", "<login timeout='15'/>"));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->login.timeout, 15u);
    EXPECT_EQ(d->login.retries, 4u);
    d = parse_pool_xml(pool_with("<host name='10.0.0.50'/>", "<login retries='8'/>"));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->login.timeout, 5u);
    EXPECT_EQ(d->login.retries, 8u);
    d = parse_pool_xml(pool_with("<host name='10.0.0.50'/>", "<login/>"));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->login.window(), 20u);
}

TEST(PoolXmlLogin, Bounds) {
    for (const char *bad : {"0", "601", "-1", "abc", "", " 5", "+5", "0x10", "5.0", "99999999999999999999"}) {
        Error e = parse_err(pool_with("<host name='10.0.0.50'/>", std::string("<login timeout='") + bad + "'/>"));
        EXPECT_EQ(e.code, ErrorCode::invalid_input);
        EXPECT_NE(e.message.find("login timeout"), std::string::npos) << bad << ": " << e.message;
        EXPECT_NE(e.message.find("from 1 to 600"), std::string::npos) << e.message;
        EXPECT_FALSE(e.hint.empty());
    }
    for (const char *bad : {"0", "101", "x"}) {
        Error e = parse_err(pool_with("<host name='10.0.0.50'/>", std::string("<login retries='") + bad + "'/>"));
        EXPECT_NE(e.message.find("login retries"), std::string::npos) << bad << ": " << e.message;
        EXPECT_NE(e.message.find("from 1 to 100"), std::string::npos) << e.message;
    }
    // Together at most an hour of trying.
    EXPECT_TRUE(parse_pool_xml(pool_with("<host name='10.0.0.50'/>", "<login timeout='600' retries='6'/>")).ok());
    Error e = parse_err(pool_with("<host name='10.0.0.50'/>", "<login timeout='600' retries='7'/>"));
    EXPECT_EQ(e.message, "login timeout 600 s x 7 retries is more than 3600 s of trying (line 1)");
    // Structure: the schema refuses other attributes, text and a second <login>.
    EXPECT_NE(parse_err(pool_with("<host name='10.0.0.50'/>", "<login delay='1'/>")).message.find("unknown attribute 'delay'"),
              std::string::npos);
    EXPECT_NE(parse_err(pool_with("<host name='10.0.0.50'/>", "<login/><login/>")).message.find("more than one <login>"),
              std::string::npos);
}

// --- portal hosts: one spelling per address, fixed when the pool is defined

std::string host_xml(const std::string &host) { return pool_with("<host name='" + host + "'/>"); }

Result<PoolDef> define(const std::string &host) { return parse_pool_xml(host_xml(host), PoolXmlOrigin::definition); }

TEST(PortalHost, StrictDottedQuadOnly) {
    auto d = define("10.0.0.50");
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->portals.front().host, "10.0.0.50");
    // Forms inet_aton() (and so getaddrinfo, and iscsid) reads as other addresses:
    // 010.0.0.1 is 8.0.0.1, 0x7f.0.0.1 is 127.0.0.1, 127.1 is 127.0.0.1.
    for (const char *bad : {"010.0.0.1", "10.0.0.050", "00.0.0.0", "0x7f.0.0.1", "0X0A.0.0.1", "127.1", "10.1.258",
                            "2130706433", "1.2.3.4.5", "10.0.0.256", "1.2.3.", ".1.2.3", "1..2.3"}) {
        auto e = define(bad);
        ASSERT_FALSE(e.ok()) << bad << " was accepted";
        EXPECT_EQ(e.error().code, ErrorCode::invalid_input);
        EXPECT_NE(e.error().message.find("is not a valid IPv4 address"), std::string::npos) << bad << ": " << e.error().message;
        EXPECT_NE(e.error().hint.find("without leading zeros"), std::string::npos) << e.error().hint;
        // The same in XML stored by an older version: such a pool reached another address.
        EXPECT_FALSE(parse_pool_xml(host_xml(bad)).ok()) << bad;
    }
}

TEST(PortalHost, Ipv6IsStoredInItsCanonicalForm) {
    const std::pair<const char *, const char *> cases[] = {
        {"2001:DB8:0::50", "2001:db8::50"},
        {"2001:0db8:0000:0000:0000:0000:0000:0050", "2001:db8::50"},
        {"FD00::1", "fd00::1"},
        {"fe80:0:0:0:0:0:1:2", "fe80::1:2"},
        {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
    };
    for (const auto &[in, canonical] : cases) {
        auto d = define(in);
        ASSERT_TRUE(d.ok()) << in << ": " << d.error().message;
        EXPECT_EQ(d->portals.front().host, canonical) << in;
        EXPECT_NE(format_pool_xml(*d).find(std::string("<host name='") + canonical + "'"), std::string::npos);
        // Stored XML too: parse(format(x)) is stable.
        auto again = parse_pool_xml(format_pool_xml(*d));
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again->portals.front().host, canonical);
    }
}

TEST(PortalHost, Ipv4MappedBracketsAndZonesAreRefused) {
    auto e = define("::ffff:10.0.0.50");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().message, "portal host '::ffff:10.0.0.50' is an IPv4-mapped IPv6 address: write the IPv4 address 10.0.0.50");
    EXPECT_FALSE(define("::FFFF:a00:32").ok());
    EXPECT_FALSE(parse_pool_xml(host_xml("::ffff:10.0.0.50")).ok());
    e = define("[fd00::1]");
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("without brackets"), std::string::npos) << e.error().message;
    e = define("fe80::1%eth0");
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("zone"), std::string::npos) << e.error().message;
    EXPECT_FALSE(define("fd00::1::2").ok());
    EXPECT_FALSE(define("fd00:::1").ok());
}

TEST(PortalHost, HostNamesAreRefusedWhenDefining) {
    auto e = define("san.example.org");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(e.error().message, "portal host 'san.example.org' is a host name: give the portal's IP address");
    EXPECT_NE(e.error().hint.find("getent ahosts san.example.org"), std::string::npos) << e.error().hint;
    EXPECT_FALSE(define("localhost").ok());
    // A definition stored by an older version is still read as written, so that pool can
    // still be stopped and undefined.
    auto stored = parse_pool_xml(host_xml("san.example.org"));
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored->portals.front().host, "san.example.org");
    // Every portal of a pool is held to it, and a stored name is compared without case.
    auto second = parse_pool_xml(pool_with("<host name='10.0.0.50'/><host name='san.example.org'/>"), PoolXmlOrigin::definition);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().message, "portal host 'san.example.org' is a host name: give the portal's IP address");
    auto twice = parse_pool_xml(pool_with("<host name='san.example.org'/><host name='SAN.example.org'/>"));
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("is named twice in <source>"), std::string::npos) << twice.error().message;
    // ... but not a name that is no host name at all.
    for (const char *bad : {"-bad.example", "a..b", "host name", "bad_host!", "example.123"})
        EXPECT_FALSE(parse_pool_xml(host_xml(bad)).ok()) << bad;
}

TEST(PortalHost, ByPathNameIsWhatUdevMakes) {
    // udev's path_id: "ip-%s:%s-iscsi-%s-lun-%s" with the session's persistent_address,
    // which is the record's address as written: no brackets around an IPv6 address.
    auto d = define("2001:DB8::50");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->portals.front().address(), "[2001:db8::50]:3260");
    EXPECT_EQ(d->by_path_device(d->portals.front()), "/dev/disk/by-path/ip-2001:db8::50:3260-iscsi-iqn.2024-04.com.example:vms-lun-0");
    d = define("10.0.0.50");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->by_path_device(d->portals.front()), "/dev/disk/by-path/ip-10.0.0.50:3260-iscsi-iqn.2024-04.com.example:vms-lun-0");
}

TEST(PortalHost, SessionsAreComparedByAddress) {
    const std::string iqn = "iqn.2024-04.com.example:vms";
    const std::string v6 =
        "tcp: [4] [2001:0DB8:0000:0000:0000:0000:0000:0050]:3260,1 iqn.2024-04.com.example:vms (non-flash)\n";
    EXPECT_TRUE(iscsi::session_listed(v6, iqn, "2001:db8::50", 3260));
    EXPECT_FALSE(iscsi::session_listed(v6, iqn, "2001:db8::51", 3260));
    EXPECT_FALSE(iscsi::session_listed(v6, iqn, "2001:db8::50", 3261));
    EXPECT_FALSE(iscsi::session_listed(v6, "iqn.2024-04.com.example:other", "2001:db8::50", 3260));
    const std::string mapped = "tcp: [5] [::ffff:10.0.0.50]:3260,1 iqn.2024-04.com.example:vms (non-flash)\n";
    EXPECT_TRUE(iscsi::session_listed(mapped, iqn, "10.0.0.50", 3260));
    const std::string v4 = "tcp: [1] 10.0.0.50:3260,1 iqn.2024-04.com.example:vms (non-flash)\n";
    EXPECT_TRUE(iscsi::session_listed(v4, iqn, "10.0.0.50", 3260));
    EXPECT_FALSE(iscsi::session_listed(v4, iqn, "10.0.0.5", 3260));
    EXPECT_FALSE(iscsi::session_listed(v4, iqn, "10.0.0.50", 326));
    // A legacy definition with a host name matches a session only by that name.
    const std::string named = "tcp: [2] San.Example.org:3260,1 iqn.2024-04.com.example:vms (non-flash)\n";
    EXPECT_TRUE(iscsi::session_listed(named, iqn, "san.example.org", 3260));
    EXPECT_FALSE(iscsi::session_listed("garbage\n\ntcp: [1]\n", iqn, "10.0.0.50", 3260));
}

}  // namespace
}  // namespace ilvm
