// SPDX-License-Identifier: LGPL-2.1-or-later
// Templates of linked clones (issue 18): a volume that linked clones read through their
// qcow2 backing. Its first linked clone makes it one for good, under its exclusive lock, in
// one `lvchange --permission r --addtag ilvm_template` (one metadata commit: lvm2 2.03.16
// tools/lvchange.c _option_allows_group_commit). The tag, not the permission, is what every
// write path checks: a template made writable again by hand (`lvchange --permission rw`) is
// still refused, since its clones' images hold only what differs from it.
//
// A clone is any LV tagged ilvm_backing:<template> (lvm/snapshot_tags.hpp), so one `lvs` of
// the VG says which clones read a template on every host.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "lvm/lvm_report.hpp"

namespace ilvm::lvm {

inline constexpr const char *kTemplateTag = "ilvm_template";

// Tagged ilvm_template: read-only for good.
bool is_template(const LvReport &lv);
// The LVs of `lvs` whose image is backed by `name` (its linked clones when it is a
// template), in the listing's order.
std::vector<std::string> clones_of(const std::vector<LvReport> &lvs, const std::string &name);
// The LVs some volume active on this host reads through its backing chain (its snapshot
// layers, its template): the reconciler and doctor keep them while that volume is active.
std::set<std::string> read_by_active_chains(const std::vector<LvReport> &lvs);

}  // namespace ilvm::lvm
