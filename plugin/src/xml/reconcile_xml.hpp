// SPDX-License-Identifier: LGPL-2.1-or-later
// The module's side of the reconciler's XML across the ABI (reconcile_pool callback; the
// host's side is host/reconcile/reconcile_wire):
//
//   input   <reconcile>
//             <in-use volume='vm1'/>     used by a running domain on this host
//             <settled volume='vm3'/>    seen idle for the grace period already
//             <busy volume='vm4'/>       an ilvm command or the hook here works on it
//             <held volume='vm5'/>       held active by ilvm vol-activate --hold
//           </reconcile>
//   result  <reconcile pool='san'>
//             <step volume='vm3' action='deactivate' result='done' reason='…' [error='…']/>
//           </reconcile>
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/diagnosis.hpp"
#include "backend/reconcile_plan.hpp"
#include "common/result.hpp"

namespace ilvm {

// Untrusted input: volume names are validated; an empty string means "nothing in use,
// nothing settled".
Result<ReconcileInput> parse_reconcile_input_xml(std::string_view xml);

std::string format_reconcile_result_xml(const std::string &pool, const std::vector<ReconcileStep> &steps);

// diagnose_pool's result (its input is reconcile's):
//   <diagnosis pool='san'>
//     <finding check='stale lock' severity='fail' volume='vm1' what='…' fix='…' [applied='done|failed' error='…']/>
//   </diagnosis>
std::string format_diagnosis_xml(const std::string &pool, const std::vector<Finding> &findings);

}  // namespace ilvm
