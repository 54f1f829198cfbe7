// When `ilvm` touches the libvirt mirror pool (mirror_pool.hpp) and how it reacts when
// libvirt is not there. The mirror is a convenience: exclusivity is enforced by the qemu
// hook and lvmlockd, so an unreachable libvirtd or a failed libvirt call costs one warning
// line and never fails the pool operation. The one refusal: a libvirt pool of the same
// name that is not our mirror, which we must never redefine, start or remove.
#pragma once

#include <string>

#include "core/result.hpp"
#include "mirror_pool.hpp"

namespace ilvm::cli {

// Before pool-start changes anything: conflict when `name` is someone else's libvirt pool.
Status mirror_check(MirrorPool &m, const std::string &name, const std::string &vg);

// Each returns the warning it logged ("" when none), so callers and tests can see it.
// After pool-start: define when absent, start when inactive, refresh when already active.
std::string mirror_bring_up(MirrorPool &m, const std::string &name, const std::string &vg);
// After a volume change: refresh when active (an inactive or absent mirror stays so).
std::string mirror_refresh(MirrorPool &m, const std::string &name, const std::string &vg);
// Before pool-destroy / pool-delete stop the pool: stop the mirror when active.
std::string mirror_bring_down(MirrorPool &m, const std::string &name, const std::string &vg);
// pool-undefine: stop (if needed) and undefine our mirror; a foreign pool is left alone.
std::string mirror_remove(MirrorPool &m, const std::string &name, const std::string &vg);

}  // namespace ilvm::cli
