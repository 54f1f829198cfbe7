// SPDX-License-Identifier: LGPL-2.1-or-later
#include "qemu/qemu_img.hpp"

#include <json-glib/json-glib.h>

#include "common/gobject_ptr.hpp"

namespace ilvm::qemu {
namespace {

// A member that is a JSON integer ≥ 0.
Result<uint64_t> size_member(JsonObject *o, const char *key) {
    if (!json_object_has_member(o, key)) return system_error(std::string("qemu-img measure gave no \"") + key + "\"");
    JsonNode *n = json_object_get_member(o, key);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 || json_node_get_int(n) < 0)
        return system_error(std::string("qemu-img measure's \"") + key + "\" is not a size");
    return static_cast<uint64_t>(json_node_get_int(n));
}

}  // namespace

Command measure_qcow2(uint64_t virtual_bytes) {
    return Command{"qemu-img", "measure", "--output=json", "-O", "qcow2", "-o", kQcow2Options, "--size",
                   std::to_string(virtual_bytes)};
}

Result<Qcow2Measure> parse_measure_json(std::string_view json) {
    if (json.empty()) return system_error("qemu-img measure printed nothing");
    GObjectPtr<JsonParser> parser(json_parser_new());
    GError *raw = nullptr;
    if (!json_parser_load_from_data(parser.get(), json.data(), static_cast<gssize>(json.size()), &raw)) {
        GErrorPtr err(raw);
        return system_error(std::string("cannot parse qemu-img measure's JSON output: ") + (err ? err->message : "unknown error"));
    }
    JsonNode *root = json_parser_get_root(parser.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return system_error("qemu-img measure's JSON output has no top-level object");
    JsonObject *o = json_node_get_object(root);
    Qcow2Measure m;
    ILVM_ASSIGN_OR_RETURN(m.required, size_member(o, "required"));
    ILVM_ASSIGN_OR_RETURN(m.fully_allocated, size_member(o, "fully-allocated"));
    return m;
}

Command create_qcow2(const std::string &device, uint64_t virtual_bytes) {
    return Command{"qemu-img", "create", "-q", "-f", "qcow2", "-o", kQcow2Options, device, std::to_string(virtual_bytes)};
}

Command create_overlay(const std::string &device, const std::string &backing, uint64_t virtual_bytes) {
    return create_overlay(device, backing, "qcow2", virtual_bytes);
}

Command create_overlay(const std::string &device, const std::string &backing, const char *backing_format,
                       uint64_t virtual_bytes) {
    return Command{"qemu-img", "create", "-q",    "-u",    "-f",   "qcow2", "-o", kQcow2Options, "-b", backing,
                   "-F",       backing_format, device, std::to_string(virtual_bytes)};
}

Command measure_chain(const std::string &device) {
    return Command{"qemu-img", "measure", "--output=json", "-f", "qcow2", "-O", "qcow2", "-o", kQcow2Options, device};
}

Command flatten_qcow2(const std::string &device, const std::string &dst) {
    Command c{"qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2", "-o", kQcow2Options, device, dst};
    // It reads every allocated cluster of the chain: as long as a copy takes.
    c.timeout = std::chrono::hours(12);
    return c;
}

Command rebase_qcow2(const std::string &device, const std::string &backing) {
    Command c{"qemu-img", "rebase", "-q", "-f", "qcow2", "-b", backing};
    if (!backing.empty()) c.argv.insert(c.argv.end(), {"-F", "qcow2"});
    c.argv.push_back(device);
    // It copies what the image needs from the layer that goes: up to that layer's size.
    c.timeout = std::chrono::hours(12);
    return c;
}

Command resize_qcow2(const std::string &device, uint64_t virtual_bytes) {
    return Command{"qemu-img", "resize", "-q", "-f", "qcow2", device, std::to_string(virtual_bytes)};
}

}  // namespace ilvm::qemu
