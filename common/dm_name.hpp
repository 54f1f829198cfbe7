// SPDX-License-Identifier: LGPL-2.1-or-later
// device-mapper's names of LVM's logical volumes: "VG-LV", every '-' inside the VG's or
// the LV's name doubled (lvm2 lib/activate/dev_manager.c, dm_build_dm_name), so that the
// single '-' separates the two. The hook reads them to match a domain's disks to volumes
// (host/core/domain_disks.hpp); the backend reads them to find a VG's devices in
// `dmsetup info` (plugin/src/dm/dm_report.hpp).
#pragma once

#include <string>
#include <string_view>

namespace ilvm {

// "vg--a-lv--1" -> ("vg-a", "lv-1"), "vg_san-web1" -> ("vg_san", "web1"); false when the
// name is not two non-empty parts joined by one single '-' ("novg", "a-b-c": a layer of an
// LV such as "vg-lv-real", or not LVM's).
bool split_dm_name(std::string_view dm_name, std::string &vg, std::string &lv);

}  // namespace ilvm
