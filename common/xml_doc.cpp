// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/xml_doc.hpp"

#include "common/strings.hpp"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>

namespace ilvm {

// ---------------------------------------------------------------------------------------
// XmlDoc

XmlDoc::~XmlDoc() {
    if (doc_ != nullptr) xmlFreeDoc(doc_);
}

XmlDoc &XmlDoc::operator=(XmlDoc &&other) noexcept {
    if (this != &other) {
        if (doc_ != nullptr) xmlFreeDoc(doc_);
        doc_ = std::exchange(other.doc_, nullptr);
    }
    return *this;
}

const xmlNode *XmlDoc::root() const noexcept {
    return doc_ != nullptr ? xmlDocGetRootElement(doc_) : nullptr;
}

namespace {

// ---------------------------------------------------------------------------------------
// Process-wide hardening

// libxml2 calls this for every external resource: external DTD subsets, external parsed
// entities, XIncludes, schema includes. We parse nothing that needs one, so refusing all
// of them removes XXE and network access even for a caller that passes XML_PARSE_NOENT or
// XML_PARSE_DTDLOAD. Returning nullptr makes libxml2 report "failed to load external
// entity" and carry on without the content.
xmlParserInputPtr refuse_external_entity(const char * /*url*/, const char * /*id*/, xmlParserCtxtPtr /*ctxt*/) {
    return nullptr;
}

std::once_flag g_harden_once;

// ---------------------------------------------------------------------------------------
// DOCTYPE refusal during the parse

struct ParseState {
    bool saw_dtd = false;
    XmlEvents *events = nullptr;   // read_untrusted_xml: no tree, events instead
    bool saw_element = false;
};

// Called through the SAX handler as soon as the parser has read "<!DOCTYPE name ...":
// before it looks at an internal subset, so no entity or parameter-entity declaration is
// ever processed (no billion laughs, no parameter-entity tricks). Stopping the parser
// here also means no external subset is ever requested.
void stop_on_dtd(void *ctx) {
    auto *ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    if (ctxt == nullptr) return;
    if (auto *state = static_cast<ParseState *>(ctxt->_private)) state->saw_dtd = true;
    xmlStopParser(ctxt);
}

void on_internal_subset(void *ctx, const xmlChar *, const xmlChar *, const xmlChar *) { stop_on_dtd(ctx); }
void on_external_subset(void *ctx, const xmlChar *, const xmlChar *, const xmlChar *) { stop_on_dtd(ctx); }
void on_entity_decl(void *ctx, const xmlChar *, int, const xmlChar *, const xmlChar *, xmlChar *) { stop_on_dtd(ctx); }

ParseState *state_of(void *ctx) {
    auto *ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    return ctxt != nullptr ? static_cast<ParseState *>(ctxt->_private) : nullptr;
}

std::string_view chars(const xmlChar *s) { return s != nullptr ? reinterpret_cast<const char *>(s) : std::string_view(); }

// Without entity substitution libxml2 hands SAX an attribute's '&' as "&#38;" (so a tree
// could keep entity references); every other reference arrives decoded.
std::string decode_attribute(const xmlChar *begin, const xmlChar *end) {
    std::string_view raw(reinterpret_cast<const char *>(begin), static_cast<std::size_t>(end - begin));
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        if (raw.compare(i, 5, "&#38;") == 0) {
            out += '&';
            i += 5;
        } else {
            out += raw[i++];
        }
    }
    return out;
}

void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *, const xmlChar *uri, int, const xmlChar **,
                      int nb_attributes, int, const xmlChar **attributes) {
    ParseState *state = state_of(ctx);
    if (state == nullptr || state->events == nullptr) return;
    state->saw_element = true;
    std::vector<XmlEvents::Attribute> attrs;
    attrs.reserve(static_cast<std::size_t>(nb_attributes));
    // Five pointers per attribute: local name, prefix, URI, value, end of value.
    for (int i = 0; i < nb_attributes; ++i) {
        const xmlChar **a = attributes + 5 * i;
        attrs.push_back({std::string(chars(a[0])), decode_attribute(a[3], a[4]), a[2] != nullptr});
    }
    state->events->start(chars(localname), uri != nullptr, attrs);
}

void on_end_element(void *ctx, const xmlChar *, const xmlChar *, const xmlChar *) {
    if (ParseState *state = state_of(ctx); state != nullptr && state->events != nullptr) state->events->end();
}

