// SPDX-License-Identifier: LGPL-2.1-or-later
// Volume XML: parsing, units, thick-only allocation, formatting and round trips.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/strings.hpp"
#include "xml/vol_xml.hpp"

namespace ilvm {
namespace {

const std::filesystem::path k_data = ILVM_TEST_DATA_DIR;
constexpr uint64_t GiB = 1024ULL * 1024 * 1024;

std::string read_file(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << p;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

VolDef parse_ok(const std::string &xml) {
    auto r = parse_vol_xml(xml);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << "\n" << xml;
    return r.ok() ? r.value() : VolDef{};
}

Error parse_err(const std::string &xml) {
    auto r = parse_vol_xml(xml);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << xml;
    return r.ok() ? Error{} : r.error();
}

void expect_same(const VolDef &a, const VolDef &b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.capacity, b.capacity);
    EXPECT_EQ(a.allocation, b.allocation);
    EXPECT_EQ(a.format, b.format);
}

std::string vol(const std::string &capacity, const std::string &extra = "") {
    return "<volume><name>vm1</name>" + capacity + extra + "</volume>";
}

TEST(VolXml, ParsesTheMinimalExample) {
    VolDef d = parse_ok(read_file(k_data / "xml/valid/vol-minimal.xml"));
    EXPECT_EQ(d.name, "vm1");
    EXPECT_EQ(d.capacity, 10 * GiB);
    EXPECT_FALSE(d.allocation.has_value());
}

TEST(VolXml, AllocationEqualToCapacityInAnotherUnitIsThick) {
    VolDef d = parse_ok(read_file(k_data / "xml/valid/vol-thick.xml"));
    EXPECT_EQ(d.capacity, 10 * GiB);
    ASSERT_TRUE(d.allocation.has_value());
    EXPECT_EQ(*d.allocation, 10 * GiB);
}

TEST(VolXml, AcceptsWhatVirshVolDumpxmlPrints) {
    VolDef d = parse_ok(read_file(k_data / "xml/valid/vol-libvirt-dumpxml.xml"));
    EXPECT_EQ(d.name, "vm1");
    EXPECT_EQ(d.capacity, 10 * GiB);
    EXPECT_EQ(d.allocation, 10 * GiB);
}

TEST(VolXml, AcceptsOurOwnDumpxml) {
    VolDef d = parse_ok(read_file(k_data / "xml/valid/vol-ilvm-dumpxml.xml"));
    EXPECT_EQ(d.name, "vm1");
    EXPECT_EQ(d.capacity, 10 * GiB);
}

TEST(VolXml, LibvirtUnits) {
    struct U { const char *unit; uint64_t bytes; };
    const U units[] = {
        {"", 7},  // unit='' is bytes, as in libvirt
        {"b", 7}, {"bytes", 7},
        {"k", 7 * 1024ULL}, {"KiB", 7 * 1024ULL}, {"KB", 7000},
        {"M", 7 * 1024ULL * 1024}, {"MiB", 7 * 1024ULL * 1024}, {"MB", 7000000},
        {"G", 7 * GiB}, {"GiB", 7 * GiB}, {"GB", 7000000000ULL},
        {"T", 7 * GiB * 1024}, {"TiB", 7 * GiB * 1024}, {"TB", 7000000000000ULL},
        {"P", 7 * GiB * 1024 * 1024}, {"PiB", 7 * GiB * 1024 * 1024},
        {"E", 7 * GiB * GiB}, {"EiB", 7 * GiB * GiB},
    };
    for (const auto &u : units)
        EXPECT_EQ(parse_ok(vol(std::string("<capacity unit='") + u.unit + "'>7</capacity>")).capacity, u.bytes) << u.unit;
    EXPECT_EQ(parse_ok(vol("<capacity>4096</capacity>")).capacity, 4096u);               // default: bytes
    EXPECT_EQ(parse_ok(vol("<capacity unit=' G '>\n 1\n</capacity>")).capacity, GiB);     // whitespace trimmed
    EXPECT_EQ(parse_ok(vol("<capacity>18446744073709551615</capacity>")).capacity, UINT64_MAX);
}

TEST(VolXml, CapacityErrors) {
    struct C { std::string capacity; std::string message; };
    const C cases[] = {
        {"<capacity unit='G'>0</capacity>", "volume capacity must be greater than zero"},
        {"<capacity>0</capacity>", "volume capacity must be greater than zero"},
        {"<capacity unit='G'>-1</capacity>", "volume capacity '-1' is not a whole number"},
        {"<capacity unit='G'>10G</capacity>", "volume capacity '10G' is not a whole number"},
        {"<capacity unit='G'>0x10</capacity>", "volume capacity '0x10' is not a whole number"},
        {"<capacity unit='G'>1 0</capacity>", "volume capacity '1 0' is not a whole number"},
        {"<capacity/>", "volume capacity is empty"},
        {"<capacity>18446744073709551616</capacity>", "volume capacity '18446744073709551616' is too large"},
        {"<capacity unit='E'>16</capacity>", "volume capacity: size 16E is too large"},
        {"<capacity unit='k'>18446744073709551615</capacity>", "volume capacity: size 18446744073709551615k is too large"},
        {"<capacity unit='sectors'>1</capacity>", "volume capacity: unknown size unit 'sectors'"},
    };
    for (const auto &c : cases) {
        Error e = parse_err(vol(c.capacity));
        EXPECT_EQ(e.code, ErrorCode::invalid_input);
        EXPECT_EQ(e.message, c.message) << c.capacity;
    }
}

TEST(VolXml, RawVolumesAreThick) {
    for (const char *alloc : {"<allocation>0</allocation>", "<allocation unit='G'>5</allocation>",
                              "<allocation unit='G'>11</allocation>", "<allocation unit='GB'>10</allocation>"}) {
        for (const char *format : {"", "<target><format type='raw'/></target>"}) {
            Error e = parse_err(vol("<capacity unit='G'>10</capacity>", std::string(alloc) + format));
            EXPECT_EQ(e.message, "a raw volume is thick: its allocation must equal its capacity") << alloc;
            EXPECT_NE(e.hint.find("10737418240"), std::string::npos) << e.hint;
            EXPECT_NE(e.hint.find("<format type='qcow2'/>"), std::string::npos) << e.hint;
        }
    }
}

TEST(VolXml, Qcow2VolumesTakeTheirLvSizeAsAllocation) {
    const std::string qcow2 = "<target><format type='qcow2'/></target>";
    VolDef d = parse_ok(vol("<capacity unit='G'>100</capacity>", "<allocation unit='G'>1</allocation>" + qcow2));
    EXPECT_EQ(d.format, VolFormat::qcow2);
    EXPECT_EQ(d.capacity, 100 * GiB);
    EXPECT_EQ(d.allocation, std::optional<uint64_t>(GiB));
    d = parse_ok(vol("<capacity unit='G'>100</capacity>", qcow2));
    EXPECT_EQ(d.format, VolFormat::qcow2);
    EXPECT_FALSE(d.allocation.has_value());
    // Larger than the capacity: a fully written image needs its tables too.
    EXPECT_EQ(parse_ok(vol("<capacity unit='G'>1</capacity>", "<allocation unit='M'>1100</allocation>" + qcow2)).allocation,
              std::optional<uint64_t>(1100ULL << 20));
    EXPECT_EQ(parse_err(vol("<capacity unit='G'>1</capacity>", "<allocation>0</allocation>" + qcow2)).message,
              "volume allocation must be greater than zero");
    EXPECT_EQ(parse_ok(vol("<capacity>1</capacity>")).format, VolFormat::raw);
}

TEST(VolXml, LvNamesFollowLvm) {
    for (const char *good : {"vm1", "VM_1.disk-0+x", "a", "snap", "lvmlock2", "x_tmet"}) {
        EXPECT_EQ(parse_ok(std::string("<volume><name>") + good + "</name><capacity>1</capacity></volume>").name, good);
    }
    EXPECT_EQ(parse_ok("<volume><name>" + std::string(127, 'v') + "</name><capacity>1</capacity></volume>").name.size(), 127u);
    for (const char *bad : {"lvmlock", "snapshot", "pvmove1", "a_rimage_0", "x_cdata", "-a", "a/b", "a b", ".", "..", "é"}) {
        Error e = parse_err(std::string("<volume><name>") + bad + "</name><capacity>1</capacity></volume>");
        EXPECT_NE(e.message.find("volume name"), std::string::npos) << bad << ": " << e.message;
    }
}

TEST(VolXml, TypeAndFormat) {
    EXPECT_EQ(parse_ok("<volume type='block'><name>v</name><capacity>1</capacity></volume>").name, "v");
    EXPECT_EQ(parse_ok("<volume><name>v</name><capacity>1</capacity><target><format type='raw'/></target></volume>").name, "v");
    for (const char *type : {"file", "dir", "network", "netdir", "ploop"}) {
        Error e = parse_err(std::string("<volume type='") + type + "'><name>v</name><capacity>1</capacity></volume>");
        EXPECT_NE(e.message.find("is not supported: iscsi-lvm volumes are logical volumes (type='block')"), std::string::npos)
            << e.message;
    }
    EXPECT_EQ(parse_ok("<volume><name>v</name><capacity>1</capacity><target><format type='qcow2'/></target></volume>").format,
              VolFormat::qcow2);
    for (const char *format : {"vmdk", "iso", "none", "QCOW2", "qcow"}) {
        Error e = parse_err(std::string("<volume><name>v</name><capacity>1</capacity><target><format type='") + format +
                            "'/></target></volume>");
        EXPECT_EQ(e.message, "volume format '" + std::string(format) +
                                 "' is not supported: iscsi-lvm volumes are logical volumes holding a raw disk or a qcow2 image");
    }
}

TEST(VolXml, FormatWithoutStatus) {
    VolDef d{"vm1", 10 * GiB, std::nullopt};
    EXPECT_EQ(format_vol_xml(d),
              "<volume type='block'>\n"
              "  <name>vm1</name>\n"
              "  <capacity unit='bytes'>10737418240</capacity>\n"
              "  <target>\n"
              "    <format type='raw'/>\n"
              "  </target>\n"
              "</volume>\n");
    d.allocation = 10 * GiB;
    EXPECT_NE(format_vol_xml(d).find("  <allocation unit='bytes'>10737418240</allocation>\n"), std::string::npos);
}

VolStatus sample_status() {
    VolStatus st;
    st.key = "r4xkCv-MQhr-WKIT-R66x-Epn2-e8hG-1Z5gY0";
    st.path = "/dev/vg_san/vm1";
    st.capacity = 10 * GiB;
    st.allocation = 10 * GiB;
    st.activation = ActivationState::exclusive;
    st.open = true;
    st.activation_skip = false;
    st.autoactivation = true;
    return st;
}

TEST(VolXml, FormatWithStatusIsLikeVolDumpxml) {
    VolDef d{"vm1", 10 * GiB - 5, std::nullopt};  // requested; the LV was rounded up
    VolStatus st = sample_status();
    EXPECT_EQ(format_vol_xml(d, &st),
              "<volume type='block'>\n"
              "  <name>vm1</name>\n"
              "  <key>r4xkCv-MQhr-WKIT-R66x-Epn2-e8hG-1Z5gY0</key>\n"
              "  <capacity unit='bytes'>10737418240</capacity>\n"
              "  <allocation unit='bytes'>10737418240</allocation>\n"
              "  <target>\n"
              "    <path>/dev/vg_san/vm1</path>\n"
              "    <format type='raw'/>\n"
              "  </target>\n"
              "  <activation state='exclusive' open='yes' skip='no' autoactivation='yes'/>\n"
              "</volume>\n");
}

TEST(VolXml, CompactIsTheSameElementsWithoutWhitespace) {
    // The module's list of a pool's volumes: what vol-dumpxml prints, less its line breaks
    // and indentation, element for element.
    VolDef d{"vm1", 10 * GiB, std::nullopt};
    VolStatus st = sample_status();
    st.holder_host_id = 2;
    st.holder_host_name = "hostb";
    st.incomplete = true;
    std::string indented = format_vol_xml(d, &st);
    std::string stripped;
    for (std::string_view line : split(indented, '\n')) stripped += std::string(trim(line));
    const std::string compact = format_vol_xml(d, &st, XmlLayout::compact);
    EXPECT_EQ(compact, stripped);
    EXPECT_EQ(compact.find('\n'), std::string::npos);
    EXPECT_NE(compact.find("<holder host_id='2' name='hostb' mode='exclusive'/></volume>"), std::string::npos) << compact;
    EXPECT_EQ(parse_ok(compact).name, "vm1");
}

TEST(VolXml, AQcow2VolumeShowsItsVirtualSizeAndItsLv) {
    VolDef d{"thin", 100 * GiB, std::nullopt, VolFormat::qcow2};
    VolStatus st = sample_status();
    st.capacity = 100 * GiB;
    st.allocation = 2560ULL << 20;
    const std::string out = format_vol_xml(d, &st);
    EXPECT_NE(out.find("  <capacity unit='bytes'>107374182400</capacity>\n"
                       "  <allocation unit='bytes'>2684354560</allocation>\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("    <format type='qcow2'/>\n"), std::string::npos) << out;
    VolDef back = parse_ok(out);   // dumpxml feeds back in
    EXPECT_EQ(back.format, VolFormat::qcow2);
    EXPECT_EQ(back.allocation, std::optional<uint64_t>(2560ULL << 20));
}

TEST(VolXml, FormatWithHolder) {
    VolDef d{"vm1", 10 * GiB, std::nullopt};
    VolStatus st = sample_status();
    st.activation = ActivationState::inactive;
    st.open = false;
    st.activation_skip = true;
    st.autoactivation = false;
    st.holder_host_id = 2;
    st.holder_host_name = "host-b";
    const std::string out = format_vol_xml(d, &st);
    EXPECT_NE(out.find("  <activation state='inactive' open='no' skip='yes' autoactivation='no'/>\n"
                       "  <holder host_id='2' name='host-b' mode='exclusive'/>\n"),
              std::string::npos)
        << out;
    st.holder_host_name.clear();
    EXPECT_NE(format_vol_xml(d, &st).find("  <holder host_id='2' mode='exclusive'/>\n"), std::string::npos);
    st.holder_shared = true;
    EXPECT_NE(format_vol_xml(d, &st).find("  <holder host_id='2' mode='shared'/>\n"), std::string::npos);
    st.holder_shared = false;
    st.holder_host_name = "o'brien <&>";
    const std::string escaped = format_vol_xml(d, &st);
    EXPECT_NE(escaped.find("name='o&apos;brien &lt;&amp;&gt;'"), std::string::npos) << escaped;
    EXPECT_TRUE(parse_vol_xml(escaped).ok());
}

TEST(VolXml, RoundTrips) {
    const VolDef defs[] = {
        {"vm1", 10 * GiB, std::nullopt},
        {"vm1", 10 * GiB, 10 * GiB},
        {"a", 1, std::nullopt},
        {std::string(127, 'x'), UINT64_MAX, UINT64_MAX},
        {"disk.0+a_b-c", 4 * 1024 * 1024, std::nullopt},
        {"thin", 100 * GiB, GiB, VolFormat::qcow2},
        {"thin", 100 * GiB, std::nullopt, VolFormat::qcow2},
    };
    for (const auto &d : defs) {
        const std::string once = format_vol_xml(d);
        VolDef back = parse_ok(once);
        expect_same(back, d);
        EXPECT_EQ(format_vol_xml(back), once);
    }
    // Dumpxml with status parses again: the LV as it is, with allocation == capacity.
    for (ActivationState s : {ActivationState::inactive, ActivationState::exclusive, ActivationState::shared}) {
        VolStatus st = sample_status();
        st.activation = s;
        st.holder_host_id = 7;
        VolDef back = parse_ok(format_vol_xml(VolDef{"vm1", 1, std::nullopt}, &st));
        EXPECT_EQ(back.name, "vm1");
        EXPECT_EQ(back.capacity, st.capacity);
        EXPECT_EQ(back.allocation, st.capacity);
    }
}

TEST(VolXml, ErrorsAreOneLine) {
    const std::string inputs[] = {
        "", "<volume>", "<volume><name>a\nb</name><capacity>1</capacity></volume>",
        "<volume><name>v</name><capacity unit='G\n'>x\ny</capacity></volume>",
        "<volume>\n<name>v</name>\n<capacity>1</capacity>\n<foo/>\n</volume>",
        "<volume>\n<name>v</name>\n<capacity>1</capacity>\n<target><path>/x</path><path>/y</path></target></volume>",
    };
    for (const auto &in : inputs) {
        Error e = parse_err(in);
        EXPECT_EQ(e.code, ErrorCode::invalid_input);
        EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
        EXPECT_EQ(e.hint.find('\n'), std::string::npos) << e.hint;
    }
}

}  // namespace
}  // namespace ilvm
