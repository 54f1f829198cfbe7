// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

#include "common/log.hpp"

namespace ilvm::agent {

ServiceNotifier::ServiceNotifier() {
    uint64_t usec = 0;
    const int r = sd_watchdog_enabled(0, &usec);
    if (r > 0) watchdog_ = std::chrono::microseconds(usec);
    else if (r < 0) spdlog::warn("systemd watchdog settings unreadable ({}): no watchdog pings", std::strerror(-r));
}

void ServiceNotifier::send(const std::string &state) const {
    const int r = sd_notify(0, state.c_str());
    // r == 0: not started by systemd (no $NOTIFY_SOCKET); nothing to tell.
    if (r < 0) spdlog::warn("cannot notify systemd ({}): {}", state.substr(0, state.find('=')), std::strerror(-r));
}

void ServiceNotifier::ready(const std::string &status) const { send("READY=1\nSTATUS=" + status); }
void ServiceNotifier::status(const std::string &status) const { send("STATUS=" + status); }
void ServiceNotifier::stopping() const { send("STOPPING=1\nSTATUS=stopping"); }
void ServiceNotifier::watchdog_ping() const { send("WATCHDOG=1"); }

}  // namespace ilvm::agent
