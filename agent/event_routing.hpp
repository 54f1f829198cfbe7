// SPDX-License-Identifier: LGPL-2.1-or-later
// Which pools an event concerns, and how soon to look at them. Pure, so that every event the
// agent follows (docs/agent.md) is decided by a table the unit tests walk:
//   libvirt domain lifecycle  started, stopped, resumed, shutdown, crashed: every started
//                             pool (a domain's volumes changed hands: the hook activated or
//                             released them, a migration moved them); defined, undefined,
//                             suspended: nothing about volumes changed.
//   libvirt pool lifecycle    our mirror pool defined or started: that pool. Refresh events
//                             are not followed: each pass refreshes the mirror itself, and
//                             following them would answer every pass with another.
//   udev, block devices       a device-mapper device of a started pool's VG added, changed
//                             or removed (an LV activated, flagged, deactivated - e.g. by
//                             `virsh vol-create-as` on the mirror): that pool. The sanlock
//                             lease LV (lvmlock) is lvmlockd's own and not followed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ilvm::agent {

struct StartedPool {
    std::string name;
    std::string vg;
};

struct Route {
    std::vector<std::string> pools;
    std::chrono::milliseconds delay{0};   // how long to wait for the rest of a burst
};

// How long a burst of related events is given to arrive before the pass runs.
inline constexpr std::chrono::milliseconds kDomainEventDelay{250};
inline constexpr std::chrono::milliseconds kDeviceEventDelay{500};

// `event`, `detail`: virDomainEventType and its detail, as libvirt's lifecycle callback gets them.
std::optional<Route> route_domain_event(int event, int detail, const std::vector<StartedPool> &pools);
// `event`: virStoragePoolEventLifecycleType of the libvirt pool `libvirt_pool`.
std::optional<Route> route_pool_event(const std::string &libvirt_pool, int event, const std::vector<StartedPool> &pools);
// `action`: udev's (add, change, remove, …); `dm_vg`, `dm_lv`: the device's DM_VG_NAME and
// DM_LV_NAME properties ("" when absent: not an LVM device).
std::optional<Route> route_device_event(const std::string &action, const std::string &dm_vg, const std::string &dm_lv,
                                        const std::vector<StartedPool> &pools);

}  // namespace ilvm::agent
