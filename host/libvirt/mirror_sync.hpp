// SPDX-License-Identifier: LGPL-2.1-or-later
// When host programs touch the libvirt mirror pool (mirror_pool.hpp) and how they react when
// libvirt is not there. The mirror is a convenience: exclusivity is enforced by the qemu
// hook and lvmlockd, so an unreachable libvirtd or a failed libvirt call costs one warning
// line (callers go on with continue_after(…, kMirrorIsAView)) and never fails the pool
// operation. The one refusal: a libvirt pool of the same name that is not our mirror, which
// we must never redefine, start or remove.
#pragma once

#include <string>

#include "common/result.hpp"
#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::host {

// Before pool-start changes anything: conflict when `name` is someone else's libvirt pool.
Status mirror_check(MirrorPool &m, const std::string &name, const std::string &vg);

// Why going on after a failed mirror step is safe: what continue_after() logs with it.
inline constexpr const char *kMirrorIsAView =
    "the libvirt mirror is a view; volumes stay exclusive through the hook and lvmlockd";

// Each fails with "libvirt mirror pool NAME not <done>: <why>".
// After pool-start: define when absent, start when inactive, refresh when already active.
Status mirror_bring_up(MirrorPool &m, const std::string &name, const std::string &vg);
// After a volume change: refresh when active (an inactive or absent mirror stays so).
Status mirror_refresh(MirrorPool &m, const std::string &name, const std::string &vg);
// Before pool-destroy / pool-delete stop the pool: stop the mirror when active.
Status mirror_bring_down(MirrorPool &m, const std::string &name, const std::string &vg);
// pool-undefine: stop (if needed) and undefine our mirror; a foreign pool is left alone.
Status mirror_remove(MirrorPool &m, const std::string &name, const std::string &vg);

}  // namespace ilvm::host
