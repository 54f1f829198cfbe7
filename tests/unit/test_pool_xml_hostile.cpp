// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool XML against hostile and careless input (issue 15): login bounds.
#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ilvm
