// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm host-validate`: checks that this host can safely share a pool's LUN, one line per
// check, "ok   <check>" or "FAIL <check>: <what is wrong> (fix: <one-line fix>)".
// It changes nothing. Files are read under the host root (host_root.hpp); the daemons'
// view (systemctl, lvmconfig's merged configuration, sanlock) comes from commands.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/hostprep/host_root.hpp"
#include "cli/ui/output.hpp"
#include "common/result.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

struct HostCheck {
    std::string name;       // "kernel module dm_mod", "daemon sanlock", "host_id unique", ...
    bool ok = true;
    std::string problem;    // when failed: what is wrong
    std::string fix;        // when failed: one line that fixes it
    std::string note = {};  // when passed: what it found, where that is worth saying (informational)
    // Passed, but with a problem worth fixing (`problem`, `fix`): printed "WARN", not counted as failed.
    bool warn = false;
};

// Every check, in a fixed order; `hook_dir` is libvirt's qemu hook directory (a host path).
std::vector<HostCheck> validate_host(System &sys, const HostRoot &root, const std::string &hook_dir);

// `ilvm doctor`'s host checks: iscsi-lvm.service, iscsi-lvm-reconcile.timer,
// iscsi-lvm-mirror.service and ilvmd.service enabled and active, lvmlocal.conf's host_id ("lvm host_id",
// as validate_host checks it), and lvmlockd's stop guard and pid file (lvmlockd_guard.hpp).
std::vector<HostCheck> service_checks(System &sys, const HostRoot &root);

// "ok   <name>", "ok   <name>: <note>", "WARN <name>: <problem> (fix: <fix>)" or
// "FAIL <name>: <problem> (fix: <fix>)"
std::string format_check(const HostCheck &check);
// [{"check": "...", "ok": true[, "note": "..."]}, {"check": "...", "ok": true, "warn": true, "problem": "...",
//  "fix": "..."}, {"check": "...", "ok": false, "problem": "...", "fix": "..."}]
JsonValue checks_to_json(const std::vector<HostCheck> &checks);

// Prints the checks (lines, or JSON with `json`); a system-class error when any failed.
Status host_validate_run(System &sys, const HostRoot &root, const std::string &hook_dir, bool json,
                         std::ostream &out);

}  // namespace ilvm::cli
