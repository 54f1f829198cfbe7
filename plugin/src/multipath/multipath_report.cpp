// SPDX-License-Identifier: LGPL-2.1-or-later
#include "multipath/multipath_report.hpp"

#include <algorithm>
#include <functional>
#include <utility>

#include <simdjson.h>

#include "common/strings.hpp"
#include "multipath/multipath_argv.hpp"

namespace ilvm::multipath {
namespace {

namespace sj = simdjson;

constexpr const char *kTool = "multipathd show maps json";
constexpr const char *kHint = "multipath-tools 0.9 prints this format (libmultipath/print.c); "
                              "compare with `multipathd show maps json` on this host";

Error json_failure(sj::error_code e) {
    return system_error(std::string("cannot parse ") + kTool + " output: " + sj::error_message(e), kHint);
}

// What `got` holds, or an error: "<where> is not <expected>" for another JSON type.
template <typename T, typename Source>
Result<T> expect(Source &&got, const std::string &where, const char *expected) {
    T out;
    if (auto e = std::forward<Source>(got).get(out)) {
        if (e == sj::INCORRECT_TYPE) return system_error(std::string(kTool) + ": " + where + " is not " + expected, kHint);
        return json_failure(e);
    }
    return out;
}

// One member of an object we read: a string, a whole number, or an array whose elements
// `element` reads. Members not listed are skipped (a later multipath-tools may add some).
struct Member {
    std::string_view key;
    std::string *text = nullptr;
    uint64_t *number = nullptr;
    std::function<Status(sj::ondemand::value, size_t)> element;   // the element and its index
    bool found = false;
};

Member text(std::string_view key, std::string *out) { return Member{key, out, nullptr, {}}; }
Member number(std::string_view key, uint64_t *out) { return Member{key, nullptr, out, {}}; }
Member array(std::string_view key, std::function<Status(sj::ondemand::value, size_t)> element) {
    return Member{key, nullptr, nullptr, std::move(element)};
}

Status read_value(sj::ondemand::value v, const std::string &where, Member &m) {
    if (m.text) {
        ILVM_ASSIGN_OR_RETURN(std::string_view t, expect<std::string_view>(v.get_string(), where, "a string"));
        // A NUL (written \u0000) would cut every name we hand to C APIs.
        if (t.find('\0') != std::string_view::npos)
            return system_error(std::string(kTool) + ": " + where + " holds a NUL character", kHint);
        *m.text = std::string(t);
    } else if (m.number) {
        ILVM_ASSIGN_OR_RETURN(*m.number, expect<uint64_t>(v.get_uint64(), where, "a whole number"));
    } else {
        ILVM_ASSIGN_OR_RETURN(auto elements, expect<sj::ondemand::array>(v.get_array(), where, "an array"));
        size_t i = 0;
        for (auto element : elements) {
            sj::ondemand::value ev;
            if (auto e = element.get(ev)) return json_failure(e);
            ILVM_TRY(m.element(ev, i++));
        }
    }
    return {};
}

// Reads the members of `object` (`what` names it in errors); every member listed is required.
Status read_members(sj::ondemand::object object, const std::string &what, std::vector<Member> &members) {
    for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return json_failure(e);
        auto m = std::find_if(members.begin(), members.end(), [&](const Member &x) { return x.key == key; });
        if (m == members.end()) continue;   // skipped by the iterator when the loop moves on
        m->found = true;
        sj::ondemand::value v;
        if (auto e = field.value().get(v)) return json_failure(e);
        ILVM_TRY(read_value(v, what + "'s \"" + std::string(m->key) + "\"", *m));
    }
    for (const auto &m : members)
        if (!m.found) return system_error(std::string(kTool) + ": " + what + " has no \"" + std::string(m.key) + "\"", kHint);
    return {};
}

Status read_object(sj::ondemand::value v, const std::string &what, std::vector<Member> members) {
    ILVM_ASSIGN_OR_RETURN(auto object, expect<sj::ondemand::object>(v.get_object(), what, "an object"));
    return read_members(object, what, members);
}

Status read_path(sj::ondemand::value v, const std::string &what, uint32_t group, std::vector<MultipathPath> &out) {
    MultipathPath p;
    p.group = group;
    ILVM_TRY(read_object(v, what,
                         {text("dev", &p.dev), text("dev_t", &p.dev_t), text("dm_st", &p.dm_st),
                          text("dev_st", &p.dev_st), text("chk_st", &p.chk_st)}));
    out.push_back(std::move(p));
    return {};
}

Status read_map(sj::ondemand::value v, const std::string &what, std::vector<MultipathMap> &out) {
    MultipathMap map;
    uint64_t active = 0;
    // A group's number is its place in the list (print.c prints i + 1 as "group").
    auto group = [&](sj::ondemand::value g, size_t gi) {
        const std::string gwhat = what + "'s path group " + std::to_string(gi + 1);
        return read_object(g, gwhat, {array("paths", [&](sj::ondemand::value p, size_t pi) {
                                          return read_path(p, gwhat + "'s path " + std::to_string(pi + 1),
                                                           uint32_t(gi + 1), map.paths);
                                      })});
    };
    ILVM_TRY(read_object(v, what,
                         {text("name", &map.name), text("uuid", &map.uuid), text("dm_st", &map.dm_st),
                          text("queueing", &map.queueing), number("paths", &active), array("path_groups", group)}));
    if (active > UINT32_MAX) return system_error(std::string(kTool) + ": " + what + "'s \"paths\" is out of range", kHint);
    map.active_paths = uint32_t(active);
    out.push_back(std::move(map));
    return {};
}

}  // namespace

