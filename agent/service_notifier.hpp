// SPDX-License-Identifier: LGPL-2.1-or-later
// What the agent tells systemd (sd_notify(3); ilvmd.service is Type=notify with
// WatchdogSec=): READY once it follows events, STATUS lines an administrator sees in
// `systemctl status ilvmd`, STOPPING at the end, and WATCHDOG pings while it is healthy.
// Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ilvm::agent {

class ServiceNotifier {
public:
    ServiceNotifier();
    void ready(const std::string &status) const;
    void status(const std::string &status) const;
    void stopping() const;
    void watchdog_ping() const;
    // systemd's watchdog period ($WATCHDOG_USEC for this process), if it asks for pings.
    std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_; }

private:
    void send(const std::string &state) const;
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace ilvm::agent
