// SPDX-License-Identifier: LGPL-2.1-or-later
// Hostile XML: the malformed-input catalog (tests/data/xml/invalid/MANIFEST.tsv), DTD /
// entity / XXE / network refusal, size and depth limits, one-line errors, silence on
// stderr, thread safety, and the generic helpers of xml_doc.hpp.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <stdexcept>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.hpp"
#include "common/xml_doc.hpp"
#include "ilvm-config.h"
#include "xml/pool_xml.hpp"
#include "xml/schema.hpp"
#include "xml/vol_xml.hpp"

namespace ilvm {
namespace {

namespace fs = std::filesystem;
const fs::path k_data = ILVM_TEST_DATA_DIR;
const fs::path k_invalid = k_data / "xml" / "invalid";

std::string read_file(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + p.string());  // fatal, like data_file()
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Parses as `kind` ("pool" | "volume"); returns the error, or nullopt if it parsed.
// kind "pool": refused wherever pool XML is read; "pool-define": refused when a pool is
// defined (the parse_pool callback), read as written from a stored definition.
std::optional<Error> parse_as(const std::string &kind, const std::string &text) {
    if (kind == "pool" || kind == "pool-define") {
        auto r = parse_pool_xml(text, kind == "pool" ? PoolXmlOrigin::stored : PoolXmlOrigin::definition);
        if (r.ok()) return std::nullopt;
        return r.error();
    }
    auto r = parse_vol_xml(text);
    if (r.ok()) return std::nullopt;
    return r.error();
}

void expect_one_line(const Error &e) {
    EXPECT_FALSE(e.message.empty());
    for (char c : e.message) EXPECT_FALSE(c == '\n' || c == '\r' || c == '\0') << e.message;
    for (char c : e.hint) EXPECT_FALSE(c == '\n' || c == '\r' || c == '\0') << e.hint;
}

const std::string k_pool_ok =
    "<pool type='iscsi-lvm'><name>san</name><source><host name='10.0.0.50'/>"
    "<device path='iqn.2024-04.com.example:vms'/></source></pool>";
const std::string k_vol_ok = "<volume><name>vm1</name><capacity unit='G'>10</capacity></volume>";

// ---------------------------------------------------------------------------------------
// The catalog

struct ManifestEntry {
    std::string kind, file, expected;
};

std::vector<ManifestEntry> read_manifest() {
    std::vector<ManifestEntry> out;
    std::ifstream in(k_invalid / "MANIFEST.tsv");
    EXPECT_TRUE(in) << "no MANIFEST.tsv in " << k_invalid;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const auto t1 = line.find('\t');
        const auto t2 = t1 == std::string::npos ? std::string::npos : line.find('\t', t1 + 1);
        if (t1 == std::string::npos || t2 == std::string::npos || line.find('\t', t2 + 1) != std::string::npos) {
            ADD_FAILURE() << "MANIFEST.tsv line " << n << " does not have exactly 3 tab-separated fields: " << line;
            continue;
        }
        out.push_back({line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
    }
    return out;
}

TEST(InvalidCatalog, ManifestListsEveryFileOnceAndHasEnoughCases) {
    auto entries = read_manifest();
    EXPECT_GE(entries.size(), 30u);
    std::set<std::string> listed;
    for (const auto &e : entries) {
        EXPECT_TRUE(e.kind == "pool" || e.kind == "pool-define" || e.kind == "volume") << e.kind;
        EXPECT_TRUE(listed.insert(e.file).second) << "listed twice: " << e.file;
        EXPECT_TRUE(fs::is_regular_file(k_invalid / e.file)) << "missing: " << e.file;
        EXPECT_FALSE(e.expected.empty()) << e.file;
    }
    for (const auto &f : fs::directory_iterator(k_invalid))
        if (f.path().extension() == ".xml") {
            EXPECT_EQ(listed.count(f.path().filename().string()), 1u) << "not in MANIFEST.tsv: " << f.path();
        }
}

TEST(InvalidCatalog, EveryCaseFailsWithItsMessage) {
    int checked = 0;
    for (const auto &entry : read_manifest()) {
        SCOPED_TRACE(entry.file);
        auto err = parse_as(entry.kind, read_file(k_invalid / entry.file));
        ASSERT_TRUE(err.has_value()) << entry.file << " was accepted";
        EXPECT_EQ(err->code, ErrorCode::invalid_input) << err->message;
        EXPECT_NE(err->message.find(entry.expected), std::string::npos)
            << "expected: " << entry.expected << "\n     got: " << err->message;
        expect_one_line(*err);
        ++checked;
    }
    EXPECT_GE(checked, 30);
}

TEST(InvalidCatalog, ValidExamplesParse) {
    int pools = 0, volumes = 0;
    for (const auto &f : fs::directory_iterator(k_data / "xml" / "valid")) {
        const std::string name = f.path().filename().string();
        SCOPED_TRACE(name);
        const bool pool = name.rfind("pool-", 0) == 0;
        auto err = parse_as(pool ? "pool" : "volume", read_file(f.path()));
        EXPECT_FALSE(err.has_value()) << err->message;
        ++(pool ? pools : volumes);
    }
    // The catalog holds 4 of each today; an emptied or shrunk folder must not pass quietly.
    EXPECT_GE(pools, 4);
    EXPECT_GE(volumes, 4);
}

// ---------------------------------------------------------------------------------------
// Size and depth

std::string padded_to(const std::string &doc, std::size_t size) {
    // A comment after the root element pads the document to exactly `size` bytes.
    const std::string open = "\n<!--", close = "-->";
    std::string out = doc + open;
    out += std::string(size - out.size() - close.size(), 'x');
    out += close;
    EXPECT_EQ(out.size(), size);
    return out;
}

TEST(XmlSafety, DocumentsOverOneMebibyteAreRefusedUnparsed) {
    for (const auto &[kind, ok] : {std::pair<std::string, std::string>{"pool", k_pool_ok}, {"volume", k_vol_ok}}) {
        auto err = parse_as(kind, padded_to(ok, k_max_xml_bytes + 1));
        ASSERT_TRUE(err.has_value());
        EXPECT_EQ(err->message, kind + " XML is too large: 1048577 bytes, the limit is 1 MiB");
        // The limit is inclusive.
        EXPECT_FALSE(parse_as(kind, padded_to(ok, k_max_xml_bytes)).has_value());
    }
    // Far larger input is refused by the same check, whatever it contains.
    auto err = parse_as("pool", std::string(64 * 1024 * 1024, '<'));
    ASSERT_TRUE(err.has_value());
    EXPECT_NE(err->message.find("too large"), std::string::npos);
}

TEST(XmlSafety, ExcessiveNestingIsRefused) {
    std::string doc = "<pool type='iscsi-lvm'>";
    for (int i = 0; i < 5000; ++i) doc += "<a>";
    for (int i = 0; i < 5000; ++i) doc += "</a>";
    doc += "</pool>";
    auto err = parse_as("pool", doc);
    ASSERT_TRUE(err.has_value());
    EXPECT_NE(err->message.find("pool XML is not well-formed"), std::string::npos) << err->message;
    expect_one_line(*err);
}

// ---------------------------------------------------------------------------------------
// DTDs, entities, external resources

const std::string k_doctype_msg = "must not contain a DOCTYPE or entity declarations";

TEST(XmlSafety, DoctypeIsRefusedBeforeItsSubsetIsRead) {
    // Entity loop and a tag mismatch after the DOCTYPE: the parser stops at the DOCTYPE,
    // before it could notice either.
    auto err = parse_as("pool",
                        "<!DOCTYPE pool [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]>"
                        "<pool type='iscsi-lvm'><name>&a;</nope></pool>");
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->message, "pool XML " + k_doctype_msg);
    EXPECT_NE(err->hint.find("DOCTYPE"), std::string::npos);
}

TEST(XmlSafety, BillionLaughsIsRefused) {
    std::string dtd = "<!DOCTYPE volume [<!ENTITY l0 'lol'>";
    for (int i = 1; i < 20; ++i) {
        dtd += "<!ENTITY l" + std::to_string(i) + " '";
        for (int k = 0; k < 10; ++k) dtd += "&l" + std::to_string(i - 1) + ";";
        dtd += "'>";
    }
    dtd += "]>";
    auto err = parse_as("volume", dtd + "<volume><name>&l19;</name><capacity>1</capacity></volume>");
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->message, "volume XML " + k_doctype_msg);
}

class TempFile {
public:
    explicit TempFile(const std::string &content) {
        char tmpl[] = "/tmp/ilvm-xml-test-XXXXXX";
        int fd = mkstemp(tmpl);
        EXPECT_GE(fd, 0);
        path_ = tmpl;
        EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
        close(fd);
    }
    ~TempFile() { unlink(path_.c_str()); }
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

TEST(XmlSafety, ExternalEntityFileContentNeverReachesTheResultOrTheMessage) {
    const std::string marker = "ILVM-SECRET-MARKER-" + std::to_string(getpid());
    TempFile secret(marker);
    const std::string url = "file://" + secret.path();
    const std::string docs[] = {
        "<!DOCTYPE pool [<!ENTITY xxe SYSTEM \"" + url + "\">]>"
        "<pool type='iscsi-lvm'><name>&xxe;</name><source><host name='h'/>"
        "<device path='iqn.2024-04.com.example:vms'/></source></pool>",
        "<!DOCTYPE pool [<!ENTITY % p SYSTEM \"" + url + "\"> %p;]><pool type='iscsi-lvm'/>",
        "<!DOCTYPE pool SYSTEM \"" + url + "\"><pool type='iscsi-lvm'/>",
        // XInclude is never processed: the schema refuses the element.
        "<pool type='iscsi-lvm' xmlns:xi='http://www.w3.org/2001/XInclude'><name>san</name><source>"
        "<host name='h'/><device path='iqn.2024-04.com.example:vms'/>"
        "<xi:include href='" + url + "' parse='text'/></source></pool>",
        // Without a DOCTYPE the reference is merely undefined.
        "<pool type='iscsi-lvm'><name>&xxe;</name></pool>",
    };
    for (const auto &doc : docs) {
        auto err = parse_as("pool", doc);
        ASSERT_TRUE(err.has_value()) << doc;
        EXPECT_EQ(err->message.find(marker), std::string::npos) << err->message;
        EXPECT_EQ(err->hint.find(marker), std::string::npos) << err->hint;
        expect_one_line(*err);
    }
    EXPECT_NE(parse_as("pool", docs[0])->message.find(k_doctype_msg), std::string::npos);
    EXPECT_NE(parse_as("pool", docs[3])->message.find("unknown element <xi:include>"), std::string::npos);
    EXPECT_NE(parse_as("pool", docs[4])->message.find("Entity 'xxe' not defined"), std::string::npos);
}

// What a careless caller would see: the document parsed with entity substitution and
// DTD loading, serialised.
std::string risky_parse(const std::string &doc) {
    xml::ErrorCapture errors;
    XmlDoc parsed(xmlReadMemory(doc.data(), static_cast<int>(doc.size()), nullptr, nullptr,
                                XML_PARSE_NOENT | XML_PARSE_DTDLOAD));
    if (!parsed) return {};
    xmlChar *mem = nullptr;
    int size = 0;
    xmlDocDumpMemory(parsed.get(), &mem, &size);
    std::string dumped(reinterpret_cast<const char *>(mem), static_cast<std::size_t>(size));
    xmlFree(mem);
    return dumped;
}

TEST(XmlSafety, EntityLoaderRefusesFilesEvenForRiskyCallers) {
    const std::string marker = "ILVM-LOADER-MARKER-" + std::to_string(getpid());
    TempFile secret(marker);
    const std::string doc = "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file://" + secret.path() + "\">]><r>&xxe;</r>";
    harden_libxml2();
    const xmlExternalEntityLoader ours = xmlGetExternalEntityLoader();

    // Control: with libxml2's own (file-reading) loader the same call leaks the file, so
    // the check below would notice a loader that lets it through.
    xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
    const std::string leaked = risky_parse(doc);
    xmlSetExternalEntityLoader(ours);
    EXPECT_NE(leaked.find(marker), std::string::npos) << leaked;

    EXPECT_EQ(risky_parse(doc).find(marker), std::string::npos);
    harden_libxml2();  // idempotent: does not reinstall or reset anything
    EXPECT_EQ(xmlGetExternalEntityLoader(), ours);
}

// A listening socket nobody should ever connect to.
class Listener {
public:
    Listener() {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        EXPECT_GE(fd_, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
        EXPECT_EQ(listen(fd_, 16), 0);
        socklen_t len = sizeof addr;
        EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len), 0);
        port_ = ntohs(addr.sin_port);
    }
    ~Listener() { close(fd_); }
    std::string url(const std::string &path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    // True if a connection is waiting (the parser reached out).
    bool contacted() const {
        int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) {
            close(c);
            return true;
        }
        EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
        return false;
    }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

TEST(XmlSafety, NetworkReferencesAreRefusedWithoutConnecting) {
    Listener l;
    const std::string docs[] = {
        "<!DOCTYPE pool SYSTEM \"" + l.url("/x.dtd") + "\">" + k_pool_ok,
        "<!DOCTYPE pool PUBLIC \"-//x//y\" \"" + l.url("/y.dtd") + "\">" + k_pool_ok,
        "<!DOCTYPE pool [<!ENTITY % remote SYSTEM \"" + l.url("/evil.dtd") + "\"> %remote;]>" + k_pool_ok,
        "<!DOCTYPE pool [<!ENTITY xxe SYSTEM \"" + l.url("/data") + "\">]>"
        "<pool type='iscsi-lvm'><name>&xxe;</name></pool>",
    };
    for (const auto &doc : docs) {
        auto err = parse_as("pool", doc);
        ASSERT_TRUE(err.has_value());
        EXPECT_EQ(err->message, "pool XML " + k_doctype_msg) << doc;
    }
    // Even a caller asking libxml2 to load the DTD gets nothing from the network.
    harden_libxml2();
    {
        xml::ErrorCapture errors;
        XmlDoc d(xmlReadMemory(docs[0].data(), static_cast<int>(docs[0].size()), nullptr, nullptr,
                               XML_PARSE_DTDLOAD | XML_PARSE_NOENT));
    }
    EXPECT_FALSE(l.contacted());
}

TEST(XmlSafety, MalformedBytes) {
    const std::string nul = std::string("<pool type='iscsi-lvm'><name>s") + '\0' + "n</name></pool>";
    const std::string bad_utf8 = "<pool type='iscsi-lvm'><name>s\xff\xfen</name></pool>";
    const std::string bad_encoding = "<?xml version='1.0' encoding='x-no-such-encoding'?><pool/>";
    for (const auto &doc : {nul, bad_utf8, bad_encoding, std::string("\xef\xbb\xbf"), std::string("<"),
                            std::string("<pool type='iscsi-lvm'></pool><pool/>"), std::string("just text")}) {
        auto err = parse_as("pool", doc);
        ASSERT_TRUE(err.has_value());
        EXPECT_EQ(err->code, ErrorCode::invalid_input);
        expect_one_line(*err);
    }
}

TEST(XmlSafety, LibxmlNeverPrintsToStderr) {
    testing::internal::CaptureStderr();
    (void)parse_as("pool", "<pool");
    (void)parse_as("pool", "<!DOCTYPE pool [<!ENTITY a 'b'>]><pool/>");
    (void)parse_as("pool", "<pool type='iscsi-lvm'><name>x</name><source><host name='h'>t</host></source></pool>");
    (void)parse_as("volume", "<volume><name>v</name><capacity>1</capacity><x/></volume>");
    (void)parse_as("volume", "<volume><name>&undefined;</name></volume>");
    {
        auto doc = parse_untrusted_xml(k_pool_ok, "pool XML");
        ASSERT_TRUE(doc.ok());
        (void)xml::xpath_nodes(doc.value(), "//[");
    }
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

// Deterministic mutation fuzzing: whatever the damage, errors stay one-line
// invalid_input and nothing crashes.
TEST(XmlSafety, MutatedDocumentsGiveOneLineErrors) {
    const std::string seeds[] = {read_file(k_data / "xml/valid/pool-full.xml"),
                                 read_file(k_data / "xml/valid/vol-ilvm-dumpxml.xml")};
    const char alphabet[] = "<>/='\"&;!-[] \n\tx0:?%\x80\xff";
    uint64_t state = 0x2545F4914F6CDD1DULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int s = 0; s < 2; ++s) {
        const std::string kind = s == 0 ? "pool" : "volume";
        for (int i = 0; i < 1500; ++i) {
            std::string doc = seeds[s];
            const int edits = 1 + static_cast<int>(next() % 3);
            for (int k = 0; k < edits; ++k) {
                const std::size_t pos = next() % doc.size();
                switch (next() % 3) {
                case 0: doc.erase(pos, 1 + next() % 4); break;
                case 1: doc.insert(pos, 1, alphabet[next() % (sizeof alphabet - 1)]); break;
                default: doc[pos] = alphabet[next() % (sizeof alphabet - 1)]; break;
                }
                if (doc.empty()) doc = "<";
            }
            auto err = parse_as(kind, doc);
            if (!err) continue;
            EXPECT_EQ(err->code, ErrorCode::invalid_input) << err->message << "\n" << doc;
            expect_one_line(*err);
        }
    }
}

TEST(XmlSafety, ParsingAndValidationAreThreadSafe) {
    const std::string pool = read_file(k_data / "xml/valid/pool-full.xml");
    const std::string vol = read_file(k_data / "xml/valid/vol-libvirt-dumpxml.xml");
    const std::string bad = read_file(k_invalid / "pool-host-twice.xml");
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                if (!parse_pool_xml(pool).ok()) ++failures;
                if (!parse_vol_xml(vol).ok()) ++failures;
                auto r = parse_pool_xml(bad);
                if (r.ok() || r.error().message.find("is named twice") == std::string::npos) ++failures;
            }
        });
    for (auto &t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------------------
// Schemas

TEST(XmlSchema, EmbeddedSchemasAreByteForByteTheRngFiles) {
    // xml-schemas/embed.py writes the .rng files into a header at build time; what the module
    // validates with must be those files exactly, not a truncated or mis-escaped copy.
    const fs::path dir = ILVM_SOURCE_SCHEMA_DIR;
    EXPECT_EQ(schema_text(SchemaKind::pool), read_file(dir / "iscsi-lvm-pool.rng"));
    EXPECT_EQ(schema_text(SchemaKind::volume), read_file(dir / "iscsi-lvm-vol.rng"));
}

TEST(XmlSchema, ValidatesByKind) {
    auto pool = parse_untrusted_xml(k_pool_ok, "pool XML");
    auto vol = parse_untrusted_xml(k_vol_ok, "volume XML");
    ASSERT_TRUE(pool.ok() && vol.ok());
    EXPECT_TRUE(validate_schema(pool.value(), SchemaKind::pool).ok());
    EXPECT_TRUE(validate_schema(vol.value(), SchemaKind::volume).ok());
    Status s = validate_schema(vol.value(), SchemaKind::pool);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "pool XML does not match the schema: line 1: the root element is <volume>, expected <pool>");
    EXPECT_FALSE(validate_schema(XmlDoc{}, SchemaKind::volume).ok());
}

