// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/lvm_report.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include <json-glib/json-glib.h>

#include "common/gobject_ptr.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "lvm/lvm_argv.hpp"

namespace ilvm::lvm {
namespace {

// Visits every row of report[*].<section>[*], failing on any structural surprise so a
// changed LVM output format is a clear error rather than silently empty data.
Status for_each_row(std::string_view json, const char *section, const char *tool,
                    const std::function<Status(JsonObject *)> &visit) {
    GObjectPtr<JsonParser> parser(json_parser_new());
    GError *raw = nullptr;
    if (!json_parser_load_from_data(parser.get(), json.data(), static_cast<gssize>(json.size()), &raw)) {
        GErrorPtr err(raw);
        return system_error(std::string("cannot parse ") + tool + " JSON output: " + (err ? err->message : "unknown error"));
    }
    JsonNode *root = json_parser_get_root(parser.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return system_error(std::string(tool) + " JSON output has no top-level object");
    JsonObject *obj = json_node_get_object(root);
    if (!json_object_has_member(obj, "report"))
        return system_error(std::string(tool) + " JSON output has no \"report\" member");
    JsonNode *report = json_object_get_member(obj, "report");
    if (!JSON_NODE_HOLDS_ARRAY(report)) return system_error(std::string(tool) + " JSON \"report\" is not an array");
    JsonArray *reports = json_node_get_array(report);
    for (guint i = 0; i < json_array_get_length(reports); ++i) {
        JsonNode *rep = json_array_get_element(reports, i);
        if (!JSON_NODE_HOLDS_OBJECT(rep)) continue;
        JsonObject *ro = json_node_get_object(rep);
        if (!json_object_has_member(ro, section)) continue;
        JsonNode *rows = json_object_get_member(ro, section);
        if (!JSON_NODE_HOLDS_ARRAY(rows)) return system_error(std::string(tool) + " JSON section is not an array");
        JsonArray *arr = json_node_get_array(rows);
        for (guint j = 0; j < json_array_get_length(arr); ++j) {
            JsonNode *row = json_array_get_element(arr, j);
            if (!JSON_NODE_HOLDS_OBJECT(row)) return system_error(std::string(tool) + " JSON row is not an object");
            ILVM_TRY(visit(json_node_get_object(row)));
        }
    }
    return {};
}

std::string str(JsonObject *o, const char *key) {
    if (!json_object_has_member(o, key)) return {};
    JsonNode *n = json_object_get_member(o, key);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return {};
    const char *s = json_node_get_string(n);
    return s ? s : "";
}

Result<uint64_t> num(JsonObject *o, const char *key, const char *tool) {
    std::string s = str(o, key);
    // LVM prints sizes as "10737418240" with --nosuffix --units b; tolerate a stray "B".
    if (!s.empty() && (s.back() == 'B' || s.back() == 'b')) s.pop_back();
    auto v = parse_digits(s);
    if (!v) return system_error(std::string(tool) + " reported a non-numeric " + key + ": '" + s.substr(0, 40) + "'");
    return *v;
}

bool flag(JsonObject *o, const char *key, bool dflt) {
    if (!json_object_has_member(o, key)) return dflt;
    std::string s = str(o, key);
    if (s == "1") return true;
    // --binary prints "-1" when LVM cannot tell (lv_device_open of an inactive LV: seen in
    // the lab); "unknown" is the same without --binary. Neither means "set".
    if (s.empty() || s == "0" || s == "-1" || s == "unknown") return false;
    // Without --binary LVM prints a word for "set" ("skip activation", "open").
    return true;
}

}  // namespace

Result<std::vector<VgReport>> parse_vgs_json(std::string_view json) {
    std::vector<VgReport> out;
    ILVM_TRY(for_each_row(json, "vg", "vgs", [&](JsonObject *o) -> Status {
        VgReport r;
        r.name = str(o, "vg_name");
        r.uuid = str(o, "vg_uuid");
        ILVM_ASSIGN_OR_RETURN(r.size, num(o, "vg_size", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.free, num(o, "vg_free", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.extent_size, num(o, "vg_extent_size", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.extent_count, num(o, "vg_extent_count", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.free_count, num(o, "vg_free_count", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.lv_count, num(o, "lv_count", "vgs"));
        r.lock_type = str(o, "vg_lock_type");
        r.lock_args = str(o, "vg_lock_args");
        if (r.name.empty()) return system_error("vgs reported a VG without a name");
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

Result<std::vector<VgMdaReport>> parse_vgs_mda_json(std::string_view json) {
    std::vector<VgMdaReport> out;
    ILVM_TRY(for_each_row(json, "vg", "vgs", [&](JsonObject *o) -> Status {
        VgMdaReport r;
        r.name = str(o, "vg_name");
        ILVM_ASSIGN_OR_RETURN(r.mda_free, num(o, "vg_mda_free", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.mda_size, num(o, "vg_mda_size", "vgs"));
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

Result<std::vector<LvReport>> parse_lvs_json(std::string_view json) {
    std::vector<LvReport> out;
    ILVM_TRY(for_each_row(json, "lv", "lvs", [&](JsonObject *o) -> Status {
        LvReport r;
        r.name = str(o, "lv_name");
        if (r.name.empty()) return system_error("lvs reported an LV without a name");
        // lvmlockd's sanlock lease LV ("lvmlock", shown as "[lvmlock]" with -a).
        if (r.name == "lvmlock" || r.name == "[lvmlock]") return {};
        r.uuid = str(o, "lv_uuid");
        r.path = str(o, "lv_path");
        ILVM_ASSIGN_OR_RETURN(r.size, num(o, "lv_size", "lvs"));
        r.active_locally = flag(o, "lv_active_locally", false);
        r.active_exclusively = flag(o, "lv_active_exclusively", false);
        r.device_open = flag(o, "lv_device_open", false);
        r.skip_activation = flag(o, "lv_skip_activation", false);
        r.autoactivation = flag(o, "lv_autoactivation", true);
        r.lock_args = str(o, "lv_lockargs");
        // split() returns views into its argument: the string must outlive the loop (a
        // temporary here dangled once the tags outgrew the small-string buffer).
        const std::string tags = str(o, "lv_tags");
        for (std::string_view tag : split(tags, ','))
            if (!tag.empty()) r.tags.emplace_back(tag);
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

Result<std::vector<PvReport>> parse_pvs_json(std::string_view json) {
    std::vector<PvReport> out;
    ILVM_TRY(for_each_row(json, "pv", "pvs", [&](JsonObject *o) -> Status {
        PvReport r;
        r.pv_name = str(o, "pv_name");
        r.pv_uuid = str(o, "pv_uuid");
        r.vg_name = str(o, "vg_name");
        r.vg_uuid = str(o, "vg_uuid");
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

bool LvReport::incomplete() const { return std::find(tags.begin(), tags.end(), kIncompleteTag) != tags.end(); }

Result<uint64_t> sanlock_offset_from_lock_args(std::string_view lock_args) {
    auto colon = lock_args.rfind(':');
    if (colon == std::string_view::npos) return not_found("no sanlock lease offset in lock_args '" + std::string(lock_args) + "'");
    auto s = lock_args.substr(colon + 1);
    auto v = parse_digits(s);
    if (!v) return system_error("malformed sanlock lock_args '" + std::string(lock_args) + "'");
    return *v;
}

}  // namespace ilvm::lvm
