// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/event_routing.hpp"

#include <libvirt/libvirt.h>

namespace ilvm::agent {
namespace {

std::vector<std::string> all_names(const std::vector<StartedPool> &pools) {
    std::vector<std::string> out;
    for (const auto &p : pools) out.push_back(p.name);
    return out;
}

}  // namespace

std::optional<Route> route_domain_event(int event, int /*detail*/, const std::vector<StartedPool> &pools) {
    if (pools.empty()) return std::nullopt;
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_STOPPED:
    case VIR_DOMAIN_EVENT_RESUMED:    // e.g. a migration's destination taking over
    case VIR_DOMAIN_EVENT_SHUTDOWN:
    case VIR_DOMAIN_EVENT_CRASHED:
        return Route{all_names(pools), kDomainEventDelay};
    default:
        return std::nullopt;
    }
}

std::optional<Route> route_pool_event(const std::string &libvirt_pool, int event, const std::vector<StartedPool> &pools) {
    if (event != VIR_STORAGE_POOL_EVENT_DEFINED && event != VIR_STORAGE_POOL_EVENT_STARTED) return std::nullopt;
    for (const auto &p : pools)
        if (p.name == libvirt_pool) return Route{{p.name}, kDomainEventDelay};
    return std::nullopt;
}

std::optional<Route> route_device_event(const std::string &action, const std::string &dm_vg, const std::string &dm_lv,
                                        const std::vector<StartedPool> &pools) {
    if (dm_vg.empty() || dm_lv.empty() || dm_lv == "lvmlock") return std::nullopt;
    if (action != "add" && action != "change" && action != "remove") return std::nullopt;
    for (const auto &p : pools)
        if (p.vg == dm_vg) return Route{{p.name}, kDeviceEventDelay};
    return std::nullopt;
}

}  // namespace ilvm::agent
