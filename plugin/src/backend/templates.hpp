// SPDX-License-Identifier: LGPL-2.1-or-later
// The refusal every write path gives a template of linked clones (lvm/template_tags.hpp):
// exclusive activation, resize, wipe, upload, snapshots. Checked on the tag alone, before
// any command that changes anything: a template left writable (its permission changed back
// by hand) is refused all the same, since its clones' images hold only what differs from it.
#pragma once

#include "common/result.hpp"
#include "lvm/lvm_report.hpp"
#include "model/pool_def.hpp"

#include <string>
#include <vector>

namespace ilvm {

// ok unless `lv` is a template; else invalid_input saying that `verb` would write it, with
// the two ways on: a linked clone, or a full (writable) copy.
Status refuse_template(const PoolDef &pool, const lvm::LvReport &lv, const char *verb);

// ok unless a volume in `lvs` is a linked clone of template `name`; else a conflict naming
// every clone (a template is deleted only without clones).
Status refuse_delete_of_template(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &name);

}  // namespace ilvm
