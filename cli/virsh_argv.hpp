// SPDX-License-Identifier: LGPL-2.1-or-later
// The virsh commands `ilvm lease-lost` and `ilvm pool-rejoin` run on the domains of a pool whose VG lost its lease
// (its <on_lockfailure>). virsh, not the libvirt API: each call gets its own timeout and is
// killed at it, where a libvirt call into a libvirtd that does not answer could block the
// command that lvmlockctl --kill waits for; `ilvm` does not link libvirt either.
#pragma once

#include <string>

#include "common/command.hpp"

namespace ilvm::cli {

// `virsh -c URI suspend --domain NAME`: QEMU stops its vCPUs (a domain already paused, by
// werror=stop on its failing disk say, stays so and the call succeeds). 10 s.
Command virsh_suspend(const std::string &uri, const std::string &domain);
// `virsh -c URI destroy --domain NAME`: QEMU is killed. 10 s.
Command virsh_destroy(const std::string &uri, const std::string &domain);
// `virsh -c URI resume --domain NAME` (`ilvm pool-rejoin`, once the domain's volumes are
// taken back): its vCPUs run again, and QEMU retries the I/O its disks stopped on. 10 s.
Command virsh_resume(const std::string &uri, const std::string &domain);

}  // namespace ilvm::cli
