// SPDX-License-Identifier: LGPL-2.1-or-later
// Which lvm2 release this host runs (`lvm version`): the backend asks only where one release's
// bug changes what it must do (backend/vg_removal.cpp).
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "common/command.hpp"

namespace ilvm::lvm {

struct LvmVersion {
    int major = 0;
    int minor = 0;
    int patch = 0;
    auto operator<=>(const LvmVersion &) const = default;
    std::string text() const;   // "2.03.31"
};

Command lvm_version();

// The tools' version from `lvm version`'s "  LVM version:     2.03.31(2) (2025-02-27)" line
// (lvm2 tools/version.c; the lab's outputs of Debian 12 and 13 in tests/data/lvm/); nullopt
// when there is no such line.
std::optional<LvmVersion> parse_lvm_version(std::string_view out);

// lvm2 2.03.31 and 2.03.32 (Debian 13 ships 2.03.31): lvmlockd's vgremove of a sanlock VG
// never ends. Commit e9640e517 moved the sanlock resource inside lvmlockd's struct
// rd_sanlock, and release_rename() — the unlock of the VG and global locks with a new name,
// which only vgremove and a lock-type change use — went on copying the struct's start, so
// sanlock_release() fails and lvmlockd keeps the VG lease; the lockspace removal that
// follows then waits for lvmlockd to drop it, and sanlock SIGTERMs lvmlockd (which ignores
// it while a lockspace is up) for ever. Fixed by 88910c200 in 2.03.33. Seen in the lab's
// first Debian 13 run: `vgremove vg_san` killed after 300 s, sanlock "s2 kill 280 sig 15
// count 81", lvmlockd "OP free pid 1081 (vgremove)". Incus hit the same (lxc/incus#3342).
bool lvmlockd_vgremove_hangs(const LvmVersion &v);

}  // namespace ilvm::lvm
