// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/schema.hpp"

#include <libxml/relaxng.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ilvm-embedded-schemas.h"

namespace ilvm {
namespace {

// ---------------------------------------------------------------------------------------
// The structure pass: element/attribute rules read from the RelaxNG schema.
//
// Only the subset of RelaxNG our schemas use is modelled (element, attribute, optional,
// zeroOrMore, oneOrMore, group, interleave, choice, ref, text, empty, value, data). An
// element whose content uses anything else is marked `open` and left to libxml2. The
// pass must never refuse what libxml2 accepts, so every doubt resolves to "allowed".

struct ElemRule;

struct AttrRule {
    bool required = false;
    std::vector<std::string> values;  // allowed values (RelaxNG token comparison); empty: any
};

struct ChildRule {
    const ElemRule *rule = nullptr;
    bool required = false;
    bool repeatable = false;
};

struct ElemRule {
    std::string name;
    bool open = false;
    std::map<std::string, AttrRule> attrs;
    // Attributes in a required <choice>: exactly one of each group must be present.
    std::vector<std::vector<std::string>> attr_choices;
    std::map<std::string, ChildRule> children;
    bool any_text = false;                 // <text/> or <data> in the content
    std::vector<std::string> text_values;  // <value>s in the content
};

struct Flags {
    bool optional = false;
    bool repeat = false;
};

constexpr std::string_view k_rng_ns = "http://relaxng.org/ns/structure/1.0";
constexpr int k_max_ref_depth = 32;

bool is_rng(const xmlNode *n, std::string_view name = {}) {
    if (n == nullptr || n->type != XML_ELEMENT_NODE || n->ns == nullptr || n->ns->href == nullptr) return false;
    if (std::string_view(reinterpret_cast<const char *>(n->ns->href)) != k_rng_ns) return false;
    return name.empty() || xml::node_name(n) == name;
}

std::vector<const xmlNode *> rng_children(const xmlNode *n) {
    std::vector<const xmlNode *> out;
    for (const xmlNode *c = n->children; c != nullptr; c = c->next)
        if (is_rng(c)) out.push_back(c);
    return out;
}

class ShapeBuilder {
public:
    ShapeBuilder(const xmlNode *grammar, std::deque<ElemRule> &store) : store_(store) {
        for (const xmlNode *c : rng_children(grammar))
            if (is_rng(c, "define")) {
                auto name = xml::attribute(c, "name");
                if (name) defines_[*name].push_back(c);
            } else if (is_rng(c, "start")) {
                start_ = c;
            }
    }

    // A pseudo element whose children are the allowed document elements.
    const ElemRule *build() {
        ElemRule &top = store_.emplace_back();
        if (start_ == nullptr) top.open = true;
        else walk(start_, top, {}, 0);
        return &top;
    }

private:
    const ElemRule *element_rule(const xmlNode *pattern, const std::string &name) {
        if (auto it = memo_.find(pattern); it != memo_.end()) return it->second;
        ElemRule &rule = store_.emplace_back();
        rule.name = name;
        memo_[pattern] = &rule;  // before walking: recursive schemas terminate
        walk(pattern, rule, {}, 0);
        return &rule;
    }

    void walk(const xmlNode *parent, ElemRule &owner, Flags f, int depth) {
        for (const xmlNode *p : rng_children(parent)) pattern(p, owner, f, depth);
    }

    const xmlNode *resolve(const xmlNode *ref) const {
        auto name = xml::attribute(ref, "name");
        if (!name) return nullptr;
        auto it = defines_.find(*name);
        // combine= (several defines of one name) is not modelled.
        if (it == defines_.end() || it->second.size() != 1) return nullptr;
        return it->second.front();
    }

    // Values an attribute (or element text) may take: nullopt when any text is allowed.
    std::optional<std::vector<std::string>> values_of(const xmlNode *parent, int depth) const {
        std::vector<std::string> out;
        auto kids = rng_children(parent);
        if (kids.empty()) return std::nullopt;  // <attribute name="x"/> means text
        for (const xmlNode *k : kids)
            if (!collect_values(k, out, depth)) return std::nullopt;
        return out;
    }

