// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/volume_tags.hpp"

#include <algorithm>
#include <string_view>

#include "common/numbers.hpp"

namespace ilvm::lvm {

std::vector<std::string> image_tags(VolFormat format, uint64_t capacity) {
    if (format == VolFormat::raw) return {};
    return {kQcow2Tag, capacity_tag(capacity)};
}

std::string capacity_tag(uint64_t capacity) { return kCapacityTagPrefix + std::to_string(capacity); }

Result<ImageInfo> image_of(const LvReport &lv) {
    if (std::find(lv.tags.begin(), lv.tags.end(), kQcow2Tag) == lv.tags.end()) return ImageInfo{VolFormat::raw, lv.size};
    const std::string_view prefix = kCapacityTagPrefix;
    std::optional<uint64_t> capacity;
    int seen = 0;
    for (std::string_view tag : lv.tags) {
        if (tag.substr(0, prefix.size()) != prefix) continue;
        ++seen;
        capacity = parse_digits(tag.substr(prefix.size()));
    }
    if (seen != 1 || !capacity || *capacity == 0)
        return system_error("volume '" + lv.name + "' is tagged " + kQcow2Tag + " but has " +
                                (seen == 0 ? std::string("no") : seen == 1 ? "a malformed" : "more than one") + " " +
                                kCapacityTagPrefix + "<bytes> tag",
                            "qemu-img info /dev/<vg>/" + lv.name + " (active) shows its virtual size; set the tag with "
                            "lvchange --addtag " + kCapacityTagPrefix + "<bytes>");
    return ImageInfo{VolFormat::qcow2, *capacity};
}

}  // namespace ilvm::lvm
