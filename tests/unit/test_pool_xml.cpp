// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool XML: parsing, defaults, formatting and round trips.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "xml/pool_xml.hpp"

namespace ilvm {
namespace {

const std::filesystem::path k_data = ILVM_TEST_DATA_DIR;

std::string read_file(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << p;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// PoolDef has no operator== (model/ is not ours): compare field by field so a failure
// names the field.
void expect_same(const PoolDef &a, const PoolDef &b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.uuid, b.uuid);
    ASSERT_EQ(a.portals.size(), b.portals.size());
    for (size_t i = 0; i < a.portals.size(); ++i) {
        EXPECT_EQ(a.portals[i].host, b.portals[i].host) << "portal " << i;
        EXPECT_EQ(a.portals[i].port, b.portals[i].port) << "portal " << i;
    }
    EXPECT_EQ(a.login.timeout, b.login.timeout);
    EXPECT_EQ(a.login.retries, b.login.retries);
    EXPECT_EQ(a.target_iqn, b.target_iqn);
    EXPECT_EQ(a.lun, b.lun);
    EXPECT_EQ(a.initiator_iqn, b.initiator_iqn);
    ASSERT_EQ(a.auth.has_value(), b.auth.has_value());
    if (a.auth) {
        EXPECT_EQ(a.auth->username, b.auth->username);
        EXPECT_EQ(a.auth->secret.usage, b.auth->secret.usage);
        EXPECT_EQ(a.auth->secret.uuid, b.auth->secret.uuid);
    }
    EXPECT_EQ(a.vg_name, b.vg_name);
    EXPECT_EQ(a.vg_uuid, b.vg_uuid);
    EXPECT_EQ(a.lock_type, b.lock_type);
    EXPECT_EQ(a.wipe_on_delete, b.wipe_on_delete);
    EXPECT_EQ(a.metadata_size, b.metadata_size);
    EXPECT_EQ(a.on_lockfailure, b.on_lockfailure);
}

PoolDef full_def() {
    PoolDef d;
    d.name = "san";
    d.uuid = "8f2c1e5a-0b1d-4c3e-9f4a-5b6c7d8e9f00";
    d.portals = {Portal{"10.0.0.50", 3260}};
    d.target_iqn = "iqn.2024-04.com.example:vms";
    d.lun = 0;
    d.initiator_iqn = "iqn.2026-11.org.example:host-a";
    d.auth = ChapAuth{"vmhost", SecretRef{"san-chap", ""}};
    d.vg_name = "vg_san";
    d.vg_uuid = "AbCdEf-1234-5678-9abc-DEFG-hijk-LMNopq";
    d.lock_type = LockType::sanlock;
    d.wipe_on_delete = false;
    return d;
}

PoolDef minimal_def() {
    PoolDef d;
    d.name = "san";
    d.portals = {Portal{"10.0.0.50"}};
    d.target_iqn = "iqn.2024-04.com.example:vms";
    d.vg_name = "san";
    return d;
}

PoolDef parse_ok(const std::string &xml) {
    auto r = parse_pool_xml(xml);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << "\n" << xml;
    return r.ok() ? r.value() : PoolDef{};
}

Error parse_err(const std::string &xml) {
    auto r = parse_pool_xml(xml);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << xml;
    return r.ok() ? Error{} : r.error();
}

const std::string k_min_source =
    "<source><host name='10.0.0.50'/><device path='iqn.2024-04.com.example:vms'/></source>";

TEST(PoolXml, ParsesTheFullExample) {
    PoolDef d = parse_ok(read_file(k_data / "xml/valid/pool-full.xml"));
    expect_same(d, full_def());
    EXPECT_EQ(d.portals.front().address(), "10.0.0.50:3260");
    EXPECT_FALSE(d.multipath());
    EXPECT_EQ(d.target_path(), "/dev/vg_san");
}

TEST(PoolXml, MinimalGetsTheDefaults) {
    PoolDef d = parse_ok(read_file(k_data / "xml/valid/pool-minimal.xml"));
    expect_same(d, minimal_def());
    EXPECT_EQ(d.portals.front().port, 3260);
    EXPECT_EQ(d.lun, 0u);
    EXPECT_EQ(d.vg_name, "san");  // <source><name> defaults to the pool name
    EXPECT_EQ(d.lock_type, LockType::sanlock);
    EXPECT_FALSE(d.wipe_on_delete);
    EXPECT_FALSE(d.auth.has_value());
    EXPECT_TRUE(d.uuid.empty());
    EXPECT_TRUE(d.initiator_iqn.empty());
    EXPECT_TRUE(d.vg_uuid.empty());
}

TEST(PoolXml, ElementOrderDoesNotMatterAndIpv6Works) {
    PoolDef d = parse_ok(read_file(k_data / "xml/valid/pool-ipv6-uuid-secret.xml"));
    EXPECT_EQ(d.name, "lab");
    ASSERT_EQ(d.portals.size(), 1u);
    EXPECT_EQ(d.portals.front().host, "fd00::50");
    EXPECT_EQ(d.portals.front().port, 3261);
    EXPECT_EQ(d.portals.front().address(), "[fd00::50]:3261");
    EXPECT_EQ(d.lun, 3u);
    EXPECT_EQ(d.vg_name, "vg_lab");
    ASSERT_TRUE(d.auth.has_value());
    EXPECT_EQ(d.auth->username, "lab");
    EXPECT_TRUE(d.auth->secret.usage.empty());
    EXPECT_EQ(d.auth->secret.uuid, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    EXPECT_EQ(d.lock_type, LockType::dlm);
    EXPECT_TRUE(d.wipe_on_delete);
}

TEST(PoolXml, DumpxmlOfAnActivePoolParsesAndIgnoresTheSizes) {
    PoolDef d = parse_ok(read_file(k_data / "xml/valid/pool-dumpxml-active.xml"));
    EXPECT_EQ(d.name, "san");
    EXPECT_EQ(d.vg_name, "vg_san");
    EXPECT_EQ(d.lock_type, LockType::none);
    EXPECT_FALSE(d.shared());
}

TEST(PoolXml, FormatIsLibvirtStyle) {
    const std::string expected =
        "<pool type='iscsi-lvm'>\n"
        "  <name>san</name>\n"
        "  <uuid>8f2c1e5a-0b1d-4c3e-9f4a-5b6c7d8e9f00</uuid>\n"
        "  <source>\n"
        "    <host name='10.0.0.50' port='3260'/>\n"
        "    <login timeout='5' retries='4'/>\n"
        "    <device path='iqn.2024-04.com.example:vms' lun='0'/>\n"
        "    <initiator>\n"
        "      <iqn name='iqn.2026-11.org.example:host-a'/>\n"
        "    </initiator>\n"
        "    <auth type='chap' username='vmhost'>\n"
        "      <secret usage='san-chap'/>\n"
        "    </auth>\n"
        "    <name>vg_san</name>\n"
        "    <vg uuid='AbCdEf-1234-5678-9abc-DEFG-hijk-LMNopq'/>\n"
        "    <format type='lvm2'/>\n"
        "  </source>\n"
        "  <target>\n"
        "    <path>/dev/vg_san</path>\n"
        "  </target>\n"
        "  <locking type='sanlock'/>\n"
        "  <wipe_on_create>yes</wipe_on_create>\n"
        "  <wipe_on_delete>no</wipe_on_delete>\n"
        "  <metadata_size unit='MiB'>64</metadata_size>\n"
        "  <on_lockfailure>pause</on_lockfailure>\n"
        "</pool>\n";
    EXPECT_EQ(format_pool_xml(full_def()), expected);
    // The committed example is exactly what we print.
    EXPECT_EQ(read_file(k_data / "xml/valid/pool-full.xml"), expected);
}

// <metadata_size>: the LVM metadata area pool-build makes (issue 16). 64 MiB unless given;
// whole MiB from 1 MiB to 1 GiB in any size unit; printed in MiB, and read back the same.
TEST(PoolXml, MetadataSize) {
    EXPECT_EQ(minimal_def().metadata_size, 64ULL << 20);
    auto with = [](const std::string &element) {
        std::string xml = format_pool_xml(minimal_def());
        return parse_pool_xml(xml.replace(xml.find("</pool>"), 7, element + "</pool>"));
    };
    // minimal_def()'s output already carries the default: replace it rather than add a second.
    auto set = [](const std::string &element) {
        std::string xml = format_pool_xml(minimal_def());
        const auto at = xml.find("  <metadata_size");
        return parse_pool_xml(xml.replace(at, xml.find('\n', at) + 1 - at, element + "\n"));
    };
    EXPECT_EQ(set("<metadata_size>128</metadata_size>").value().metadata_size, 128ULL << 20);
    EXPECT_EQ(set("<metadata_size unit='GiB'>1</metadata_size>").value().metadata_size, 1ULL << 30);
    EXPECT_EQ(set("<metadata_size unit='KiB'>2048</metadata_size>").value().metadata_size, 2ULL << 20);
    for (const char *bad : {"<metadata_size>0</metadata_size>", "<metadata_size>1025</metadata_size>",
                            "<metadata_size unit='KiB'>1536</metadata_size>", "<metadata_size>64M</metadata_size>",
                            "<metadata_size unit='Q'>64</metadata_size>"}) {
        auto r = set(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << bad;
        EXPECT_NE(r.error().message.find("<metadata_size>"), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(with("<metadata_size>64</metadata_size>").ok());   // two of them
    PoolDef d = minimal_def();
    d.metadata_size = 256ULL << 20;
    const std::string out = format_pool_xml(d);
    EXPECT_NE(out.find("  <metadata_size unit='MiB'>256</metadata_size>\n"), std::string::npos) << out;
    expect_same(parse_ok(out), d);
}

// <on_lockfailure> (issue 19): what `ilvm lease-lost` does to the pool's domains on a host
// that lost the VG's lease. pause unless given; always printed; read back the same; any
// other value refused, by the schema (one line naming the element and the two values).
TEST(PoolXml, OnLockFailure) {
    EXPECT_EQ(parse_ok(read_file(k_data / "xml/valid/pool-minimal.xml")).on_lockfailure, LockFailurePolicy::pause);
    EXPECT_NE(format_pool_xml(minimal_def()).find("  <on_lockfailure>pause</on_lockfailure>\n</pool>\n"), std::string::npos);
    PoolDef d = minimal_def();
    d.on_lockfailure = LockFailurePolicy::poweroff;
    const std::string out = format_pool_xml(d);
    EXPECT_NE(out.find("  <on_lockfailure>poweroff</on_lockfailure>\n</pool>\n"), std::string::npos) << out;
    expect_same(parse_ok(out), d);
    auto with = [](const std::string &value) {
        return "<pool type='iscsi-lvm'><name>san</name>" + k_min_source + "<on_lockfailure>" + value +
               "</on_lockfailure></pool>";
    };
    EXPECT_EQ(parse_ok(with(" poweroff ")).on_lockfailure, LockFailurePolicy::poweroff);
    EXPECT_EQ(parse_ok(with("pause")).on_lockfailure, LockFailurePolicy::pause);
    for (const char *bad : {"reset", "", "Pause", "destroy"}) {
        const Error e = parse_err(with(bad));
        EXPECT_EQ(e.code, ErrorCode::invalid_input) << bad;
        EXPECT_NE(e.message.find("on_lockfailure"), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
    }
}

TEST(PoolXml, FormatWithStatusAddsSizesAfterUuid) {
    PoolStatus st;
    st.capacity = 107369988096;
    st.allocation = 21474836480;
    st.available = 85895151616;
    const std::string out = format_pool_xml(full_def(), &st);
    const std::string sizes =
        "  <uuid>8f2c1e5a-0b1d-4c3e-9f4a-5b6c7d8e9f00</uuid>\n"
        "  <capacity unit='bytes'>107369988096</capacity>\n"
        "  <allocation unit='bytes'>21474836480</allocation>\n"
        "  <available unit='bytes'>85895151616</available>\n"
        "  <source>\n";
    EXPECT_NE(out.find(sizes), std::string::npos) << out;
    expect_same(parse_ok(out), full_def());
}

TEST(PoolXml, FormatWithoutUuidOmitsIt) {
    const std::string out = format_pool_xml(minimal_def());
    EXPECT_EQ(out.find("<uuid>"), std::string::npos);
    EXPECT_NE(out.find("<name>san</name>\n    <format"), std::string::npos) << out;  // VG name spelt out
    EXPECT_NE(out.find("<path>/dev/san</path>"), std::string::npos);
    EXPECT_NE(out.find("<locking type='sanlock'/>"), std::string::npos);
    EXPECT_NE(out.find("<wipe_on_delete>no</wipe_on_delete>"), std::string::npos);
    EXPECT_NE(out.find("port='3260'"), std::string::npos);
    EXPECT_NE(out.find("lun='0'"), std::string::npos);
}

TEST(PoolXml, EmptyVgNameFormatsAsThePoolName) {
    PoolDef d = minimal_def();
    d.vg_name.clear();
    PoolDef back = parse_ok(format_pool_xml(d));
    EXPECT_EQ(back.vg_name, "san");
}

// --- round trips: parse(format(def)) == def

struct RoundTripCase {
    const char *label;
    PoolDef def;
};

class PoolRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(PoolRoundTrip, ParseOfFormatGivesTheDefinitionBack) {
    const PoolDef &def = GetParam().def;
    const std::string once = format_pool_xml(def);
    PoolDef back = parse_ok(once);
    expect_same(back, def);
    EXPECT_EQ(format_pool_xml(back), once);  // and the text is stable

    PoolStatus st{1 << 30, 1 << 20, (1 << 30) - (1 << 20), 4 << 20, "x"};
    expect_same(parse_ok(format_pool_xml(def, &st)), def);
}

std::vector<RoundTripCase> round_trip_cases() {
    std::vector<RoundTripCase> v;
    v.push_back({"full", full_def()});
    v.push_back({"minimal", minimal_def()});
    {
        PoolDef d = full_def();
        d.portals = {Portal{"fe80::1:2", 65535}};
        v.push_back({"ipv6", d});
    }
    {
        PoolDef d = full_def();
        d.portals = {Portal{"10.0.0.50", 3260}, Portal{"10.0.1.50", 3260}};
        v.push_back({"two_portals", d});
    }
    {
        // In the order written; one address on two ports is two portals.
        PoolDef d = minimal_def();
        d.portals = {Portal{"fd00::51", 3260}, Portal{"10.0.0.50", 3260}, Portal{"10.0.0.50", 3261}};
        v.push_back({"three_portals", d});
    }
    {
        PoolDef d = full_def();
        d.auth = ChapAuth{"user@example", SecretRef{"", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}};
        v.push_back({"uuid_secret", d});
    }
    for (LockType t : {LockType::sanlock, LockType::dlm, LockType::none}) {
        PoolDef d = minimal_def();
        d.lock_type = t;
        v.push_back({lock_type_name(t), d});
    }
    {
        PoolDef d = minimal_def();
        d.wipe_on_delete = true;
        d.lun = 16383;
        d.portals.front().port = 1;
        v.push_back({"wipe_and_limits", d});
    }
    {
        PoolDef d = minimal_def();
        d.login = LoginSettings{600, 6};
        v.push_back({"login", d});
    }
    {
        PoolDef d = minimal_def();
        d.target_iqn = "eui.0123456789abcdef";
        d.initiator_iqn = "naa.0123456789abcdef0123456789abcdef";
        v.push_back({"eui_naa", d});
    }
    {
        // Characters XML must escape, in the places that allow them.
        PoolDef d = full_def();
        d.auth = ChapAuth{"a<b>&'\"c", SecretRef{"usage with 'quotes' & <angles>", ""}};
        v.push_back({"escaping", d});
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(Defs, PoolRoundTrip, ::testing::ValuesIn(round_trip_cases()),
                         [](const auto &info) { return std::string(info.param.label); });

// --- input forms

TEST(PoolXml, CommentsCdataAndWhitespaceAreFine) {
    PoolDef d = parse_ok(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- a pool -->\n"
        "<pool type='iscsi-lvm'>\n"
        "  <name>\n    san\n  </name>\n"
        "  <source>\n"
        "    <host name='10.0.0.50'/><!-- portal -->\n"
        "    <device path='iqn.2024-04.com.example:vms'/>\n"
        "    <name><![CDATA[vg_san]]></name>\n"
        "  </source>\n"
        "  <locking type=' dlm '/>\n"
        "  <wipe_on_delete> yes </wipe_on_delete>\n"
        "</pool>\n");
    EXPECT_EQ(d.name, "san");
    EXPECT_EQ(d.vg_name, "vg_san");
    EXPECT_EQ(d.lock_type, LockType::dlm);
    EXPECT_TRUE(d.wipe_on_delete);
}

TEST(PoolXml, UuidsAreCanonicalised) {
    PoolDef d = parse_ok(
        "<pool type='iscsi-lvm'><name>san</name><uuid>8F2C1E5A0B1D4C3E9F4A5B6C7D8E9F00</uuid>"
        "<source><host name='h'/><device path='iqn.2024-04.com.example:vms'/>"
        "<auth type='chap' username='u'><secret uuid='0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9'/></auth></source></pool>");
    EXPECT_EQ(d.uuid, "8f2c1e5a-0b1d-4c3e-9f4a-5b6c7d8e9f00");
    ASSERT_TRUE(d.auth.has_value());
    EXPECT_EQ(d.auth->secret.uuid, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
}

TEST(PoolXml, PortAndLunBoundaries) {
    auto with = [](const std::string &host, const std::string &device) {
        return "<pool type='iscsi-lvm'><name>san</name><source>" + host + device + "</source></pool>";
    };
    const std::string dev = "<device path='iqn.2024-04.com.example:vms'/>";
    EXPECT_EQ(parse_ok(with("<host name='h' port='1'/>", dev)).portals.front().port, 1);
    EXPECT_EQ(parse_ok(with("<host name='h' port='65535'/>", dev)).portals.front().port, 65535);
    EXPECT_EQ(parse_ok(with("<host name='h' port='03260'/>", dev)).portals.front().port, 3260);
    EXPECT_EQ(parse_ok(with("<host name='h'/>", "<device path='iqn.2024-04.com.example:vms' lun='16383'/>")).lun, 16383u);
    for (const char *bad : {"0", "65536", "-1", "abc", "99999999999999999999", "", " 3260", "+3260", "0x10", "3260.0"}) {
        Error e = parse_err(with(std::string("<host name='h' port='") + bad + "'/>", dev));
        EXPECT_NE(e.message.find("invalid portal port"), std::string::npos) << bad << ": " << e.message;
        EXPECT_NE(e.message.find("expected a number from 1 to 65535"), std::string::npos) << e.message;
        EXPECT_EQ(e.code, ErrorCode::invalid_input);
    }
    for (const char *bad : {"16384", "-1", "x", "4294967296", ""}) {
        Error e = parse_err(with("<host name='h'/>", std::string("<device path='iqn.2024-04.com.example:vms' lun='") + bad + "'/>"));
        EXPECT_NE(e.message.find("invalid LUN"), std::string::npos) << bad << ": " << e.message;
    }
}

TEST(PoolXml, PasswordsAreRefusedWithoutEchoingThem) {
    const std::string variants[] = {
        "<auth type='chap' username='u' password='hunter2'><secret usage='s'/></auth>",
        "<auth type='chap' username='u' PassWord='hunter2'><secret usage='s'/></auth>",
        "<auth type='chap' username='u'><secret usage='s' value='hunter2'/></auth>",
        "<auth type='chap' username='u'><secret usage='s'>hunter2</secret></auth>",
        "<auth type='chap' username='u'><secret usage='s'><![CDATA[hunter2]]></secret></auth>",
        "<auth type='chap' username='u'><secret usage='s'/><password>hunter2</password></auth>",
        "<auth type='chap' username='u'>hunter2<secret usage='s'/></auth>",
        "<auth type='chap' username='u' secret='hunter2'><secret usage='s'/></auth>",
        "<auth type='chap' username='u'><secret usage='s' passwd='hunter2'/></auth>",
    };
    for (const auto &auth : variants) {
        Error e = parse_err("<pool type='iscsi-lvm'><name>san</name><source><host name='h'/>"
                            "<device path='iqn.2024-04.com.example:vms'/>" + auth + "</source></pool>");
        EXPECT_NE(e.message.find("the CHAP password lives in libvirt's secret store, not in pool XML"), std::string::npos)
            << auth << ": " << e.message;
        EXPECT_NE(e.hint.find("virsh secret-define"), std::string::npos);
        EXPECT_NE(e.hint.find("virsh secret-set-value"), std::string::npos);
        EXPECT_EQ(e.message.find("hunter2"), std::string::npos) << e.message;
        EXPECT_EQ(e.hint.find("hunter2"), std::string::npos);
    }
    // Anywhere in the document, not only in <auth>.
    Error e = parse_err("<pool type='iscsi-lvm' password='hunter2'><name>san</name>" + k_min_source + "</pool>");
    EXPECT_NE(e.message.find("libvirt's secret store"), std::string::npos) << e.message;
}

TEST(PoolXml, TargetPathMustMatchTheVg) {
    PoolDef d = parse_ok("<pool type='iscsi-lvm'><name>san</name>" + k_min_source +
                         "<target><path> /dev/san </path></target></pool>");
    EXPECT_EQ(d.vg_name, "san");
    Error e = parse_err("<pool type='iscsi-lvm'><name>san</name>" + k_min_source + "<target><path>/dev/san/</path></target></pool>");
    EXPECT_NE(e.message.find("does not match the volume group 'san'"), std::string::npos) << e.message;
    EXPECT_FALSE(e.hint.empty());
}

TEST(PoolXml, WrongTypeNamesTheRightOne) {
    for (const char *type : {"logical", "iscsi", "iscsi-direct", ""}) {
        Error e = parse_err(std::string("<pool type='") + type + "'><name>san</name>" + k_min_source + "</pool>");
        EXPECT_NE(e.message.find("is not supported: iscsi-lvm pools are <pool type='iscsi-lvm'>"), std::string::npos)
            << e.message;
    }
}

TEST(PoolXml, ErrorsAreInvalidInputOnOneLine) {
    const std::string inputs[] = {
        "",
        "<pool",
        "<pool type='iscsi-lvm'/>",
        "<pool type='iscsi-lvm'><name>a\nb</name>" + k_min_source + "</pool>",
        "<pool type='iscsi-lvm'><name>san</name><source><host name='h\nx'/>"
        "<device path='iqn.2024-04.com.example:vms'/></source></pool>",
        "<pool type='iscsi-lvm'><name>san</name><source><host name='h'/>"
        "<device path='iqn.2024-04.com.example:v\tms'/></source></pool>",
        "<pool type='iscsi-lvm'><na\nme>san</na\nme></pool>",
        "<pool type='iscsi-lvm'><name>san</name>" + k_min_source + "<foo\n/></pool>",
        "<pool type='iscsi-lvm'>\n<name>san</name>\n</pool>",
    };
    for (const auto &in : inputs) {
        Error e = parse_err(in);
        EXPECT_EQ(e.code, ErrorCode::invalid_input) << e.message;
        EXPECT_FALSE(e.message.empty());
        EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find('\r'), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find('\t'), std::string::npos) << e.message;
        EXPECT_EQ(e.hint.find('\n'), std::string::npos) << e.hint;
    }
}

TEST(PoolXml, SchemaErrorsCarryLineNumbers) {
    Error e = parse_err("<pool type='iscsi-lvm'>\n  <name>san</name>\n  <source>\n    <host name='10.0.0.50'/>\n"
                        "    <device path='iqn.2024-04.com.example:vms'/>\n    <device path='iqn.2024-04.com.example:vms'/>\n"
                        "  </source>\n</pool>\n");
    EXPECT_EQ(e.message, "pool XML does not match the schema: line 6: more than one <device> in <source>");
}

// --- several portals (multipath, issue 19)

std::string with_hosts(const std::string &hosts) {
    return "<pool type='iscsi-lvm'>\n  <name>san</name>\n  <source>\n" + hosts +
           "    <device path='iqn.2024-04.com.example:vms'/>\n  </source>\n</pool>\n";
}

TEST(PoolXml, SeveralPortalsInTheOrderWritten) {
    PoolDef d = parse_ok(with_hosts("    <host name='10.0.1.50'/>\n    <host name='2001:DB8::50' port='3261'/>\n"
                                    "    <host name='10.0.0.50'/>\n"));
    ASSERT_EQ(d.portals.size(), 3u);
    EXPECT_TRUE(d.multipath());
    EXPECT_EQ(d.portals[0].address(), "10.0.1.50:3260");
    EXPECT_EQ(d.portals[1].address(), "[2001:db8::50]:3261");
    EXPECT_EQ(d.portals[2].address(), "10.0.0.50:3260");
    EXPECT_EQ(d.by_path_device(d.portals[1]), "/dev/disk/by-path/ip-2001:db8::50:3261-iscsi-iqn.2024-04.com.example:vms-lun-0");
    // The same address on another port is another portal.
    EXPECT_EQ(parse_ok(with_hosts("    <host name='10.0.0.50'/>\n    <host name='10.0.0.50' port='3261'/>\n")).portals.size(), 2u);
}

TEST(PoolXml, SinglePortalRoundTripIsByteIdentical) {
    const std::string text = read_file(k_data / "xml/valid/pool-full.xml");
    EXPECT_EQ(format_pool_xml(parse_ok(text)), text);
    PoolDef two = full_def();
    two.portals.push_back(Portal{"10.0.1.50", 3260});
    std::string expected = text;
    expected.insert(expected.find("    <login"), "    <host name='10.0.1.50' port='3260'/>\n");
    EXPECT_EQ(format_pool_xml(two), expected);
    EXPECT_EQ(format_pool_xml(parse_ok(expected)), expected);
}

TEST(PoolXml, APortalNamedTwiceIsRefused) {
    // The same address however written, on the same port (the default spelled out or not).
    for (const char *second : {"<host name='10.0.0.50' port='3260'/>", "<host name='10.0.0.50'/>"}) {
        Error e = parse_err(with_hosts("    <host name='10.0.0.50'/>\n    " + std::string(second) + "\n"));
        EXPECT_EQ(e.code, ErrorCode::invalid_input);
        EXPECT_EQ(e.message, "portal 10.0.0.50:3260 is named twice in <source> (line 5)");
        EXPECT_EQ(e.hint, "each <host> is one path to the LUN: remove the second one (the same address, however written, "
                          "and the same port)");
    }
    Error v6 = parse_err(with_hosts("    <host name='2001:db8::50'/>\n    <host name='10.0.0.51'/>\n"
                                    "    <host name='2001:0DB8:0::50'/>\n"));
    EXPECT_EQ(v6.message, "portal [2001:db8::50]:3260 is named twice in <source> (line 6)");
}

TEST(PoolXml, AtMostEightPortals) {
    std::string hosts;
    for (int i = 1; i <= 8; ++i) hosts += "    <host name='10.0.0." + std::to_string(i) + "'/>\n";
    EXPECT_EQ(parse_ok(with_hosts(hosts)).portals.size(), PoolDef::kMaxPortals);
    Error e = parse_err(with_hosts(hosts + "    <host name='10.0.0.9'/>\n"));
    EXPECT_EQ(e.code, ErrorCode::invalid_input);
    EXPECT_EQ(e.message, "<source> names 9 portals (<host>): at most 8 (line 12)");
    EXPECT_EQ(e.hint, "each <host> is one path to the LUN; name the portals this host should log in to");
}

}  // namespace
}  // namespace ilvm
