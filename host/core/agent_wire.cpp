// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/agent_wire.hpp"

#include <memory>

#include <json-glib/json-glib.h>

#include "common/gobject_ptr.hpp"
#include "common/names.hpp"
#include "host/core/handover_files.hpp"

namespace ilvm::host {
namespace {

constexpr size_t kMaxVolumes = 4096;   // a domain's disks; far more than libvirt attaches

const char *op_name(AgentOp op) {
    switch (op) {
    case AgentOp::incoming: return "incoming";
    case AgentOp::share: return "share";
    case AgentOp::ping: return "ping";
    case AgentOp::pool_changed: return "pool-changed";
    case AgentOp::mirror_state: return "mirror-state";
    }
    return "?";
}

// The local requests about one pool (not a domain's hand-over).
bool names_a_pool(AgentOp op) { return op == AgentOp::pool_changed || op == AgentOp::mirror_state; }

struct NodeDeleter {
    void operator()(JsonNode *n) const {
        if (n) json_node_unref(n);
    }
};

std::string to_line(JsonBuilder *b) {
    std::unique_ptr<JsonNode, NodeDeleter> root(json_builder_get_root(b));
    GObjectPtr<JsonGenerator> gen(json_generator_new());
    json_generator_set_root(gen.get(), root.get());
    gchar *text = json_generator_to_data(gen.get(), nullptr);   // compact: one line
    std::string line(text);
    g_free(text);
    return line;
}

void add_string(JsonBuilder *b, const char *key, const std::string &value) {
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value.c_str());
}

void add_volumes(JsonBuilder *b, const std::vector<VolumeRef> &volumes) {
    json_builder_set_member_name(b, "volumes");
    json_builder_begin_array(b);
    for (const auto &v : volumes) {
        json_builder_begin_object(b);
        add_string(b, "pool", v.pool);
        add_string(b, "volume", v.volume);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

// The parsed line's object; the parser owns it.
Result<JsonObject *> parse_object(JsonParser *parser, std::string_view line, const char *what) {
    GError *raw = nullptr;
    if (!json_parser_load_from_data(parser, line.data(), static_cast<gssize>(line.size()), &raw)) {
        GErrorPtr err(raw);
        return invalid_input(std::string("malformed ") + what + ": " + (err ? err->message : "not JSON"));
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return invalid_input(std::string("malformed ") + what + ": not a JSON object");
    return json_node_get_object(root);
}

// A string member; absent is "" unless required.
Result<std::string> string_member(JsonObject *o, const char *key, bool required) {
    if (!json_object_has_member(o, key)) {
        if (required) return invalid_input(std::string("the message has no \"") + key + "\"");
        return std::string();
    }
    JsonNode *n = json_object_get_member(o, key);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return invalid_input(std::string("\"") + key + "\" is not a string");
    return std::string(json_node_get_string(n));
}

Result<std::vector<VolumeRef>> volumes_member(JsonObject *o) {
    std::vector<VolumeRef> out;
    if (!json_object_has_member(o, "volumes")) return out;
    JsonNode *n = json_object_get_member(o, "volumes");
    if (!JSON_NODE_HOLDS_ARRAY(n)) return invalid_input("\"volumes\" is not an array");
    JsonArray *a = json_node_get_array(n);
    if (json_array_get_length(a) > kMaxVolumes) return invalid_input("too many volumes in one message");
    for (guint i = 0; i < json_array_get_length(a); ++i) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(e)) return invalid_input("a volume is not an object");
        JsonObject *vo = json_node_get_object(e);
        ILVM_ASSIGN_OR_RETURN(std::string pool, string_member(vo, "pool", true));
        ILVM_ASSIGN_OR_RETURN(std::string volume, string_member(vo, "volume", true));
        ILVM_TRY(validate_pool_name(pool));
        ILVM_TRY(validate_lv_name(volume));
        out.push_back({std::move(pool), std::move(volume)});
    }
    return out;
}

ErrorCode code_from_name(const std::string &name) {
    for (ErrorCode c : {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::conflict, ErrorCode::system})
        if (name == error_code_name(c)) return c;
    return ErrorCode::internal;
}

}  // namespace

std::string encode_request(const AgentRequest &request) {
    GObjectPtr<JsonBuilder> b(json_builder_new());
    json_builder_begin_object(b.get());
    add_string(b.get(), "op", op_name(request.op));
    if (names_a_pool(request.op)) add_string(b.get(), "pool", request.pool);
    else if (request.op != AgentOp::ping) add_string(b.get(), "domain", request.domain);
    if (request.op == AgentOp::pool_changed && !request.moved_domain.empty())
        add_string(b.get(), "moved-domain", request.moved_domain);
    if (request.op == AgentOp::incoming) add_volumes(b.get(), request.volumes);
    if (!request.from.empty()) add_string(b.get(), "from", request.from);
    json_builder_end_object(b.get());
    return to_line(b.get());
}

Result<AgentRequest> decode_request(std::string_view line) {
    GObjectPtr<JsonParser> parser(json_parser_new());
    ILVM_ASSIGN_OR_RETURN(JsonObject * o, parse_object(parser.get(), line, "request"));
    AgentRequest r;
    ILVM_ASSIGN_OR_RETURN(std::string op, string_member(o, "op", true));
    if (op == "incoming") r.op = AgentOp::incoming;
    else if (op == "share") r.op = AgentOp::share;
    else if (op == "ping") r.op = AgentOp::ping;
    else if (op == "pool-changed") r.op = AgentOp::pool_changed;
    else if (op == "mirror-state") r.op = AgentOp::mirror_state;
    else return invalid_input("unknown request \"" + op + "\"", "the other side runs another iscsi-lvm version");
    if (names_a_pool(r.op)) {
        ILVM_ASSIGN_OR_RETURN(r.pool, string_member(o, "pool", true));
        ILVM_TRY(validate_pool_name(r.pool));
    } else if (r.op != AgentOp::ping) {
        ILVM_ASSIGN_OR_RETURN(r.domain, string_member(o, "domain", true));
        ILVM_TRY(validate_domain_file_name(r.domain));
    }
    if (r.op == AgentOp::pool_changed) {
        // An agent before the member ignores it: it then watches the domain at its next pass.
        ILVM_ASSIGN_OR_RETURN(r.moved_domain, string_member(o, "moved-domain", false));
        if (!r.moved_domain.empty()) ILVM_TRY(validate_domain_file_name(r.moved_domain));
    }
    ILVM_ASSIGN_OR_RETURN(r.volumes, volumes_member(o));
    ILVM_ASSIGN_OR_RETURN(r.from, string_member(o, "from", false));
    if (r.from.size() > 255) return invalid_input("\"from\" is longer than a host name");
    return r;
}

std::string encode_answer(const AgentAnswer &answer) {
    GObjectPtr<JsonBuilder> b(json_builder_new());
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "ok");
    json_builder_add_boolean_value(b.get(), answer.status.ok());
    if (!answer.status.ok()) {
        add_string(b.get(), "class", error_code_name(answer.status.error().code));
        add_string(b.get(), "message", answer.status.error().message);
        add_string(b.get(), "hint", answer.status.error().hint);
    }
    add_volumes(b.get(), answer.volumes);
    if (!answer.detail.empty()) add_string(b.get(), "detail", answer.detail);
    if (!answer.mirror_state.empty()) {
        json_builder_set_member_name(b.get(), "mirror");
        json_builder_begin_object(b.get());
        add_string(b.get(), "state", answer.mirror_state);
        add_string(b.get(), "detail", answer.mirror_detail);
        json_builder_end_object(b.get());
    }
    json_builder_end_object(b.get());
    return to_line(b.get());
}

