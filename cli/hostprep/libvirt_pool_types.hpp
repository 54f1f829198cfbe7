// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm host-validate`'s check that libvirt can run the mirror pool, a stock `logical` pool
// (docs/architecture.md). Debian 13's libvirt (11.3) ships each storage backend in a package
// of its own, and a host without libvirt-daemon-driver-storage-logical starts our pools with
// the warning "missing backend for pool type 3 (logical)": virsh then shows none of their
// volumes (found by the lab's first Debian 13 run). Debian 12's libvirt-daemon has it built in.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "cli/hostprep/host_validate.hpp"
#include "common/command.hpp"
#include "common/result.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

// `virsh --connect qemu:///system pool-capabilities` (libvirt 5.2 and later): one
// <pool type='…' supported='yes|no'> per pool type libvirt knows, supported when a backend
// for it is loaded.
Command virsh_pool_capabilities();

// The pool types `virsh pool-capabilities` says are supported; invalid_input when the text
// is not a <storagepoolCapabilities> document.
Result<std::set<std::string>> supported_pool_types(std::string_view capabilities_xml);

// "libvirt logical pool backend": passes when libvirt supports `logical` pools; fails when it
// does not (the package to install), when virsh cannot ask (libvirtd not running), or when
// its answer cannot be read: a check that cannot decide does not pass.
HostCheck mirror_backend_check(System &sys);

}  // namespace ilvm::cli
