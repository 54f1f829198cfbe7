// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's side of the fence_pool callback's answer (plugin/include/iscsi-lvm/backend.h;
// the module's side is plugin/src/xml/fencing_xml): which devices of the pool's VG now fail
// every I/O, and which could not be switched. A unit test reads what the module writes, so
// the two sides cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct FencedDeviceView {
    std::string name;     // dm name
    std::string volume;   // the LV
    uint32_t open_count = 0;
    bool wiped = false;
    std::string error;    // when not wiped
};

// <fencing pool='P' vg='VG'><device name='…' volume='…' open='N' result='wiped|failed' [error='…']/>…
Result<std::vector<FencedDeviceView>> parse_fencing(const std::string &xml);

}  // namespace ilvm::host