TEST(XmlSchema, StrayTextIsNamed) {
    // libxml2 alone would say "Expecting an element name, got nothing" here.
    auto doc = parse_untrusted_xml("<volume>\n<name>v</name>\n<capacity>1</capacity>\n<target>\n junk \n</target>\n</volume>",
                                   "volume XML");
    ASSERT_TRUE(doc.ok());
    Status s = validate_schema(doc.value(), SchemaKind::volume);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "volume XML does not match the schema: line 4: unexpected text 'junk' in <target>");
}

// ---------------------------------------------------------------------------------------
// XmlDoc and helpers

// ---------------------------------------------------------------------------------------
// read_untrusted_xml: the same refusals, events instead of a tree

// Records the events as one string: "<name a=v ns:b=v>", "text", "</>".
class RecordedEvents : public XmlEvents {
public:
    std::string log;
    void start(std::string_view name, bool namespaced, const std::vector<Attribute> &attributes) override {
        log += "<" + std::string(namespaced ? "ns:" : "") + std::string(name);
        for (const auto &a : attributes) log += " " + std::string(a.namespaced ? "ns:" : "") + a.name + "=" + a.value;
        log += ">";
    }
    void end() override { log += "</>"; }
    void text(std::string_view piece) override { log += piece; }
};

TEST(XmlEvents, ElementsAttributesAndTextInDocumentOrder) {
    RecordedEvents events;
    auto r = read_untrusted_xml("<a x='1&amp;2&#38;3' xmlns:q='urn:q' q:y='&lt;'><b>t&lt;u&#x41;</b><q:c/><![CDATA[&]]></a>",
                                "test XML", events);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(events.log, "<a x=1&2&3 ns:y=<><b>t<uA</><ns:c></>&</>");
}

