// SPDX-License-Identifier: LGPL-2.1-or-later
// A volume named the way host programs name it: pool and volume (LV) name.
#pragma once

#include <compare>
#include <string>

namespace ilvm::host {

struct VolumeRef {
    std::string pool;
    std::string volume;
    std::string display() const { return pool + "/" + volume; }
    auto operator<=>(const VolumeRef &) const = default;
};

}  // namespace ilvm::host