Result<AgentAnswer> decode_answer(std::string_view line) {
    GObjectPtr<JsonParser> parser(json_parser_new());
    ILVM_ASSIGN_OR_RETURN(JsonObject * o, parse_object(parser.get(), line, "answer"));
    if (!json_object_has_member(o, "ok")) return invalid_input("the answer has no \"ok\"");
    JsonNode *ok = json_object_get_member(o, "ok");
    if (!JSON_NODE_HOLDS_VALUE(ok) || json_node_get_value_type(ok) != G_TYPE_BOOLEAN)
        return invalid_input("\"ok\" is not a boolean");
    AgentAnswer a;
    if (!json_node_get_boolean(ok)) {
        ILVM_ASSIGN_OR_RETURN(std::string cls, string_member(o, "class", true));
        ILVM_ASSIGN_OR_RETURN(std::string message, string_member(o, "message", true));
        ILVM_ASSIGN_OR_RETURN(std::string hint, string_member(o, "hint", false));
        a.status = Error{code_from_name(cls), message, hint};
    }
    ILVM_ASSIGN_OR_RETURN(a.volumes, volumes_member(o));
    ILVM_ASSIGN_OR_RETURN(a.detail, string_member(o, "detail", false));
    if (json_object_has_member(o, "mirror")) {
        JsonNode *m = json_object_get_member(o, "mirror");
        if (!JSON_NODE_HOLDS_OBJECT(m)) return invalid_input("\"mirror\" is not an object");
        ILVM_ASSIGN_OR_RETURN(a.mirror_state, string_member(json_node_get_object(m), "state", true));
        ILVM_ASSIGN_OR_RETURN(a.mirror_detail, string_member(json_node_get_object(m), "detail", false));
    }
    return a;
}

}  // namespace ilvm::host
