// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's side of the reconcile_pool callback's XML (plugin/include/iscsi-lvm/backend.h;
// the module's side is plugin/src/xml/reconcile_xml): the state it is fed, and the steps it
// answers with. A unit test parses what format_reconcile_state() writes with the module's
// parser, so the two sides cannot drift apart.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

// <reconcile><in-use volume='V'/>…<settled volume='V'/>…<busy volume='V'/>…<held volume='V'/>…</reconcile>
std::string format_reconcile_state(const std::set<std::string> &in_use, const std::set<std::string> &settled,
                                   const std::set<std::string> &busy = {}, const std::set<std::string> &held = {});

struct ReconcileStepView {
    std::string pool, volume, action, result, reason, error;
};

// <reconcile pool='P'><step volume='V' action='…' result='…' reason='…' [error='…']/>…
Result<std::vector<ReconcileStepView>> parse_reconcile_steps(const std::string &pool, const std::string &xml);

// diagnose_pool's answer (`ilvm doctor`), one finding each.
struct FindingView {
    std::string pool, check, severity, volume, what, fix, applied, error;
};

// <diagnosis pool='P'><finding check='…' severity='…' [volume='V'] what='…' [fix='…'] [applied='…' error='…']/>…
Result<std::vector<FindingView>> parse_diagnosis(const std::string &pool, const std::string &xml);

}  // namespace ilvm::host
