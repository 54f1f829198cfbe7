// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/ui/output.hpp"

#include <algorithm>
#include <json-glib/json-glib.h>
#include <memory>

#include <limits>

#include "common/numbers.hpp"
#include "common/size.hpp"

namespace ilvm::cli {

std::string format_table(const std::vector<std::string> &headers, const std::vector<std::vector<std::string>> &rows) {
    std::vector<size_t> width(headers.size());
    for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
    for (const auto &r : rows)
        for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
    auto line = [&](const std::vector<std::string> &cells) {
        std::string s;
        for (size_t i = 0; i < width.size(); ++i) {
            std::string c = i < cells.size() ? cells[i] : "";
            s += " " + c;
            if (i + 1 < width.size()) s += std::string(width[i] - c.size() + 2, ' ');
        }
        return s + "\n";
    };
    size_t total = 1;
    for (auto w : width) total += w + 3;
    std::string out = line(headers) + std::string(total, '-') + "\n";
    for (const auto &r : rows) out += line(r);
    return out;
}

std::string format_fields(const std::vector<std::pair<std::string, std::string>> &fields) {
    size_t w = 0;
    for (const auto &f : fields) w = std::max(w, f.first.size() + 1);
    std::string out;
    for (const auto &[k, v] : fields) out += k + ":" + std::string(w - k.size() + 4, ' ') + v + "\n";
    return out;
}

std::string pad_right(const std::string &text, size_t width) {
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string size_text(uint64_t bytes, bool exact, const std::string &bytes_unit) {
    if (!exact) return human_size(bytes);
    return std::to_string(bytes) + (bytes_unit.empty() ? "" : " " + bytes_unit);
}

namespace {

void build(JsonBuilder *b, const JsonValue &value) {
    std::visit(
        [&](const auto &x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) json_builder_add_null_value(b);
            else if constexpr (std::is_same_v<T, bool>) json_builder_add_boolean_value(b, x);
            else if constexpr (std::is_same_v<T, int64_t>) json_builder_add_int_value(b, x);
            else if constexpr (std::is_same_v<T, uint64_t>) json_builder_add_int_value(b, static_cast<gint64>(x));
            else if constexpr (std::is_same_v<T, std::string>) json_builder_add_string_value(b, x.c_str());
            else if constexpr (std::is_same_v<T, JsonObject>) {
                json_builder_begin_object(b);
                for (const auto &[k, v] : x) {
                    json_builder_set_member_name(b, k.c_str());
                    build(b, v);
                }
                json_builder_end_object(b);
            } else {
                json_builder_begin_array(b);
                for (const auto &v : x) build(b, v);
                json_builder_end_array(b);
            }
        },
        value.v);
}

}  // namespace

std::string to_json(const JsonValue &value, JsonLayout layout) {
    std::unique_ptr<JsonBuilder, decltype(&g_object_unref)> b(json_builder_new(), g_object_unref);
    build(b.get(), value);
    JsonNode *root = json_builder_get_root(b.get());
    std::unique_ptr<JsonGenerator, decltype(&g_object_unref)> gen(json_generator_new(), g_object_unref);
    json_generator_set_pretty(gen.get(), layout == JsonLayout::indented ? TRUE : FALSE);
    json_generator_set_root(gen.get(), root);
    gchar *text = json_generator_to_data(gen.get(), nullptr);
    std::string out = text ? text : "null";
    g_free(text);
    json_node_unref(root);
    return out + "\n";
}

JsonValue text_or_null(const std::string &text) { return text.empty() ? JsonValue() : JsonValue(text); }

JsonValue number_or_null(const std::string &text) {
    if (text.empty()) return JsonValue();
    auto n = parse_number(text, 0, std::numeric_limits<int64_t>::max(), "number");
    return n.ok() ? JsonValue(*n) : JsonValue(text);
}

}  // namespace ilvm::cli
