// SPDX-License-Identifier: LGPL-2.1-or-later
// Byte sizes as virsh and libvirt XML spell them (libvirt's virScaleInteger): a number with
// an optional unit in any case (b/byte/bytes; KB/MB/GB/TB/PB/EB powers of 1000; k/KiB,
// M/MiB, G/GiB, T/TiB, P/PiB, E/EiB powers of 1024: "20g" = "20GiB"). Overflow is an
// error, never a wrap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm {

// "10G", "512MiB", "1048576". `default_unit` applies when the text has no suffix.
Result<uint64_t> parse_size(std::string_view text, std::string_view default_unit = "b");
// Multiplier for a unit name, or an error naming the unit.
Result<uint64_t> unit_multiplier(std::string_view unit);
// Value * unit with overflow detection.
Result<uint64_t> scale_size(uint64_t value, std::string_view unit);
// Rounds up to a multiple of `extent` (extent > 0); error on overflow.
Result<uint64_t> round_up_to_extent(uint64_t bytes, uint64_t extent);
// "10.00 GiB" style for humans.
std::string human_size(uint64_t bytes);

}  // namespace ilvm
