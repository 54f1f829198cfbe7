// SPDX-License-Identifier: LGPL-2.1-or-later
// This host's LV lock modes, from lvmlockd itself. `lvs` cannot tell them: it reports
// lv_active_exclusively = "active exclusively" for a shared (-asy) activation too (measured,
// lvm2 2.03.16, with and without --nolocking). `lvmlockctl -i` asks the local lvmlockd for
// the locks it holds ("LK LV ex|sh|un <lv uuid>" under "VG <name> …"): no disk I/O, no
// sanlock round, so it is cheap enough for the activation path.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/command.hpp"

namespace ilvm::lvm {

enum class LockMode { none, shared, exclusive };

// `lvmlockctl -i`
Command lockctl_info();

// What `lvmlockctl -i` says about one VG: its lockspace is started here when lvmlockd lists
// the VG at all (a "VG <name> lock_type=…" section with its "LS" line).
struct LockctlVg {
    std::map<std::string, LockMode> lv_modes;   // LV uuid -> mode ("un" lines left out)
    bool holds_global = false;                  // an "LK GL" line: the global lock lives in this VG
};
// VG name -> its section.
std::map<std::string, LockctlVg> parse_lockctl_info(std::string_view text);

// Why an LVM command ran without lvmlockd, from its stderr, or "" when it reached it. LVM
// goes on without lvmlockd for what it may do unlocked — a deactivation, which then keeps
// the LV's lock — and says so only in a warning: "lvmlockd process is not running" (no
// /run/lvmlockd.pid, lvm2 lib/locking/lvmlockd.c) or "lvmlockd connect failed".
std::string lvmlockd_skipped(const CommandOutput &out);

// LV uuid -> mode of the locks lvmlockd holds for `vg` ("un" lines are locks it released).
std::map<std::string, LockMode> parse_lockctl_lv_modes(std::string_view text, std::string_view vg);

}  // namespace ilvm::lvm
