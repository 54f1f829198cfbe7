// SPDX-License-Identifier: LGPL-2.1-or-later
// The LVM tags that describe a volume's snapshot chain (issue 18), so that one `lvs` of the
// VG gives every chain on every host without opening an image:
//
//   ilvm_layer_of:<volume>     the LV is a read-only layer of <volume>'s chain (a snapshot)
//   ilvm_snapshot:<name>       that layer's snapshot name
//   ilvm_created:<unix>        when the snapshot was taken (seconds since the epoch)
//   ilvm_description:<text>    the snapshot's description, encoded (encode_description)
//   ilvm_backing:<lv>          on a layer or a volume's top: the LV its image is backed by
//
// A layer keeps its image's tags (ilvm_qcow2, ilvm_capacity_<bytes>: lvm/volume_tags.hpp).
// A layer's LV is named snap_<volume>_<name> (layer_lv_name); the name is only for people
// and for the qcow2 backing reference: the tags say whose layer it is. LVM allows
// [A-Za-z0-9_+.-/=!:&#] in tags (lvm2 2.03.16 lib/misc/lvm-string.c validate_tag, no length
// limit); volume and snapshot names use [A-Za-z0-9+_.-], so every tag here is valid as is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "lvm/lvm_report.hpp"

namespace ilvm::lvm {

inline constexpr const char *kLayerOfTagPrefix = "ilvm_layer_of:";
inline constexpr const char *kSnapshotTagPrefix = "ilvm_snapshot:";
inline constexpr const char *kCreatedTagPrefix = "ilvm_created:";
inline constexpr const char *kDescriptionTagPrefix = "ilvm_description:";
inline constexpr const char *kBackingTagPrefix = "ilvm_backing:";
// The longest description kept (before encoding).
inline constexpr size_t kMaxDescription = 256;

// The value of the one tag of `lv` that starts with `prefix`, if it has one.
std::optional<std::string> tag_value(const LvReport &lv, std::string_view prefix);

// A layer (a snapshot) of some volume's chain, not a volume of its own: left out of vol-list,
// pool-refresh, the mirror pool, the reconciler and thin growth.
bool is_layer(const LvReport &lv);
// `lvs` without the layers: the pool's volumes (refresh_pool, inspect_pool).
std::vector<LvReport> volumes_only(std::vector<LvReport> lvs);
// The volume whose layer `lv` is (nullopt: not a layer).
std::optional<std::string> layer_of(const LvReport &lv);
// The LV `lv`'s image is backed by (nullopt: none, a standalone image).
std::optional<std::string> backing_of(const LvReport &lv);

// snap_<volume>_<snapshot>: the layer's LV name.
std::string layer_lv_name(const std::string &volume, const std::string &snapshot);
// A snapshot name: [A-Za-z0-9+_.-], not starting with '-', at most 64 characters; the layer's
// LV name it makes must be a valid LV name (common/names.hpp) that lvrename takes (at most
// 125 - strlen(vg) characters) and whose device-mapper name <vg>-<lv> ('-' doubled) fits in
// 127 characters.
Status validate_snapshot_name(const std::string &vg, const std::string &volume, const std::string &snapshot);

// A snapshot's description: at most kMaxDescription bytes of one line of text.
Status validate_description(const std::string &description);
// Whether `lv` fits as an LV name of `vg` wherever a snapshot puts one: a valid LV name
// (common/names.hpp) that lvrename takes (at most 125 - strlen(vg) characters) and whose
// device-mapper name <vg>-<lv> ('-' doubled) fits in 127 characters.
bool lv_name_fits(const std::string &vg, const std::string &lv);

// The tags a volume's top gets when it becomes the layer of snapshot `name`.
std::vector<std::string> layer_tags(const std::string &volume, const std::string &name, int64_t created,
                                    const std::string &description);
std::string backing_tag(const std::string &lv);

// A description as one tag value: [A-Za-z0-9.-] kept, ' ' as '+', any other byte as "=XX"
// (upper-case hex), so any text survives LVM's tag alphabet. decode_description undoes it
// (a malformed escape is kept as it is).
std::string encode_description(std::string_view text);
std::string decode_description(std::string_view tag_value);

}  // namespace ilvm::lvm
