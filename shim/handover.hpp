// SPDX-License-Identifier: LGPL-2.1-or-later
// The destination's side of a live migration hand-over, kept between hook calls.
//
// libvirt calls the destination's hook `migrate begin`, then `prepare begin`, `start begin`
// and `started begin` (measured, libvirt 9.0); the source releases its lock only after the
// destination's `started`. So the hook takes the volumes *shared* at `migrate begin`, leaves
// a marker that tells the following `prepare begin` to keep them shared, and starts
// `iscsi-lvm-migrate-finish@<domain>.service`, which converts them to exclusive once the
// source has let go. The hook itself must not wait for that: libvirt waits for the hook.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/system.hpp"
#include "host/core/handover_files.hpp"

namespace ilvm::hook {

class Handover {
public:
    virtual ~Handover() = default;
    // An incoming migration of `domain` was accepted here and is not finished yet.
    virtual bool incoming(const std::string &domain) = 0;
    virtual Status mark_incoming(const std::string &domain) = 0;
    virtual void clear_incoming(const std::string &domain) = 0;
    // Starts the unit that converts the domain's locks to exclusive after the hand-over.
    virtual Status start_finisher(const std::string &domain) = 0;
};

// `systemd-escape` of a unit instance name: [A-Za-z0-9:_.] stay, '/' becomes '-', every
// other byte (and a leading '.') becomes \xNN.
std::string systemd_escape(std::string_view s);

// Markers in host/core's hand-over files under run_dir ($ILVM_RUN_DIR); the finisher is
// started with `<systemctl> start --no-block …` through the command runner.
class RunDirHandover : public Handover {
public:
    RunDirHandover(System &sys, std::string run_dir, std::string systemctl)
        : sys_(sys), files_(std::move(run_dir)), systemctl_(std::move(systemctl)) {}
    bool incoming(const std::string &domain) override;
    Status mark_incoming(const std::string &domain) override;
    void clear_incoming(const std::string &domain) override;
    Status start_finisher(const std::string &domain) override;

private:
    System &sys_;
    host::HandoverFiles files_;
    std::string systemctl_;
};

}  // namespace ilvm::hook
