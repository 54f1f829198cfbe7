// SPDX-License-Identifier: LGPL-2.1-or-later
// Starting and stopping one pool on this host, shared by pool-start / pool-destroy and
// the boot service's pool-autostart-all / pool-destroy-all. The caller holds the pool's
// lock and has checked that the pool is inactive (start) or active (stop).
#pragma once

#include <string>

#include "cli/context.hpp"

namespace ilvm::cli {

// Whether to touch the libvirt mirror. The boot service must not: libvirtd is ordered
// after it (and socket-activated), so a libvirt call from there would wait for itself.
enum class Mirror { sync, leave };

// Login, lock-start, VG check, first refresh, then the libvirt mirror (a warning when
// libvirt is unreachable; a refusal, before anything else, when the name is another
// libvirt pool's).
Status start_pool_locked(Context &ctx, const std::string &name, const std::string &xml, Mirror mirror = Mirror::sync);
// What a successful start forgets of the pool's earlier runs here: the reconciler's idle
// sightings, and what lease-lost did when the VG lost its lease (host/core/fence_record.hpp).
void forget_earlier_runs(const host::PoolStore &store, const std::string &name);
// Mirror stopped first, then deactivation of idle volumes, lock-stop, logout.
Status stop_pool_locked(Context &ctx, const std::string &name, const std::string &xml, Mirror mirror = Mirror::sync);

}  // namespace ilvm::cli