void on_characters(void *ctx, const xmlChar *text, int len) {
    if (ParseState *state = state_of(ctx); state != nullptr && state->events != nullptr && len > 0)
        state->events->text(std::string_view(reinterpret_cast<const char *>(text), static_cast<std::size_t>(len)));
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, uint32_t &cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (b0 < 0x80) { cp = b0; return 1; }
    if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, surrogates and values beyond Unicode are invalid.
    static constexpr uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence; invalid bytes and control
// characters become '?' (`ctrl_to_space`: control characters become spaces instead).
std::string sanitize(std::string_view s, std::size_t max, bool ctrl_to_space, bool &truncated) {
    std::string out;
    truncated = false;
    std::size_t i = 0;
    while (i < s.size()) {
        uint32_t cp = 0;
        std::size_t len = utf8_sequence(s, i, cp);
        std::string_view piece;
        char repl = 0;
        if (len == 0) { repl = '?'; len = 1; }
        else if (cp < 0x20 || cp == 0x7F) repl = ctrl_to_space ? ' ' : '?';
        else piece = s.substr(i, len);
        const std::size_t add = repl != 0 ? 1 : piece.size();
        if (out.size() + add > max) { truncated = true; break; }
        if (repl != 0) out += repl; else out += piece;
        i += len;
    }
    return out;
}

}  // namespace

void harden_libxml2() {
    std::call_once(g_harden_once, [] {
        // xmlInitParser is itself idempotent but not reentrant on all versions; calling
        // it here, once, before any thread parses, is what libxml2 asks for.
        xmlInitParser();
        xmlSetExternalEntityLoader(refuse_external_entity);
    });
}

namespace {

// Both readers: parse_untrusted_xml (a tree) and read_untrusted_xml (events, no tree).
Result<XmlDoc> parse_hardened(std::string_view text, std::string_view what, std::size_t max_bytes, XmlEvents *events) {
    const std::string w(what);
    // Size first: nothing hostile gets to libxml2 in bulk.
    if (text.size() > max_bytes)
        return invalid_input(w + " is too large: " + std::to_string(text.size()) + " bytes, the limit is " +
                             std::to_string(max_bytes / (1024 * 1024)) + " MiB");
    if (trim(text).empty()) return invalid_input(w + " is empty");

    harden_libxml2();
    xml::ErrorCapture errors;  // libxml2 must never print to our stderr

    std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(), &xmlFreeParserCtxt);
    if (!ctxt || ctxt->sax == nullptr) return internal_error("cannot allocate an XML parser");
    ParseState state;
    state.events = events;
    ctxt->_private = &state;
    // ctxt->sax is this context's own copy of the SAX2 handler: overriding it affects
    // nobody else.
    ctxt->sax->internalSubset = on_internal_subset;
    ctxt->sax->externalSubset = on_external_subset;
    ctxt->sax->entityDecl = on_entity_decl;
    if (events != nullptr) {
        // Our handlers instead of SAX2's: nothing is added to the (empty) document.
        ctxt->sax->startElementNs = on_start_element;
        ctxt->sax->endElementNs = on_end_element;
        ctxt->sax->characters = on_characters;
        ctxt->sax->ignorableWhitespace = on_characters;
        ctxt->sax->cdataBlock = on_characters;
        ctxt->sax->comment = nullptr;
        ctxt->sax->processingInstruction = nullptr;
    }

    // NONET: no network access even if something asks for it. Deliberately absent:
    // NOENT (substitutes entities), DTDLOAD/DTDATTR/DTDVALID (load the DTD), XINCLUDE,
    // HUGE (lifts the depth and size limits that bound hostile input). NOCDATA merges
    // CDATA sections into text so <name><![CDATA[x]]></name> reads as "x". BIG_LINES keeps
    // line numbers exact past 65535.
    const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;
    XmlDoc doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()), nullptr, nullptr, options));

    if (state.saw_dtd || (doc && (doc.get()->intSubset != nullptr || doc.get()->extSubset != nullptr)))
        return invalid_input(w + " must not contain a DOCTYPE or entity declarations",
                             "iscsi-lvm XML never uses a DTD: remove the <!DOCTYPE ...> block");
    if (!doc || ctxt->wellFormed == 0) return invalid_input(w + " is not well-formed: " + errors.first());
    if (events != nullptr ? !state.saw_element : doc.root() == nullptr) return invalid_input(w + " has no root element");
    return doc;
}

}  // namespace