    bool collect_values(const xmlNode *p, std::vector<std::string> &out, int depth) const {
        if (depth > k_max_ref_depth) return false;
        if (is_rng(p, "value")) {
            out.push_back(xml::token(xml::text_content(p)));
            return true;
        }
        if (is_rng(p, "choice")) {
            for (const xmlNode *k : rng_children(p))
                if (!collect_values(k, out, depth + 1)) return false;
            return true;
        }
        if (is_rng(p, "ref")) {
            const xmlNode *def = resolve(p);
            if (def == nullptr) return false;
            auto kids = rng_children(def);
            if (kids.empty()) return false;
            for (const xmlNode *k : kids)
                if (!collect_values(k, out, depth + 1)) return false;
            return true;
        }
        return false;
    }

    void add_attribute(const xmlNode *p, ElemRule &owner, bool required, int depth) {
        auto name = xml::attribute(p, "name");
        auto ns = xml::attribute(p, "ns");
        if (!name || (ns && !ns->empty()) || owner.attrs.count(xml::token(*name)) != 0) {
            owner.open = true;
            return;
        }
        AttrRule rule;
        rule.required = required;
        if (auto values = values_of(p, depth)) rule.values = std::move(*values);
        owner.attrs[xml::token(*name)] = std::move(rule);
    }

    void pattern(const xmlNode *p, ElemRule &owner, Flags f, int depth) {
        const std::string_view kind = xml::node_name(p);
        if (kind == "element") {
            auto name = xml::attribute(p, "name");
            auto ns = xml::attribute(p, "ns");
            if (!name || (ns && !ns->empty())) {  // name classes / namespaces: not modelled
                owner.open = true;
                return;
            }
            const std::string n = xml::token(*name);
            if (owner.children.count(n) != 0) {  // same name twice in one content model
                owner.open = true;
                return;
            }
            owner.children[n] = ChildRule{element_rule(p, n), !f.optional, f.repeat};
        } else if (kind == "attribute") {
            add_attribute(p, owner, !f.optional, depth);
        } else if (kind == "optional") {
            walk(p, owner, {true, f.repeat}, depth);
        } else if (kind == "zeroOrMore") {
            walk(p, owner, {true, true}, depth);
        } else if (kind == "oneOrMore") {
            walk(p, owner, {f.optional, true}, depth);
        } else if (kind == "group" || kind == "interleave") {
            walk(p, owner, f, depth);
        } else if (kind == "mixed") {
            owner.any_text = true;
            walk(p, owner, f, depth);
        } else if (kind == "choice") {
            auto kids = rng_children(p);
            const bool all_attrs = !kids.empty() && std::all_of(kids.begin(), kids.end(), [](const xmlNode *k) {
                return is_rng(k, "attribute");
            });
            if (all_attrs) {
                std::vector<std::string> group;
                for (const xmlNode *k : kids) {
                    add_attribute(k, owner, false, depth);
                    if (auto name = xml::attribute(k, "name")) group.push_back(xml::token(*name));
                }
                if (!f.optional) owner.attr_choices.push_back(std::move(group));
            } else {
                // Any branch may be the one taken: nothing inside is required.
                walk(p, owner, {true, f.repeat}, depth);
            }
        } else if (kind == "ref") {
            const xmlNode *def = depth < k_max_ref_depth ? resolve(p) : nullptr;
            if (def == nullptr) owner.open = true;
            else walk(def, owner, f, depth + 1);
        } else if (kind == "text" || kind == "data") {
            owner.any_text = true;
        } else if (kind == "value") {
            owner.text_values.push_back(xml::token(xml::text_content(p)));
        } else if (kind == "empty" || kind == "notAllowed") {
            // nothing
        } else {
            owner.open = true;  // list, parentRef, externalRef, div, name classes, ...
        }
    }

    std::deque<ElemRule> &store_;
    const xmlNode *start_ = nullptr;
    std::map<std::string, std::vector<const xmlNode *>> defines_;
    std::map<const xmlNode *, const ElemRule *> memo_;
};

// "<name>" as written, namespace included, for messages.
std::string display(const xmlNode *n) {
    std::string name(xml::node_name(n));
    if (n->ns != nullptr) {
        if (n->ns->prefix != nullptr) name = std::string(reinterpret_cast<const char *>(n->ns->prefix)) + ":" + name;
        else if (n->ns->href != nullptr)
            name += " xmlns=" + xml::shown(reinterpret_cast<const char *>(n->ns->href));
    }
    return "<" + xml::one_line(name, 120) + ">";
}

std::string attr_display(const xmlAttr *a) {
    std::string name = a->name != nullptr ? reinterpret_cast<const char *>(a->name) : "";
    if (a->ns != nullptr && a->ns->prefix != nullptr) name = std::string(reinterpret_cast<const char *>(a->ns->prefix)) + ":" + name;
    return xml::shown(name);
}

std::string alternatives(const std::vector<std::string> &values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += (i + 1 == values.size()) ? " or " : ", ";
        out += "'" + values[i] + "'";
    }
    return out;
}

class ShapeChecker {
public:
    explicit ShapeChecker(std::string what) : what_(std::move(what)) {}