TEST(XmlEvents, RefusesWhatTheTreeReaderRefuses) {
    std::vector<std::string> docs = {
        "", "   ", "not xml", "<a>", "<a></b>", "<a/><b/>", "\xff\xfe<a/>",
        "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
        "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>",
        "<a>&undefined;</a>",
        std::string(k_max_xml_bytes + 1, ' '),
    };
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += "<a>";
    for (int i = 0; i < 5000; ++i) deep += "</a>";
    docs.push_back(deep);
    for (const auto &dir : {k_invalid, k_data / "xml" / "valid"})
        for (const auto &f : fs::directory_iterator(dir))
            if (f.path().extension() == ".xml") docs.push_back(read_file(f.path()));
    int refused = 0;
    for (const auto &doc : docs) {
        SCOPED_TRACE(doc.substr(0, 80));
        RecordedEvents events;
        auto tree = parse_untrusted_xml(doc, "test XML");
        auto stream = read_untrusted_xml(doc, "test XML", events);
        ASSERT_EQ(tree.ok(), stream.ok()) << (tree.ok() ? stream.error().message : tree.error().message);
        if (!tree.ok()) {
            EXPECT_EQ(stream.error().message, tree.error().message);
            EXPECT_EQ(stream.error().hint, tree.error().hint);
            ++refused;
        }
    }
    EXPECT_GE(refused, 11);
}

