// SPDX-License-Identifier: LGPL-2.1-or-later
// The way back after storage-loss fencing (issue 19; `ilvm pool-rejoin`, after `ilvm
// lease-lost` wiped the dm tables of a pool's volumes on this host and lvmlockd dropped its
// locks there): the VG's lockspace is joined again, then each volume lease-lost wiped is
// either taken back (only if nobody acquired its lease meanwhile, so its content is what the
// paused domain here last saw) or has its device removed.
//
// Why "nobody acquired it" can be read from the lease (sanlock 3.8 src/paxos_lease.c): an
// acquisition writes the lease's leader with the acquirer's host_id and host_generation and
// lver + 1; a release only zeroes its timestamp. lvmlockd's drop during the outage could not
// write the disk, so a lease still naming this host_id with a generation older than this
// host's current one in the lockspace (one more at each join) is the one this host held
// before the loss, untouched. sanlock lets its old owner acquire it again at once
// ("paxos_acquire … was old local"), with lver + 1, which is checked after the lvchange.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sanlock/lease_dump.hpp"

namespace ilvm {

// A volume whose dm device lease-lost wiped. take_back: a paused domain here uses it and
// would be resumed.
struct RejoinVolume {
    std::string name;
    bool take_back = false;
};

struct RejoinRequest {
    std::vector<RejoinVolume> volumes;
};

enum class RejoinVerdict {
    taken_back,   // locked exclusively here again and its real table loaded: the domain may resume
    released,     // its device is gone from this host (or never was here)
    in_use,       // its device must go but something here holds it open: nothing was run
    failed,       // a command failed, or its lease changed hands while it was taken back
};

struct RejoinedVolume {
    std::string name;
    RejoinVerdict verdict = RejoinVerdict::failed;
    std::optional<sanlock::Holder> holder;   // another host holding it now, when its lease says so
    std::string detail;                      // one line: why
};

struct RejoinResult {
    bool lockspace_started = false;          // this call joined the lockspace (else it was joined)
    std::vector<RejoinedVolume> volumes;     // the request's order
};

}  // namespace ilvm
