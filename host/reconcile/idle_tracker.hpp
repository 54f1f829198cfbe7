// SPDX-License-Identifier: LGPL-2.1-or-later
// The reconciler's memory between passes: since when each volume has been seen idle
// (active on this host, not open, used by no running domain). A volume is deactivated only
// once it has stayed idle for a grace period, because the qemu hook activates a domain's
// volumes before libvirt writes the domain's status file and before qemu opens them: a
// single idle sighting may be a domain that is starting right now.
//
// Stored per pool as "<volume> <unix seconds>" lines in <run_dir>/<pool>.idle.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ilvm::host {

using IdleSince = std::map<std::string, int64_t>;

// Malformed lines are skipped (the file is ours; a damaged one only restarts the grace).
IdleSince parse_idle_since(std::string_view text);
std::string format_idle_since(const IdleSince &idle);

// Volumes idle for at least `grace_seconds` at `now`.
std::set<std::string> settled_volumes(const IdleSince &idle, int64_t now, int64_t grace_seconds);

// After a pass: volumes idle now keep their first sighting (or start one at `now`); every
// other volume (in use again, deactivated, gone) is forgotten.
IdleSince next_idle_since(const IdleSince &before, const std::vector<std::string> &idle_now, int64_t now);

}  // namespace ilvm::host
