// SPDX-License-Identifier: LGPL-2.1-or-later
// Ctrl-C, SIGTERM and SIGHUP while a verb runs: instead of dying with half a volume made,
// ilvm stops the command it is running through the backend's interrupt pipe (the module's
// "interrupt_fd" option), the backend rolls back what it made, and the verb reports the
// interruption. A lock wait ends too (InterruptibleClock). A SIGKILL cannot be caught: a
// volume it leaves behind is tagged incomplete and reported by `ilvm reconcile`.
#pragma once

#include <chrono>
#include <thread>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace ilvm::cli {

// A peer gone away (libvirtd restarting under a call, a reader of our output that quit) is
// an error the command reports, not a death: SIGPIPE is ignored, as libvirt expects of its
// clients (its client library write()s to its socket and blocks SIGPIPE only around its
// poll). The daemons need no call: systemd starts services with SIGPIPE ignored, and GLib's
// GSocket, which the hook and ilvmd use, ignores it when first used. Children start with
// every signal at its default (common/child_process.cpp).
Status ignore_broken_pipes();

// Installs the handlers; the read end of the pipe to give the module.
Result<int> install_interrupt_handlers();
// A signal arrived since install_interrupt_handlers().
bool interrupted();

// The system clock, except that once interrupted() its time is over: every bounded wait ends.
class InterruptibleClock final : public Clock {
public:
    std::chrono::steady_clock::time_point now() override {
        return interrupted() ? std::chrono::steady_clock::time_point::max() : std::chrono::steady_clock::now();
    }
    std::chrono::system_clock::time_point wall_now() override { return std::chrono::system_clock::now(); }
    void sleep_for(std::chrono::milliseconds d) override {
        if (!interrupted()) std::this_thread::sleep_for(d);
    }
};

}  // namespace ilvm::cli
