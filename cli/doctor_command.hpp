// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm doctor [POOL] [--json] [--fix]`: a diagnosis of this host for the troubles shared
// lvmlockd pools run into (a stale "LV locked by other host" after a reboot, a lockspace
// not started, the global lock lost with its VG), one line per finding with its fix.
// Per started pool (or only POOL): the backend's diagnose_pool (host/reconcile/
// diagnose_pass.hpp); for the host: the iscsi-lvm units and lvmlocal.conf's host_id
// (cli/hostprep). Read-only; --fix runs only `lvchange -an VG/LV` for stale LV locks of
// volumes no domain here uses. Exit 0 when no finding fails, 5 (system) when one does.
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/ui/output.hpp"
#include "host/reconcile/reconcile_wire.hpp"

namespace ilvm::cli {

// "ok   san: lockspace: …", "ok   host: lvm host_id", "WARN san/vm3: idle volume: … (fix: …)",
// "FAIL san/vm1: stale lock: … (fix: lvchange -an vg_san/vm1)"; the pool "" is the host.
std::string format_finding(const host::FindingView &f);
// {"findings": [{"pool", "check", "severity", "volume"?, "what", "fix"?, "applied"?, "error"?}…],
//  "ok": N, "warn": N, "fail": N}
JsonValue findings_to_json(const std::vector<host::FindingView> &findings);
// A finding that still fails (a fix that ran and succeeded clears it).
bool still_fails(const host::FindingView &f);

Status doctor(Context &ctx, const Args &args);

}  // namespace ilvm::cli
