// SPDX-License-Identifier: LGPL-2.1-or-later
// The module's side of the fence_pool callback's answer (plugin/include/iscsi-lvm/backend.h;
// the host's side is host/core/fencing_wire):
//
//   <fencing pool='san' vg='vg_san'>
//     <device name='vg_san-web1' volume='web1' open='1' result='wiped'/>
//     <device name='vg_san-db1' volume='db1' open='1' result='failed' error='…'/>
//   </fencing>
#pragma once

#include <string>

#include "backend/fencing.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

std::string format_fencing_xml(const PoolDef &pool, const FenceResult &result);

}  // namespace ilvm