    Status check_document(const xmlNode *root, const ElemRule &top) const {
        if (top.open) return {};
        auto it = root->ns == nullptr ? top.children.find(std::string(xml::node_name(root))) : top.children.end();
        if (it == top.children.end()) {
            std::vector<std::string> expected;
            for (const auto &[name, rule] : top.children) expected.push_back("<" + name + ">");
            std::string list;
            for (std::size_t i = 0; i < expected.size(); ++i) list += (i > 0 ? " or " : "") + expected[i];
            return fail(root, "the root element is " + display(root) + ", expected " + list);
        }
        return check(root, *it->second.rule);
    }

private:
    Status fail(const xmlNode *at, const std::string &msg) const {
        const long line = xml::line_of(at);
        return invalid_input(what_ + " does not match the schema: " +
                             (line > 0 ? "line " + std::to_string(line) + ": " : std::string()) + msg);
    }

    Status check(const xmlNode *node, const ElemRule &rule) const {
        if (rule.open) return {};
        const std::string me = display(node);

        for (const xmlAttr *a = node->properties; a != nullptr; a = a->next) {
            const std::string name = a->name != nullptr ? reinterpret_cast<const char *>(a->name) : "";
            auto it = a->ns == nullptr ? rule.attrs.find(name) : rule.attrs.end();
            if (it == rule.attrs.end()) return fail(node, "unknown attribute " + attr_display(a) + " on " + me);
            if (!it->second.values.empty()) {
                const std::string value = xml::token(xml::text_content(reinterpret_cast<const xmlNode *>(a)));
                const auto &vals = it->second.values;
                if (std::find(vals.begin(), vals.end(), value) == vals.end())
                    return fail(node, "unknown value " + xml::shown(value) + " for attribute '" + name + "' of " + me +
                                          ": expected " + alternatives(vals));
            }
        }
        for (const auto &[name, ar] : rule.attrs)
            if (ar.required && !xml::attribute(node, name))
                return fail(node, me + " is missing the required attribute '" + name + "'");
        for (const auto &group : rule.attr_choices) {
            std::size_t present = 0;
            for (const auto &name : group) present += xml::attribute(node, name) ? 1 : 0;
            if (present != 1)
                return fail(node, me + " needs exactly one of the attributes " + alternatives(group) + " (it has " +
                                      (present == 0                                       ? std::string("none")
                                       : present == 2 && group.size() == 2 ? std::string("both")
                                                                           : std::to_string(present)) +
                                      ")");
        }
        if (!rule.any_text && !rule.text_values.empty()) {
            const std::string value = xml::token(xml::text_content(node));
            if (std::find(rule.text_values.begin(), rule.text_values.end(), value) == rule.text_values.end())
                return fail(node, "unknown value " + xml::shown(value) + " for " + me + ": expected " +
                                      alternatives(rule.text_values));
        }

        // Element-only or empty content: RelaxNG ignores whitespace between elements, and
        // nothing else.
        const bool text_allowed = rule.any_text || !rule.text_values.empty();

        std::map<std::string, int> seen;
        std::vector<std::pair<const xmlNode *, const ElemRule *>> kids;
        for (const xmlNode *c = node->children; c != nullptr; c = c->next) {
            if (!text_allowed && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
                const std::string text = xml::token(xml::text_content(c));
                if (!text.empty()) return fail(node, "unexpected text " + xml::shown(text, 40) + " in " + me);
            }
            if (c->type != XML_ELEMENT_NODE) continue;
            auto it = c->ns == nullptr ? rule.children.find(std::string(xml::node_name(c))) : rule.children.end();
            if (it == rule.children.end()) return fail(c, "unknown element " + display(c) + " in " + me);
            if (++seen[it->first] > 1 && !it->second.repeatable)
                return fail(c, "more than one " + display(c) + " in " + me);
            kids.emplace_back(c, it->second.rule);
        }
        for (const auto &[name, cr] : rule.children)
            if (cr.required && seen[name] == 0)
                return fail(node, me + " is missing the required element <" + name + ">");
        for (const auto &[child, child_rule] : kids) ILVM_TRY(check(child, *child_rule));
        return {};
    }