TEST(XmlDoc, MoveOnlyOwnership) {
    auto r = parse_untrusted_xml("<a><b/></a>", "test XML");
    ASSERT_TRUE(r.ok());
    XmlDoc a = std::move(r.value());
    ASSERT_TRUE(a);
    xmlDocPtr raw = a.get();
    XmlDoc b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(b.get(), raw);
    XmlDoc c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_EQ(xml::node_name(c.root()), "a");
    static_assert(!std::is_copy_constructible_v<XmlDoc>);
    static_assert(!std::is_copy_assignable_v<XmlDoc>);
    xmlDocPtr released = c.release();
    EXPECT_FALSE(c);
    xmlFreeDoc(released);
}

TEST(XmlDoc, ParseErrorsNameTheDocumentAndLine) {
    auto r = parse_untrusted_xml("<a>\n<b>\n</a>", "domain XML");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "domain XML is not well-formed: line 3: Opening and ending tag mismatch: b line 2 and a");
    EXPECT_EQ(parse_untrusted_xml(" \n", "domain XML").error().message, "domain XML is empty");
}

const char *k_domain =
    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    "  <name>vm1</name>\n"
    "  <devices>\n"
    "    <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>\n"
    "    <disk type='file' device='cdrom'><target dev='sda'/></disk>\n"
    "  </devices>\n"
    "  <qemu:commandline><qemu:arg value='-x'/></qemu:commandline>\n"
    "</domain>\n";

