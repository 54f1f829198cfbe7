// SPDX-License-Identifier: LGPL-2.1-or-later
// GuestDisks (thin_growth.hpp) on the agent's events connection (libvirt_events.hpp), so that
// growth calls libvirtd only from the main loop, like every other libvirt call of the agent,
// and never while the qemu hook waits for it: thresholds and resumes follow libvirt's own
// events, which libvirtd sends after the hook has returned.
#pragma once

#include <functional>

#include <libvirt/libvirt.h>

#include "agent/thin_growth.hpp"

namespace ilvm::agent {

class LibvirtGuestDisks : public GuestDisks {
public:
    // `conn`: the events connection now, nullptr while libvirtd is unreachable.
    explicit LibvirtGuestDisks(std::function<virConnectPtr()> conn) : conn_(std::move(conn)) {}

    Result<std::vector<std::string>> running_domains() override;
    Result<std::string> live_xml(const std::string &domain) override;
    Status set_threshold(const std::string &domain, const std::string &node, uint64_t bytes) override;
    Result<uint64_t> highest_write(const std::string &domain, const std::string &target) override;
    Result<bool> paused_by_io_error(const std::string &domain) override;
    Status resume(const std::string &domain) override;

private:
    std::function<virConnectPtr()> conn_;
};

}  // namespace ilvm::agent
