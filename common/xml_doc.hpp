// SPDX-License-Identifier: LGPL-2.1-or-later
// Parsing XML that comes from outside the process (pool/volume XML from the CLI, domain
// XML handed to the qemu hook) without trusting it, plus small DOM helpers.
//
// libxml2's defaults are built for trusted documents: it will happily read a DOCTYPE,
// expand internal entities (billion laughs), and, with the wrong options, fetch external
// entities and DTDs from files or the network (XXE). None of our formats uses a DTD, so
// parse_untrusted_xml() refuses any document that has one, never asks libxml2 to load or
// substitute anything, and installs a process-wide entity loader that refuses every
// external resource in case some other code path parses with riskier options.
#pragma once

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace ilvm {

// Owns one libxml2 document; move-only, frees it with xmlFreeDoc.
class XmlDoc {
public:
    XmlDoc() noexcept = default;
    explicit XmlDoc(xmlDocPtr doc) noexcept : doc_(doc) {}
    ~XmlDoc();
    XmlDoc(XmlDoc &&other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}
    XmlDoc &operator=(XmlDoc &&other) noexcept;
    XmlDoc(const XmlDoc &) = delete;
    XmlDoc &operator=(const XmlDoc &) = delete;

    // libxml2 functions take non-const pointers even when they only read.
    xmlDocPtr get() const noexcept { return doc_; }
    // The document element, or nullptr.
    const xmlNode *root() const noexcept;
    explicit operator bool() const noexcept { return doc_ != nullptr; }
    // Gives up ownership (the caller frees with xmlFreeDoc).
    xmlDocPtr release() noexcept { return std::exchange(doc_, nullptr); }

private:
    xmlDocPtr doc_ = nullptr;
};

// Documents larger than this are refused before libxml2 sees them: our XML is a few KiB,
// libvirt domain XML rarely exceeds 100 KiB.
inline constexpr std::size_t k_max_xml_bytes = 1024 * 1024;

// Parses `text` as a standalone XML document. `what` names it in errors ("pool XML").
// Refuses (invalid_input, one-line messages): empty input, more than `max_bytes`,
// anything that is not well-formed ("<what> is not well-formed: line N: ..."), and any
// DOCTYPE ("<what> must not contain a DOCTYPE or entity declarations"). Never touches the
// network or the file system; never prints to stderr.
Result<XmlDoc> parse_untrusted_xml(std::string_view text, std::string_view what,
                                   std::size_t max_bytes = k_max_xml_bytes);

// What read_untrusted_xml() reports while it reads, in document order, without building a
// tree (for documents too large to want one: a pool's list of 10,000 volumes).
class XmlEvents {
public:
    struct Attribute {
        std::string name;        // local name (owned: libxml2 frees its buffers when the parse ends)
        std::string value;       // as attribute() would return it
        bool namespaced = false;
    };
    virtual ~XmlEvents() = default;
    // An element opens: its local name, whether it has a namespace (the DOM helpers below
    // never match those), its attributes.
    virtual void start(std::string_view name, bool namespaced, const std::vector<Attribute> &attributes) = 0;
    virtual void end() = 0;
    // Character data, in as many pieces as libxml2 delivers it.
    virtual void text(std::string_view piece) = 0;
};

// parse_untrusted_xml()'s checks and refusals, with the content handed to `events` instead
// of kept in a tree.
Status read_untrusted_xml(std::string_view text, std::string_view what, XmlEvents &events,
                          std::size_t max_bytes = k_max_xml_bytes);

// Installs the refuse-everything external entity loader (idempotent, thread-safe). Called
// by parse_untrusted_xml; exposed for code that calls libxml2 directly.
void harden_libxml2();

namespace xml {

// While alive, collects every libxml2 error raised on this thread instead of letting
// libxml2 print it to stderr; restores the previous handlers on destruction. (libxml2
// keeps its error handlers in thread-local state, so this is safe across threads.)
class ErrorCapture {
public:
    struct Entry {
        int level = 0;              // xmlErrorLevel
        int domain = 0;             // xmlErrorDomain
        long line = 0;              // 0: unknown
        std::string message;        // one line, trimmed
        const xmlNode *node = nullptr;
    };

    ErrorCapture();
    ~ErrorCapture();
    ErrorCapture(const ErrorCapture &) = delete;
    ErrorCapture &operator=(const ErrorCapture &) = delete;

    bool empty() const { return entries_.empty() && generic_.empty(); }
    const std::vector<Entry> &entries() const { return entries_; }
    // The first error (warnings only when there is no error) as "line N: message", or
    // `fallback` when libxml2 reported nothing.
    std::string first(std::string_view fallback = "unknown error") const;

    // Usable as an xmlStructuredErrorFunc with an ErrorCapture* as user data, for the
    // libxml2 APIs that take a per-context handler (RelaxNG, XPath).
    static void structured_handler(void *self, xmlErrorPtr err);

private:
    static void generic_handler(void *self, const char *fmt, ...);

    std::vector<Entry> entries_;
    std::string generic_;
    xmlStructuredErrorFunc prev_structured_ = nullptr;
    void *prev_structured_ctx_ = nullptr;
    xmlGenericErrorFunc prev_generic_ = nullptr;
    void *prev_generic_ctx_ = nullptr;
};

// All helpers below look at elements without a namespace only, as libvirt's own XPath
// lookups do: <qemu:commandline> never matches "commandline".

// True if `node` is an element (with the given local name, when `name` is not empty).
bool is_element(const xmlNode *node, std::string_view name = {});
std::string_view node_name(const xmlNode *node);
// Source line of a node (0 when unknown).
long line_of(const xmlNode *node);

// Child elements of `parent`, all of them or those named `name`, in document order.
std::vector<const xmlNode *> child_elements(const xmlNode *parent, std::string_view name = {});
// The first child element named `name`, or nullptr.
const xmlNode *first_child(const xmlNode *parent, std::string_view name);
// Exactly one child element named `name`: errors "<parent> has no <name> element" /
// "<parent> has more than one <name> element (line N)".
Result<const xmlNode *> exactly_one_child(const xmlNode *parent, std::string_view name);
// Zero or one: nullptr when absent, error when repeated.
Result<const xmlNode *> optional_child(const xmlNode *parent, std::string_view name);

// Attribute value (entities are never substituted, so this is the literal text after
// XML's attribute-value normalisation), or nullopt when absent.
std::optional<std::string> attribute(const xmlNode *node, std::string_view name);
// Concatenated text of the node and its descendants (libxml2's xmlNodeGetContent).
std::string text_content(const xmlNode *node);

// Nodes selected by an XPath 1.0 expression, relative to `context` (default: the
// document). `namespaces` registers prefix -> URI pairs for the expression. An
// expression that is invalid or selects something other than a node-set is an
// internal_error (expressions are ours, not user input).
Result<std::vector<const xmlNode *>> xpath_nodes(
    const XmlDoc &doc, std::string_view expr, const xmlNode *context = nullptr,
    const std::vector<std::pair<std::string, std::string>> &namespaces = {});

// Surrounding whitespace removed (common/strings.hpp's trim) and internal whitespace runs collapsed to one space (RelaxNG's "token").
std::string token(std::string_view s);
// A value quoted for an error message: printable, bounded, one line ('abc').
std::string shown(std::string_view value, std::size_t max = 80);
// Any message squeezed to one bounded line (control characters become spaces).
std::string one_line(std::string_view msg, std::size_t max = 300);
// Escapes text for use inside an XML element or a single- or double-quoted attribute.
// Characters XML 1.0 cannot carry become '?', so the output always parses again.
std::string escape(std::string_view text);

}  // namespace xml
}  // namespace ilvm