TEST(XmlHelpers, ChildrenAttributesText) {
    auto r = parse_untrusted_xml(k_domain, "domain XML");
    ASSERT_TRUE(r.ok());
    const xmlNode *root = r->root();
    EXPECT_TRUE(xml::is_element(root, "domain"));
    EXPECT_EQ(xml::attribute(root, "type"), "kvm");
    EXPECT_EQ(xml::attribute(root, "nope"), std::nullopt);
    EXPECT_EQ(xml::text_content(xml::first_child(root, "name")), "vm1");
    EXPECT_EQ(xml::first_child(root, "commandline"), nullptr);  // namespaced: not matched
    EXPECT_EQ(xml::child_elements(root).size(), 2u);            // name, devices

    auto devices = xml::exactly_one_child(root, "devices");
    ASSERT_TRUE(devices.ok());
    EXPECT_EQ(xml::line_of(devices.value()), 3);
    auto disks = xml::child_elements(devices.value(), "disk");
    ASSERT_EQ(disks.size(), 2u);
    EXPECT_EQ(xml::attribute(xml::first_child(disks[0], "source"), "dev"), "/dev/vg_san/vm1");

    auto two = xml::exactly_one_child(devices.value(), "disk");
    ASSERT_FALSE(two.ok());
    EXPECT_EQ(two.error().message, "<devices> has more than one <disk> element (line 5)");
    auto none = xml::exactly_one_child(root, "memory");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().message, "<domain> has no <memory> element");
    auto opt = xml::optional_child(root, "memory");
    ASSERT_TRUE(opt.ok());
    EXPECT_EQ(opt.value(), nullptr);
    EXPECT_FALSE(xml::optional_child(devices.value(), "disk").ok());
}

