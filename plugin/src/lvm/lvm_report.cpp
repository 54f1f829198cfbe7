// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/lvm_report.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include <simdjson.h>

#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "lvm/lvm_argv.hpp"

namespace ilvm::lvm {
namespace {

namespace sj = simdjson;

// One row of a report. LVM prints every field as a string (sizes with --units b
// --nosuffix, flags with --binary); a field of another JSON type reads as absent-valued.
// The views point into the parser's buffers: a Row lives only while its row is visited.
class Row {
public:
    void add(std::string_view key, std::optional<std::string_view> value) { fields_.emplace_back(key, value); }
    bool has(std::string_view key) const { return find(key) != nullptr; }
    std::string str(std::string_view key) const {
        const auto *f = find(key);
        return f != nullptr && f->second ? std::string(*f->second) : std::string();
    }

private:
    using Field = std::pair<std::string_view, std::optional<std::string_view>>;
    // A dozen fields per row: a linear search beats any index built for it.
    const Field *find(std::string_view key) const {
        for (const auto &f : fields_)
            if (f.first == key) return &f;
        return nullptr;
    }
    std::vector<Field> fields_;
};

Error parse_failure(const char *tool, sj::error_code e) {
    return system_error(std::string("cannot parse ") + tool + " JSON output: " + sj::error_message(e));
}

// What `got` holds, or an error: "<tool> JSON <wrong_type>" when LVM printed another JSON
// type there, else the parser's own.
template <typename T, typename Source>
Result<T> expect(Source &&got, const char *tool, const char *wrong_type) {
    T out;
    if (auto e = std::forward<Source>(got).get(out)) {
        if (e == sj::INCORRECT_TYPE) return system_error(std::string(tool) + " JSON " + wrong_type);
        return parse_failure(tool, e);
    }
    return out;
}

// A NUL inside a JSON string (written \u0000) would cut every name we hand to C APIs.
bool holds_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Result<Row> read_row(sj::ondemand::object object, const char *tool) {
    Row row;
    for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return parse_failure(tool, e);
        sj::ondemand::value value;
        if (auto e = field.value().get(value)) return parse_failure(tool, e);
        sj::ondemand::json_type type{};
        if (auto e = value.type().get(type)) return parse_failure(tool, e);
        if (type != sj::ondemand::json_type::string) {
            row.add(key, std::nullopt);   // skipped by the iterator when the loop moves on
            continue;
        }
        std::string_view text;
        if (auto e = value.get_string().get(text)) return parse_failure(tool, e);
        if (holds_nul(key) || holds_nul(text)) return system_error(std::string(tool) + " JSON output holds a NUL character");
        row.add(key, text);
    }
    return row;
}

// Visits every row of report[*].<section>[*] in one pass over the text (simdjson's
// on-demand parser: no tree is built, which json-glib's was, at 10,000 volumes most of a
// vol-list's time). Any structural surprise fails, so a changed LVM output format is a
// clear error rather than silently empty data.
Status for_each_row(std::string_view json, const char *section, const char *tool,
                    const std::function<Status(const Row &)> &visit) {
    const sj::padded_string text(json.data(), json.size());
    sj::ondemand::parser parser;
    sj::ondemand::document doc;
    if (auto e = parser.iterate(text).get(doc)) return parse_failure(tool, e);
    ILVM_ASSIGN_OR_RETURN(auto top, expect<sj::ondemand::object>(doc.get_object(), tool, "output has no top-level object"));
    bool saw_report = false;
    for (auto member : top) {
        std::string_view key;
        if (auto e = member.unescaped_key().get(key)) return parse_failure(tool, e);
        if (key != "report") continue;
        saw_report = true;
        ILVM_ASSIGN_OR_RETURN(auto reports,
                              expect<sj::ondemand::array>(member.value().get_array(), tool, "\"report\" is not an array"));
        for (auto report : reports) {
            sj::ondemand::value rep;
            if (auto e = report.get(rep)) return parse_failure(tool, e);
            sj::ondemand::json_type type{};
            if (auto e = rep.type().get(type)) return parse_failure(tool, e);
            if (type != sj::ondemand::json_type::object) continue;
            sj::ondemand::object sections;
            if (auto e = rep.get_object().get(sections)) return parse_failure(tool, e);
            for (auto part : sections) {
                std::string_view name;
                if (auto e = part.unescaped_key().get(name)) return parse_failure(tool, e);
                if (name != section) continue;
                ILVM_ASSIGN_OR_RETURN(auto rows, expect<sj::ondemand::array>(part.value().get_array(), tool, "section is not an array"));
                for (auto element : rows) {
                    ILVM_ASSIGN_OR_RETURN(auto object, expect<sj::ondemand::object>(element.get_object(), tool, "row is not an object"));
                    ILVM_ASSIGN_OR_RETURN(Row row, read_row(object, tool));
                    ILVM_TRY(visit(row));
                }
            }
        }
    }
    // What follows the top-level object (the parser stops reading where it ends).
    if (doc.current_location().error() != sj::OUT_OF_BOUNDS)
        return system_error(std::string(tool) + " JSON output continues after its top-level object");
    if (!saw_report) return system_error(std::string(tool) + " JSON output has no \"report\" member");
    return {};
}

Result<uint64_t> num(const Row &o, const char *key, const char *tool) {
    std::string s = o.str(key);
    // LVM prints sizes as "10737418240" with --nosuffix --units b; tolerate a stray "B".
    if (!s.empty() && (s.back() == 'B' || s.back() == 'b')) s.pop_back();
    auto v = parse_digits(s);
    if (!v) return system_error(std::string(tool) + " reported a non-numeric " + key + ": '" + s.substr(0, 40) + "'");
    return *v;
}

bool flag(const Row &o, const char *key, bool dflt) {
    if (!o.has(key)) return dflt;
    std::string s = o.str(key);
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
    ILVM_TRY(for_each_row(json, "vg", "vgs", [&](const Row &o) -> Status {
        VgReport r;
        r.name = o.str("vg_name");
        r.uuid = o.str("vg_uuid");
        ILVM_ASSIGN_OR_RETURN(r.size, num(o, "vg_size", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.free, num(o, "vg_free", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.extent_size, num(o, "vg_extent_size", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.extent_count, num(o, "vg_extent_count", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.free_count, num(o, "vg_free_count", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.lv_count, num(o, "lv_count", "vgs"));
        r.lock_type = o.str("vg_lock_type");
        r.lock_args = o.str("vg_lock_args");
        if (r.name.empty()) return system_error("vgs reported a VG without a name");
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

Result<std::vector<VgMdaReport>> parse_vgs_mda_json(std::string_view json) {
    std::vector<VgMdaReport> out;
    ILVM_TRY(for_each_row(json, "vg", "vgs", [&](const Row &o) -> Status {
        VgMdaReport r;
        r.name = o.str("vg_name");
        ILVM_ASSIGN_OR_RETURN(r.mda_free, num(o, "vg_mda_free", "vgs"));
        ILVM_ASSIGN_OR_RETURN(r.mda_size, num(o, "vg_mda_size", "vgs"));
        out.push_back(std::move(r));
        return {};
    }));
    return out;
}

namespace {

// One row of an lvs report as a volume; nullopt for lvmlockd's sanlock lease LV ("lvmlock",
// shown as "[lvmlock]" with -a), which is none.
Result<std::optional<LvReport>> read_lv(const Row &o) {
    LvReport r;
    r.name = o.str("lv_name");
    if (r.name.empty()) return system_error("lvs reported an LV without a name");
    if (r.name == "lvmlock" || r.name == "[lvmlock]") return std::optional<LvReport>();
    r.uuid = o.str("lv_uuid");
    r.path = o.str("lv_path");
    ILVM_ASSIGN_OR_RETURN(r.size, num(o, "lv_size", "lvs"));
    r.active_locally = flag(o, "lv_active_locally", false);
    r.active_exclusively = flag(o, "lv_active_exclusively", false);
    r.device_open = flag(o, "lv_device_open", false);
    r.skip_activation = flag(o, "lv_skip_activation", false);
    r.autoactivation = flag(o, "lv_autoactivation", true);
    r.lock_args = o.str("lv_lockargs");
    // split() returns views into its argument: the string must outlive the loop (a
    // temporary here dangled once the tags outgrew the small-string buffer).
    const std::string tags = o.str("lv_tags");
    for (std::string_view tag : split(tags, ','))
        if (!tag.empty()) r.tags.emplace_back(tag);
    return std::optional<LvReport>(std::move(r));
}

}  // namespace

Result<std::vector<LvReport>> parse_lvs_json(std::string_view json) {
    std::vector<LvReport> out;
    ILVM_TRY(for_each_row(json, "lv", "lvs", [&](const Row &o) -> Status {
        ILVM_ASSIGN_OR_RETURN(auto lv, read_lv(o));
        if (lv) out.push_back(std::move(*lv));
        return {};
    }));
    return out;
}

Result<LvsWithSpace> parse_lvs_with_space_json(std::string_view json) {
    LvsWithSpace out;
    ILVM_TRY(for_each_row(json, "lv", "lvs", [&](const Row &o) -> Status {
        if (!out.space) {
            VgSpace space;
            ILVM_ASSIGN_OR_RETURN(space.free, num(o, "vg_free", "lvs"));
            ILVM_ASSIGN_OR_RETURN(space.extent_size, num(o, "vg_extent_size", "lvs"));
            out.space = space;
        }
        ILVM_ASSIGN_OR_RETURN(auto lv, read_lv(o));
        if (lv) out.lvs.push_back(std::move(*lv));
        return {};
    }));
    return out;
}

Result<std::vector<PvReport>> parse_pvs_json(std::string_view json) {
    std::vector<PvReport> out;
    ILVM_TRY(for_each_row(json, "pv", "pvs", [&](const Row &o) -> Status {
        PvReport r;
        r.pv_name = o.str("pv_name");
        r.pv_uuid = o.str("pv_uuid");
        r.vg_name = o.str("vg_name");
        r.vg_uuid = o.str("vg_uuid");
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