Result<XmlDoc> parse_untrusted_xml(std::string_view text, std::string_view what, std::size_t max_bytes) {
    return parse_hardened(text, what, max_bytes, nullptr);
}

Status read_untrusted_xml(std::string_view text, std::string_view what, XmlEvents &events, std::size_t max_bytes) {
    ILVM_TRY(parse_hardened(text, what, max_bytes, &events));
    return {};
}

namespace xml {

// ---------------------------------------------------------------------------------------
// ErrorCapture

ErrorCapture::ErrorCapture()
    : prev_structured_(xmlStructuredError),
      prev_structured_ctx_(xmlStructuredErrorContext),
      prev_generic_(xmlGenericError),
      prev_generic_ctx_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(this, &ErrorCapture::structured_handler);
    xmlSetGenericErrorFunc(this, &ErrorCapture::generic_handler);
}

ErrorCapture::~ErrorCapture() {
    xmlSetStructuredErrorFunc(prev_structured_ctx_, prev_structured_);
    xmlSetGenericErrorFunc(prev_generic_ctx_, prev_generic_);
}

void ErrorCapture::structured_handler(void *self, xmlErrorPtr err) {
    if (self == nullptr || err == nullptr) return;
    auto *capture = static_cast<ErrorCapture *>(self);
    // Hostile input could produce millions of errors; the first few are all we report.
    if (capture->entries_.size() >= 32) return;
    Entry e;
    e.level = static_cast<int>(err->level);
    e.domain = err->domain;
    e.line = err->line;
    // Only validators put a tree node into err->node; other domains may use the field
    // for something else.
    if (err->domain == XML_FROM_RELAXNGV || err->domain == XML_FROM_SCHEMASV || err->domain == XML_FROM_VALID)
        e.node = static_cast<const xmlNode *>(err->node);
    if (e.line <= 0 && e.node != nullptr) e.line = line_of(e.node);
    e.message = one_line(err->message != nullptr ? err->message : "unknown error");
    capture->entries_.push_back(std::move(e));
}

void ErrorCapture::generic_handler(void *self, const char *fmt, ...) {
    if (self == nullptr || fmt == nullptr) return;
    auto *capture = static_cast<ErrorCapture *>(self);
    if (capture->generic_.size() > 1024) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    capture->generic_ += buf;
}

std::string ErrorCapture::first(std::string_view fallback) const {
    const Entry *pick = nullptr;
    for (const auto &e : entries_)
        if (e.level >= XML_ERR_ERROR) { pick = &e; break; }
    if (pick == nullptr && !entries_.empty()) pick = &entries_.front();
    if (pick != nullptr)
        return pick->line > 0 ? "line " + std::to_string(pick->line) + ": " + pick->message : pick->message;
    if (!one_line(generic_).empty()) return one_line(generic_);
    return one_line(fallback);
}

// ---------------------------------------------------------------------------------------
// DOM helpers

bool is_element(const xmlNode *node, std::string_view name) {
    if (node == nullptr || node->type != XML_ELEMENT_NODE || node->ns != nullptr) return false;
    return name.empty() || node_name(node) == name;
}

std::string_view node_name(const xmlNode *node) {
    if (node == nullptr || node->name == nullptr) return {};
    return reinterpret_cast<const char *>(node->name);
}

long line_of(const xmlNode *node) {
    if (node == nullptr) return 0;
    const long line = xmlGetLineNo(node);
    return line > 0 ? line : 0;
}

std::vector<const xmlNode *> child_elements(const xmlNode *parent, std::string_view name) {
    std::vector<const xmlNode *> out;
    if (parent == nullptr) return out;
    for (const xmlNode *c = parent->children; c != nullptr; c = c->next)
        if (is_element(c, name)) out.push_back(c);
    return out;
}

const xmlNode *first_child(const xmlNode *parent, std::string_view name) {
    if (parent == nullptr) return nullptr;
    for (const xmlNode *c = parent->children; c != nullptr; c = c->next)
        if (is_element(c, name)) return c;
    return nullptr;
}

Result<const xmlNode *> exactly_one_child(const xmlNode *parent, std::string_view name) {
    auto kids = child_elements(parent, name);
    const std::string n(name), p(node_name(parent));
    if (kids.empty()) return invalid_input("<" + p + "> has no <" + n + "> element");
    if (kids.size() > 1)
        return invalid_input("<" + p + "> has more than one <" + n + "> element (line " + std::to_string(line_of(kids[1])) + ")");
    return kids.front();
}

