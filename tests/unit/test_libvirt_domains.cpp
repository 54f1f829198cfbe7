// SPDX-License-Identifier: LGPL-2.1-or-later
// cli/libvirt_domains.cpp against libvirt's in-process test driver (no daemon): states,
// live XML, and a migration the driver cannot do, which must come back as a system error
// carrying libvirt's message.
#include <fstream>

#include <gtest/gtest.h>
#include <libxml/parserInternals.h>

#include "fake_handover.hpp"
#include "host/libvirt/libvirt_domains.hpp"

namespace ilvm::test {
namespace {

using host::DomainRun;

// test:///<file>: a node with a running domain using an iscsi-lvm volume, and a shut-off one.
//
// The test driver reads that file with libxml2 when the connection opens, through the
// process-wide external entity loader, which our XML hardening (xml_doc.cpp) replaces by
// one that refuses every file once anything has parsed XML in this process. So the
// connection is opened here, with libxml2's local-file loader for that moment only.
class LibvirtDomains : public ::testing::Test {
protected:
    TempRunDir dir;
    std::string uri;
    std::unique_ptr<host::Domains> d;

    void connect() {
        const xmlExternalEntityLoader hardened = xmlGetExternalEntityLoader();
        xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
        d = host::make_libvirt_domains(uri);
        auto s = d->state("web1");
        xmlSetExternalEntityLoader(hardened);
        ASSERT_TRUE(s.ok()) << s.error().message;
    }

    void SetUp() override {
        const std::string path = dir.path() + "/node.xml";
        std::ofstream(path) << R"(<node>
  <domain type='test'>
    <name>web1</name><memory>65536</memory><os><type>hvm</type></os>
    <devices><disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk></devices>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>off1</name><memory>65536</memory><os><type>hvm</type></os>
    <test:runstate>5</test:runstate>
  </domain>
</node>)";
        uri = "test://" + path;
        connect();
    }
};

TEST_F(LibvirtDomains, StatesOfRunningShutOffAndUnknownDomains) {
    auto s = d->state("web1");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(*s, DomainRun::active);
    EXPECT_EQ(*d->state("off1"), DomainRun::inactive);
    EXPECT_EQ(*d->state("nope"), DomainRun::absent);
}

TEST_F(LibvirtDomains, LiveXmlHasTheDisks) {
    auto xml = d->live_xml("web1");
    ASSERT_TRUE(xml.ok()) << xml.error().message;
    EXPECT_NE(xml->find("/dev/vg_san/vm1"), std::string::npos);
    EXPECT_EQ(d->live_xml("nope").error().code, ErrorCode::not_found);
}

TEST_F(LibvirtDomains, AMigrationLibvirtRefusesIsASystemErrorWithItsMessage) {
    ASSERT_TRUE(d->open_destination("test:///default").ok());
    host::MigrateRequest req{"test:///default", std::string("tcp://127.0.0.1"), true, false};
    auto st = d->migrate("web1", req);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::system);
    EXPECT_NE(st.error().message.find("not supported"), std::string::npos) << st.error().message;
}

// libvirt 9.0's test driver has no virDomainGetJobStats (the qemu driver has): what the
// agent then says is a system error carrying libvirt's message (a share is refused); an
// unknown domain is not_found.
TEST_F(LibvirtDomains, AJobLibvirtCannotReadIsASystemErrorAndAnUnknownDomainNotFound) {
    auto j = d->job("web1");
    if (j.ok()) {
        EXPECT_EQ(*j, host::DomainJob::none);   // a driver that has it: the idle domain has no job
    } else {
        EXPECT_EQ(j.error().code, ErrorCode::system);
        EXPECT_NE(j.error().message.find("cannot read the job of domain web1: "), std::string::npos) << j.error().message;
    }
    EXPECT_EQ(d->job("nope").error().code, ErrorCode::not_found);
}

TEST_F(LibvirtDomains, UnreachableLibvirtIsASystemErrorWithAHint) {
    auto d = host::make_libvirt_domains("test:///nonexistent/ilvm-no-such-file.xml");
    auto s = d->state("web1");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::system);
    EXPECT_NE(s.error().message.find("cannot connect to libvirt at test:///nonexistent"), std::string::npos);
    EXPECT_FALSE(s.error().hint.empty());
    auto dest = d->open_destination("test:///nonexistent/x.xml");
    ASSERT_FALSE(dest.ok());
    EXPECT_NE(dest.error().hint.find("virsh -c test:///nonexistent/x.xml list"), std::string::npos);
}

}  // namespace
}  // namespace ilvm::test