    std::string what_;
};

// ---------------------------------------------------------------------------------------
// The compiled schemas

struct CompiledSchema {
    std::string what;  // "pool XML"
    std::deque<ElemRule> rules;
    const ElemRule *top = nullptr;
    xmlRelaxNGPtr rng = nullptr;  // never freed: lives as long as the process
    std::optional<Error> error;   // the embedded schema itself is broken (a bug)
    // libxml2 documents a compiled RelaxNG schema as read-only during validation, but the
    // documents we validate are small: serialising costs nothing and removes the doubt.
    std::mutex validate_mutex;
};

void compile(CompiledSchema &c, std::string_view text) {
    harden_libxml2();
    auto doc = parse_untrusted_xml(text, "the embedded " + c.what + " schema");
    if (!doc.ok()) {
        c.error = internal_error(doc.error().message);
        return;
    }
    ShapeBuilder builder(doc->root(), c.rules);
    c.top = builder.build();

    xml::ErrorCapture errors;
    xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewMemParserCtxt(text.data(), static_cast<int>(text.size()));
    if (pctxt == nullptr) {
        c.error = internal_error("cannot allocate a RelaxNG parser");
        return;
    }
    xmlRelaxNGSetParserStructuredErrors(pctxt, &xml::ErrorCapture::structured_handler, &errors);
    c.rng = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    if (c.rng == nullptr) c.error = internal_error("the embedded " + c.what + " schema does not compile: " + errors.first());
}

CompiledSchema &compiled(SchemaKind kind) {
    static CompiledSchema pool{"pool XML", {}, nullptr, nullptr, std::nullopt, {}};
    static CompiledSchema volume{"volume XML", {}, nullptr, nullptr, std::nullopt, {}};
    static std::once_flag pool_once, volume_once;
    if (kind == SchemaKind::pool) {
        std::call_once(pool_once, [] { compile(pool, schema_text(SchemaKind::pool)); });
        return pool;
    }
    std::call_once(volume_once, [] { compile(volume, schema_text(SchemaKind::volume)); });
    return volume;
}

// libxml2 often reports the useful message without a line and follows it with a less
// useful one that has a node: keep the first message, take the first known line.
std::string describe(const xml::ErrorCapture &errors) {
    const auto &entries = errors.entries();
    if (entries.empty()) return errors.first("the document is not valid");
    const xml::ErrorCapture::Entry *pick = &entries.front();
    for (const auto &e : entries)
        if (e.level >= XML_ERR_ERROR) { pick = &e; break; }
    long line = pick->line;
    for (const auto &e : entries)
        if (line <= 0 && e.line > 0) line = e.line;
    return (line > 0 ? "line " + std::to_string(line) + ": " : std::string()) + pick->message;
}

}  // namespace

std::string_view schema_text(SchemaKind kind) {
    // sizeof - 1: the arrays are string literals with a terminating NUL.
    if (kind == SchemaKind::pool) return {k_iscsi_lvm_pool_rng, sizeof k_iscsi_lvm_pool_rng - 1};
    return {k_iscsi_lvm_vol_rng, sizeof k_iscsi_lvm_vol_rng - 1};
}

Status validate_schema(const XmlDoc &doc, SchemaKind kind) {
    CompiledSchema &c = compiled(kind);
    if (c.error) return *c.error;
    if (!doc || doc.root() == nullptr) return invalid_input(c.what + " is empty");

    ILVM_TRY(ShapeChecker(c.what).check_document(doc.root(), *c.top));

    xml::ErrorCapture errors;
    std::lock_guard<std::mutex> lock(c.validate_mutex);
    xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(c.rng);
    if (vctxt == nullptr) return internal_error("cannot allocate a RelaxNG validation context");
    xmlRelaxNGSetValidStructuredErrors(vctxt, &xml::ErrorCapture::structured_handler, &errors);
    const int rc = xmlRelaxNGValidateDoc(vctxt, doc.get());
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (rc == 0) return {};
    if (rc < 0) return internal_error(c.what + ": RelaxNG validation failed internally: " + describe(errors));
    return invalid_input(c.what + " does not match the schema: " + describe(errors));
}

}  // namespace ilvm