Result<const xmlNode *> optional_child(const xmlNode *parent, std::string_view name) {
    auto kids = child_elements(parent, name);
    if (kids.size() > 1)
        return invalid_input("<" + std::string(node_name(parent)) + "> has more than one <" + std::string(name) +
                             "> element (line " + std::to_string(line_of(kids[1])) + ")");
    return kids.empty() ? nullptr : kids.front();
}

std::optional<std::string> attribute(const xmlNode *node, std::string_view name) {
    if (node == nullptr || node->type != XML_ELEMENT_NODE) return std::nullopt;
    const std::string n(name);
    // xmlHasNsProp(…, nullptr): the attribute without a namespace, and never a DTD
    // default (we refuse DTDs anyway).
    xmlAttrPtr attr = xmlHasNsProp(node, reinterpret_cast<const xmlChar *>(n.c_str()), nullptr);
    if (attr == nullptr || attr->type != XML_ATTRIBUTE_NODE) return std::nullopt;
    xmlChar *value = xmlNodeGetContent(reinterpret_cast<const xmlNode *>(attr));
    std::string out = value != nullptr ? reinterpret_cast<const char *>(value) : "";
    xmlFree(value);
    return out;
}

std::string text_content(const xmlNode *node) {
    if (node == nullptr) return {};
    xmlChar *value = xmlNodeGetContent(node);
    std::string out = value != nullptr ? reinterpret_cast<const char *>(value) : "";
    xmlFree(value);
    return out;
}

Result<std::vector<const xmlNode *>> xpath_nodes(const XmlDoc &doc, std::string_view expr, const xmlNode *context,
                                                  const std::vector<std::pair<std::string, std::string>> &namespaces) {
    if (!doc) return internal_error("XPath evaluation on an empty document");
    ErrorCapture errors;
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(xmlXPathNewContext(doc.get()),
                                                                          &xmlXPathFreeContext);
    if (!ctx) return internal_error("cannot allocate an XPath context");
    ctx->error = &ErrorCapture::structured_handler;
    ctx->userData = &errors;
    // libxml2 wants a mutable node; evaluation only reads it.
    ctx->node = context != nullptr ? const_cast<xmlNode *>(context) : reinterpret_cast<xmlNode *>(doc.get());
    for (const auto &[prefix, uri] : namespaces)
        if (xmlXPathRegisterNs(ctx.get(), reinterpret_cast<const xmlChar *>(prefix.c_str()),
                               reinterpret_cast<const xmlChar *>(uri.c_str())) != 0)
            return internal_error("cannot register XPath namespace prefix " + shown(prefix));
    const std::string e(expr);
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> obj(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar *>(e.c_str()), ctx.get()), &xmlXPathFreeObject);
    if (!obj) return internal_error("XPath expression " + shown(expr) + " failed: " + errors.first());
    if (obj->type != XPATH_NODESET)
        return internal_error("XPath expression " + shown(expr) + " does not select nodes");
    std::vector<const xmlNode *> out;
    if (obj->nodesetval != nullptr)
        for (int i = 0; i < obj->nodesetval->nodeNr; ++i) out.push_back(obj->nodesetval->nodeTab[i]);
    return out;
}

// ---------------------------------------------------------------------------------------
// Strings

std::string token(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : trim(s)) {
        if (is_xml_space(c)) { space = true; continue; }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string shown(std::string_view value, std::size_t max) {
    bool truncated = false;
    std::string s = sanitize(value, max, false, truncated);
    return "'" + s + (truncated ? "'..." : "'");
}

std::string one_line(std::string_view msg, std::size_t max) {
    bool truncated = false;
    std::string s = token(sanitize(msg, max, true, truncated));
    if (truncated) s += "...";
    return s;
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        uint32_t cp = 0;
        const std::size_t len = utf8_sequence(text, i, cp);
        if (len == 0) { out += '?'; ++i; continue; }
        switch (cp) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\'': out += "&apos;"; break;
        case '"': out += "&quot;"; break;
        // Character references survive attribute-value normalisation.
        case '\t': out += "&#9;"; break;
        case '\n': out += "&#10;"; break;
        case '\r': out += "&#13;"; break;
        default:
            if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF) out += '?';
            else out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

}  // namespace xml
}  // namespace ilvm
