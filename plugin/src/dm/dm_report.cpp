// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dm/dm_report.hpp"

#include "common/dm_name.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::dm {
namespace {

// dmsetup's _process_all() (lvm2 2.03.16 libdm/dm-tools/dmsetup.c) prints this on stdout
// when the kernel lists no device at all.
constexpr std::string_view kNoDevices = "No devices found";
constexpr std::string_view kLvmUuidPrefix = "LVM-";

}  // namespace

Result<std::vector<DmDevice>> parse_dm_info(std::string_view out) {
    std::vector<DmDevice> devices;
    for (const std::string &line : nonblank_lines(out)) {
        if (line == kNoDevices) continue;
        const size_t first = line.find(':'), last = line.rfind(':');
        const auto open = last == std::string::npos ? std::nullopt : parse_digits(std::string_view(line).substr(last + 1));
        if (first == last || !open || *open > UINT32_MAX)
            return system_error("dmsetup info printed a line that is not NAME:UUID:OPEN: '" + line + "'",
                                "run dmsetup info -c --noheadings --separator : -o name,uuid,open by hand");
        devices.push_back({line.substr(0, first), line.substr(first + 1, last - first - 1), static_cast<uint32_t>(*open)});
    }
    return devices;
}

std::optional<std::string> lv_of(const DmDevice &d, std::string_view vg) {
    if (d.uuid.rfind(kLvmUuidPrefix, 0) != 0 || d.uuid.find(':') != std::string::npos) return std::nullopt;
    std::string dev_vg, lv;
    if (!split_dm_name(d.name, dev_vg, lv) || dev_vg != vg) return std::nullopt;
    return lv;
}

}  // namespace ilvm::dm
