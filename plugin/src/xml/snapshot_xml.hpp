// SPDX-License-Identifier: LGPL-2.1-or-later
// The module's side of the snapshot_vol callback's answer (plugin/include/iscsi-lvm/backend.h;
// the host's side is host/core/snapshot_wire), a volume's snapshot chain:
//
//   <snapshots pool='san' volume='web1' capacity='B' allocation='B' [backing='s2']>
//     <snapshot name='s1' lv='snap_web1_s1' capacity='B' allocation='B' current='yes'
//               [created='UNIX'] [backing='s0'] [description='…']/>
//   </snapshots>
//
// allocation: the LV's size; backing: the snapshot the image (the volume's top, or a layer)
// reads through; current: the volume's top reads through this snapshot (after a revert the
// newer ones are no longer current).
#pragma once

#include <string>

#include "backend/snapshot_chain.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

std::string format_snapshots_xml(const PoolDef &pool, const VolumeChain &chain);

// The answer to a running domain's snapshot's first step (ILVM_SNAPSHOT_LIVE_BEGIN): the new
// top `top` of `volume` that libvirt is to switch the domain's disk to:
//   <live-snapshot pool='san' volume='web1' snapshot='s1' top='web1.s1' path='/dev/vg_san/web1.s1'/>
std::string format_live_snapshot_xml(const PoolDef &pool, const std::string &volume, const std::string &snapshot,
                                     const std::string &top);

}  // namespace ilvm
