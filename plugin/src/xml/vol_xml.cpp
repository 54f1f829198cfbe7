// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/vol_xml.hpp"

#include <cstdint>
#include <limits>

#include "common/names.hpp"
#include "common/size.hpp"
#include "common/strings.hpp"
#include "common/xml_doc.hpp"
#include "xml/schema.hpp"

namespace ilvm {
namespace {

constexpr std::string_view k_what = "volume XML";

std::string text_of(const xmlNode *node) { return std::string(trim(xml::text_content(node))); }

Status check_root(const xmlNode *root) {
    if (!xml::is_element(root, "volume")) {
        std::string name(xml::node_name(root));
        if (root->ns != nullptr) name += " (in a namespace)";
        return invalid_input("volume XML must have <volume> as its root element, not <" + xml::one_line(name, 80) + ">");
    }
    if (auto type = xml::attribute(root, "type"); type && xml::token(*type) != "block")
        return invalid_input("volume type " + xml::shown(*type) + " is not supported: iscsi-lvm volumes are logical volumes (type='block')",
                             "omit type= or write <volume type='block'>");
    // Checked before the schema, whose message for a wrong enumeration value is vaguer.
    for (const xmlNode *target : xml::child_elements(root, "target"))
        for (const xmlNode *format : xml::child_elements(target, "format")) {
            auto type = xml::attribute(format, "type");
            if (type && !parse_vol_format(xml::token(*type)))
                return invalid_input("volume format " + xml::shown(*type) +
                                         " is not supported: iscsi-lvm volumes are logical volumes holding a raw disk or a qcow2 image",
                                     "omit <format> (raw) or write <format type='raw'/> or <format type='qcow2'/>");
        }
    return {};
}

// <target><format type='…'/></target>; raw when absent (check_root checked the value).
VolFormat format_of(const xmlNode *root) {
    for (const xmlNode *target : xml::child_elements(root, "target"))
        for (const xmlNode *format : xml::child_elements(target, "format"))
            if (auto type = xml::attribute(format, "type"))
                if (auto f = parse_vol_format(xml::token(*type))) return *f;
    return VolFormat::raw;
}

// A libvirt scaled integer: <capacity unit='G'>10</capacity>. Digits only; the unit
// defaults to bytes; overflow is an error, never a wrap.
Result<uint64_t> parse_scaled(const xmlNode *node, std::string_view what) {
    const std::string w = "volume " + std::string(what);
    const std::string text = text_of(node);
    const std::string unit = xml::token(xml::attribute(node, "unit").value_or("bytes"));
    const std::string hint = "e.g. <" + std::string(what) + " unit='G'>10</" + std::string(what) + ">";
    if (text.empty()) return invalid_input(w + " is empty", hint);
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return invalid_input(w + " " + xml::shown(text, 40) + " is not a whole number", hint);
        const auto d = static_cast<uint64_t>(c - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - d) / 10)
            return invalid_input(w + " " + xml::shown(text, 40) + " is too large");
        value = value * 10 + d;
    }
    auto bytes = scale_size(value, unit);
    if (!bytes.ok()) {
        Error e = bytes.take_error();
        return Error(e.code, w + ": " + e.message, e.hint);
    }
    return bytes.value();
}

}  // namespace

Result<VolDef> parse_vol_xml(std::string_view text) {
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(text, k_what));
    const xmlNode *root = doc.root();
    ILVM_TRY(check_root(root));
    ILVM_TRY(validate_schema(doc, SchemaKind::volume));
    // vol-dumpxml prints it (a clone's template, a chain's layer), but a volume made from XML
    // is a standalone image: ignoring it would make a full volume where a clone was meant.
    if (!xml::child_elements(root, "backingStore").empty())
        return invalid_input("<backingStore> in <volume>: a volume on a backing image is a linked clone, not made "
                             "from XML alone",
                             "drop <backingStore> and use ilvm vol-clone POOL TEMPLATE NEW --linked, or vol-create-from "
                             "POOL FILE TEMPLATE --linked");

    VolDef def;
    ILVM_ASSIGN_OR_RETURN(const xmlNode *name, xml::exactly_one_child(root, "name"));
    def.name = text_of(name);
    ILVM_TRY(validate_lv_name(def.name));

    ILVM_ASSIGN_OR_RETURN(const xmlNode *capacity, xml::exactly_one_child(root, "capacity"));
    ILVM_ASSIGN_OR_RETURN(def.capacity, parse_scaled(capacity, "capacity"));
    if (def.capacity == 0) return invalid_input("volume capacity must be greater than zero");

    def.format = format_of(root);
    ILVM_ASSIGN_OR_RETURN(const xmlNode *allocation, xml::optional_child(root, "allocation"));
    if (allocation != nullptr) {
        ILVM_ASSIGN_OR_RETURN(uint64_t alloc, parse_scaled(allocation, "allocation"));
        // A qcow2 volume's allocation is its LV's size, checked against what the image needs
        // when it is made (backend/volume_ops.cpp).
        if (def.format == VolFormat::raw && alloc != def.capacity)
            return invalid_input("a raw volume is thick: its allocation must equal its capacity",
                                 "omit <allocation>, set it equal to <capacity> (" + std::to_string(def.capacity) +
                                     " bytes), or make a thin volume with <format type='qcow2'/>");
        if (alloc == 0) return invalid_input("volume allocation must be greater than zero");
        def.allocation = alloc;
    }
    // <key>, <source>, <physical>, <target> (path, format, permissions, timestamps),
    // <activation>, <incomplete> and <holder> describe an existing volume: ignored on input.
    return def;
}