TEST(XmlHelpers, XPath) {
    auto r = parse_untrusted_xml(k_domain, "domain XML");
    ASSERT_TRUE(r.ok());
    auto blocks = xml::xpath_nodes(r.value(), "/domain/devices/disk[@type='block']/source/@dev");
    ASSERT_TRUE(blocks.ok());
    ASSERT_EQ(blocks->size(), 1u);
    EXPECT_EQ(xml::text_content(blocks->front()), "/dev/vg_san/vm1");

    auto devices = xml::first_child(r->root(), "devices");
    auto rel = xml::xpath_nodes(r.value(), "./disk/target", devices);
    ASSERT_TRUE(rel.ok());
    EXPECT_EQ(rel->size(), 2u);

    auto args = xml::xpath_nodes(r.value(), "//q:arg", nullptr, {{"q", "http://libvirt.org/schemas/domain/qemu/1.0"}});
    ASSERT_TRUE(args.ok());
    EXPECT_EQ(args->size(), 1u);

    auto bad = xml::xpath_nodes(r.value(), "//[");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::internal);
    auto number = xml::xpath_nodes(r.value(), "count(//disk)");
    ASSERT_FALSE(number.ok());
    EXPECT_NE(number.error().message.find("does not select nodes"), std::string::npos);
}

