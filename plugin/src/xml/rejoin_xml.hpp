// SPDX-License-Identifier: LGPL-2.1-or-later
// The module's side of the rejoin_pool callback's XML (plugin/include/iscsi-lvm/backend.h;
// the host's side is host/core/rejoin_wire):
//
//   request  <rejoin>
//              <volume name='web1' take_back='yes'/>   a paused domain here uses it
//              <volume name='db1' take_back='no'/>
//            </rejoin>
//   answer   <rejoin pool='san' vg='vg_san' lockspace='started|joined'>
//              <volume name='web1' result='taken-back' detail='…'/>
//              <volume name='db1' result='in-use|released|failed' [holder_id='2']
//                      [holder_name='kvm-b'] [detail='…']/>
//            </rejoin>
#pragma once

#include <string>
#include <string_view>

#include "backend/rejoin.hpp"
#include "common/result.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

// Untrusted input: volume names are validated, each may be named once, take_back is yes or
// no (absent: no). An empty string is a request without volumes (the lockspace alone).
Result<RejoinRequest> parse_rejoin_request_xml(std::string_view xml);

// "taken-back", "released", "in-use", "failed"
const char *rejoin_verdict_name(RejoinVerdict verdict);

std::string format_rejoin_xml(const PoolDef &pool, const RejoinResult &result);

}  // namespace ilvm
