// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/snapshot_tags.hpp"

#include "common/names.hpp"
#include "lvm/lvm_argv.hpp"

namespace ilvm::lvm {
namespace {

constexpr size_t kMaxSnapshotName = 64;
// device-mapper's name limit (DM_NAME_LEN 128, with its NUL).
constexpr size_t kMaxDmName = 127;

bool plain(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> tag_value(const LvReport &lv, std::string_view prefix) {
    for (std::string_view tag : lv.tags)
        if (tag.substr(0, prefix.size()) == prefix) return std::string(tag.substr(prefix.size()));
    return std::nullopt;
}

bool is_layer(const LvReport &lv) { return layer_of(lv).has_value(); }

std::vector<LvReport> volumes_only(std::vector<LvReport> lvs) {
    std::erase_if(lvs, [](const LvReport &lv) { return is_layer(lv); });
    return lvs;
}

std::optional<std::string> layer_of(const LvReport &lv) { return tag_value(lv, kLayerOfTagPrefix); }

std::optional<std::string> backing_of(const LvReport &lv) {
    auto b = tag_value(lv, kBackingTagPrefix);
    if (b && b->empty()) return std::nullopt;
    return b;
}

std::string layer_lv_name(const std::string &volume, const std::string &snapshot) {
    return "snap_" + volume + "_" + snapshot;
}

Status validate_snapshot_name(const std::string &vg, const std::string &volume, const std::string &snapshot) {
    if (snapshot.empty()) return invalid_input("the snapshot name is empty");
    if (snapshot.size() > kMaxSnapshotName)
        return invalid_input("snapshot name '" + snapshot.substr(0, kMaxSnapshotName) + "…' is longer than " +
                             std::to_string(kMaxSnapshotName) + " characters");
    for (char c : snapshot)
        if (!plain(c) && c != '_' && c != '+')
            return invalid_input("snapshot name '" + snapshot + "' may only contain letters, digits and + _ . -");
    if (snapshot.front() == '-') return invalid_input("snapshot name '" + snapshot + "' must not start with '-'");
    const std::string layer = layer_lv_name(volume, snapshot);
    if (auto s = validate_lv_name(layer); !s.ok())
        return invalid_input("snapshot name '" + snapshot + "' makes an LV name LVM refuses: " + s.error().message);
    // lvrename refuses a new name longer than NAME_LEN (128) - strlen(vg) - 3 (lvm2 2.03.16
    // tools/lvrename.c), and device-mapper a <vg>-<lv> name ('-' doubled) over 127.
    if (!lv_name_fits(vg, layer))
        return invalid_input("snapshot name '" + snapshot + "' is too long for volume '" + volume + "' in volume group " + vg,
                             "its layer's LV name snap_" + volume + "_<snapshot> must fit in " +
                                 std::to_string(125 - vg.size()) + " characters (lvrename) and its device-mapper name " +
                                 vg + "-<layer> ('-' doubled) in 127");
    return {};
}

bool lv_name_fits(const std::string &vg, const std::string &lv) {
    return validate_lv_name(lv).ok() && lv.size() + vg.size() + 3 <= 128 &&
           dm_path(vg, lv).size() - std::string("/dev/mapper/").size() <= kMaxDmName;
}

Status validate_description(const std::string &description) {
    if (description.size() > kMaxDescription)
        return invalid_input("the snapshot's description is longer than " + std::to_string(kMaxDescription) + " bytes");
    for (unsigned char c : description)
        if (c < 0x20 || c == 0x7f) return invalid_input("the snapshot's description holds a control character", "give one line of text");
    return {};
}

std::vector<std::string> layer_tags(const std::string &volume, const std::string &name, int64_t created,
                                    const std::string &description) {
    std::vector<std::string> tags{kLayerOfTagPrefix + volume, kSnapshotTagPrefix + name,
                                  kCreatedTagPrefix + std::to_string(created)};
    if (!description.empty()) tags.push_back(kDescriptionTagPrefix + encode_description(description));
    return tags;
}

std::string backing_tag(const std::string &lv) { return kBackingTagPrefix + lv; }

std::string encode_description(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (plain(static_cast<char>(c))) {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '=';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string decode_description(std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+') {
            out += ' ';
        } else if (v[i] == '=' && i + 2 < v.size() && hex_digit(v[i + 1]) >= 0 && hex_digit(v[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2]));
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

}  // namespace ilvm::lvm