std::string format_vol_xml(const VolDef &def, const VolStatus *status, XmlLayout layout) {
    using xml::escape;
    std::string o;
    // One element per line, indented two spaces per level; compact: neither (libxml2 makes
    // no text node of what is not there: a pool's list of 10,000 volumes parses faster).
    const auto line = [&o, layout](int depth, const std::string &element) {
        if (layout == XmlLayout::indented) o.append(static_cast<size_t>(depth) * 2, ' ');
        o += element;
        if (layout == XmlLayout::indented) o += '\n';
    };
    line(0, "<volume type='block'>");
    line(1, "<name>" + escape(def.name) + "</name>");
    if (status != nullptr && !status->key.empty()) line(1, "<key>" + escape(status->key) + "</key>");
    // libvirt prints <source> with the PV extents of an LV; they mean nothing to a shared
    // LUN, so it is omitted.
    uint64_t capacity = def.capacity;
    std::optional<uint64_t> allocation = def.allocation;
    if (status != nullptr) {
        // The LV as it is (rounded up to whole extents): for raw volumes both numbers, for
        // qcow2 the allocation (the capacity is the image's virtual size). An unknown
        // allocation is the capacity.
        if (status->capacity != 0) capacity = status->capacity;
        allocation = status->allocation != 0 ? status->allocation : capacity;
    }
    line(1, "<capacity unit='bytes'>" + std::to_string(capacity) + "</capacity>");
    if (allocation) line(1, "<allocation unit='bytes'>" + std::to_string(*allocation) + "</allocation>");
    line(1, "<target>");
    if (status != nullptr && !status->path.empty()) line(2, "<path>" + escape(status->path) + "</path>");
    line(2, std::string("<format type='") + vol_format_name(def.format) + "'/>");
    // A template is read-only for good (libvirt's octal mode of the path: 0444).
    if (status != nullptr && status->is_template) {
        line(2, "<permissions>");
        line(3, "<mode>0444</mode>");
        line(2, "</permissions>");
    }
    line(1, "</target>");
    // libvirt's element for an overlay's backing image. Its format is its own LV's tags,
    // which this row does not carry: the path alone (vol-dumpxml of that volume says more).
    if (status != nullptr && !status->backing_path.empty()) {
        line(1, "<backingStore>");
        line(2, "<path>" + escape(status->backing_path) + "</path>");
        line(1, "</backingStore>");
    }
    if (status != nullptr) {
        auto yn = [](bool b) { return b ? "yes" : "no"; };
        line(1, std::string("<activation state='") + activation_state_name(status->activation) + "' open='" + yn(status->open) +
                    "' skip='" + yn(status->activation_skip) + "' autoactivation='" + yn(status->autoactivation) + "'/>");
        // Its content is not made yet: being created or copied, or that was interrupted.
        if (status->incomplete) line(1, "<incomplete/>");
        if (status->holder_host_id) {
            std::string holder = "<holder host_id='" + std::to_string(*status->holder_host_id) + "'";
            if (!status->holder_host_name.empty()) holder += " name='" + escape(status->holder_host_name) + "'";
            line(1, holder + " mode='" + (status->holder_shared ? "shared" : "exclusive") + "'/>");
        }
    }
    line(0, "</volume>");
    return o;
}

}  // namespace ilvm
