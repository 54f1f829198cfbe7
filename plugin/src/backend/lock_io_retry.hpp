// SPDX-License-Identifier: LGPL-2.1-or-later
// A System decorator that runs an LVM command again when lvmlockd refused it a lock because
// sanlock could not read or write the lease in time (ToolMessage::lock_io_error, lvmlockd's
// ELMERR, -221, which lvm2 2.03.31 prints as "lock manager error"): the command failed
// before it did anything, and the next request is usually granted. Seen in the lab under
// load: sanlock's "aio timeout RD … ioto 10" on the LUN, then "Cannot access VG vg_san due to
// failed lock" from vol-create-as's lvchange and "Global lock failed: error -221" from
// pool-start's pvs, each granted a second later; on Debian 13 "VG vg_san lock failed: lock
// manager error." from a snapshot's lvcreate.
//
// At most kLockIoAttempts runs, with a pause of kLockIoPause x the attempt in between; each
// retry is logged with what LVM said. A lock another host holds ("locked by other host") or
// any other failure is returned at once: lvmlockd already decided those.
#pragma once

#include <chrono>

#include "common/forwarding_system.hpp"

namespace ilvm {

inline constexpr int kLockIoAttempts = 3;
inline constexpr std::chrono::milliseconds kLockIoPause{1000};

class LockIoRetry final : public ForwardingSystem {
public:
    explicit LockIoRetry(System &inner) : ForwardingSystem(inner) {}
    Result<CommandOutput> run(const Command &cmd) override;
};

}  // namespace ilvm