Result<std::string> wwid_from_udev_properties(std::string_view out, std::string_view dev) {
    static constexpr std::string_view kKey = "ID_SERIAL=";
    for (auto line : split_lines(out)) {
        line = trim(line);
        if (line.substr(0, kKey.size()) != kKey) continue;
        const std::string wwid(trim(line.substr(kKey.size())));
        if (wwid.empty()) break;
        if (Status st = validate_wwid(wwid); !st.ok()) {
            Error e = st.take_error();
            e.message = "udev's ID_SERIAL of /dev/" + std::string(dev) + ": " + e.message;
            return e;
        }
        return wwid;
    }
    const std::string shown = "/dev/" + std::string(dev);
    return not_found("the LUN has no WWID: udev reports no ID_SERIAL for " + shown,
                     "multipath names a LUN's map by its WWID: check that the target gives the LUN a device "
                     "identifier (SCSI VPD page 0x83 or a unit serial number) and that udev has seen the disk "
                     "(udevadm trigger --settle " + shown + "; udevadm info --query=property --name=" + shown + ")");
}

bool path_usable(const MultipathPath &p) {
    return p.dm_st == "active" && (p.chk_st == "ready" || p.chk_st == "ghost");
}

Result<std::vector<MultipathMap>> parse_multipath_maps(std::string_view json) {
    const sj::padded_string padded(json.data(), json.size());
    sj::ondemand::parser parser;
    sj::ondemand::document doc;
    if (auto e = parser.iterate(padded).get(doc)) return json_failure(e);
    ILVM_ASSIGN_OR_RETURN(auto top, expect<sj::ondemand::object>(doc.get_object(), "the output", "an object"));
    std::vector<MultipathMap> maps;
    uint64_t major = 0;
    std::vector<Member> members{number("major_version", &major),
                                array("maps", [&](sj::ondemand::value m, size_t i) {
                                    return read_map(m, "map " + std::to_string(i + 1), maps);
                                })};
    ILVM_TRY(read_members(top, "the output", members));
    // What follows the top-level object (the parser stops reading where it ends).
    if (doc.current_location().error() != sj::OUT_OF_BOUNDS)
        return system_error(std::string(kTool) + " output continues after its top-level object", kHint);
    // print.c's PRINT_JSON_MAJOR_VERSION: a new major version is a format we do not know.
    if (major != 0)
        return system_error(std::string(kTool) + " output is of major_version " + std::to_string(major) +
                                ", this build reads 0",
                            "iscsi-lvm reads multipath-tools 0.9's format; report the multipath-tools version");
    return maps;
}

const MultipathMap *find_map(const std::vector<MultipathMap> &maps, std::string_view wwid) {
    for (const auto &m : maps)
        if (m.name == wwid) return &m;
    return nullptr;
}

}  // namespace ilvm::multipath