TEST(XmlHelpers, Strings) {
    EXPECT_EQ(trim(" \t\na b\r\n"), "a b");
    EXPECT_EQ(xml::token("  a \n\t b  c "), "a b c");
    EXPECT_EQ(xml::shown("abc"), "'abc'");
    EXPECT_EQ(xml::shown("a\nb"), "'a?b'");
    EXPECT_EQ(xml::shown(std::string(100, 'x'), 10), "'xxxxxxxxxx'...");
    EXPECT_EQ(xml::one_line("line 1:\n  two\r\n"), "line 1: two");
    EXPECT_EQ(xml::one_line("\xc3\xa9t\xc3\xa9", 3), "\xc3\xa9t...");  // never splits a UTF-8 sequence
    EXPECT_EQ(xml::escape("a<b>&'\"\tc\x01\xff" "d\xc3\xa9"), "a&lt;b&gt;&amp;&apos;&quot;&#9;c??d\xc3\xa9");

    // Whatever escape() produces parses back to the same value.
    const std::string weird = "x'y\"z<&>\n\t\r end";
    auto r = parse_untrusted_xml("<a v='" + xml::escape(weird) + "'>" + xml::escape(weird) + "</a>", "test XML");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(xml::attribute(r->root(), "v"), weird);
}

void custom_handler(void *, xmlErrorPtr) {}

TEST(XmlHelpers, ErrorCaptureRestoresThePreviousHandler) {
    int marker = 0;
    xmlSetStructuredErrorFunc(&marker, custom_handler);
    {
        xml::ErrorCapture capture;
        EXPECT_NE(xmlStructuredErrorContext, static_cast<void *>(&marker));
        XmlDoc d(xmlReadMemory("<a>", 3, nullptr, nullptr, 0));
        EXPECT_FALSE(capture.empty());
        EXPECT_NE(capture.first().find("line 1:"), std::string::npos) << capture.first();
    }
    EXPECT_EQ(xmlStructuredError, &custom_handler);
    EXPECT_EQ(xmlStructuredErrorContext, static_cast<void *>(&marker));
    xmlSetStructuredErrorFunc(nullptr, nullptr);
}

}  // namespace
}  // namespace ilvm
