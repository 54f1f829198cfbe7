// SPDX-License-Identifier: LGPL-2.1-or-later
// What `sanlock client status -D` and `sanlock client host_status -s LOCKSPACE -D` print:
// whether sanlock uses the watchdog, which lockspaces this host has joined with which
// host_id, and which hosts are live in them (host-validate; the backend, to tell its own
// shared lock from another host's). Formats: sanlock 3.8
// src/client_cmd.c; real outputs in tests/e2e/recorded/sanlock-client-*.txt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command.hpp"

namespace ilvm::sanlock {

struct SanlockLockspace {
    std::string name;          // "lvm_<vg>" for lvmlockd's lockspaces
    uint32_t host_id = 0;      // the host_id this host joined (or is joining) with
    // sanlock's list the lockspace is on: "" joined; "ADD" still joining (add_lockspace
    // waits out the delta lease, up to minutes after an unclean stop), "REM" leaving,
    // "ORPHAN" (client_cmd.c, add_rem_str()).
    std::string list;
    // The -D sub-line "host_generation=N": the generation of this host's delta lease in the
    // lockspace, one more at each join (sanlock 3.8 src/delta_lease.c). A paxos lease this
    // host acquires carries it (the "gen" column of `sanlock direct dump`), so a lease whose
    // owner is our host_id with a smaller generation was ours before the last join. 0 when
    // not printed (without -D).
    uint64_t host_generation = 0;
    // The -D sub-line "space_dead=1": sanlock could not renew the lockspace's lease (or was
    // told to remove it) and is ending it. It stays on sanlock's list of joined lockspaces,
    // without ADD/REM, until the processes holding leases in it let them go (src/main.c,
    // main_loop: spaces -> spaces_rem once all_pids_dead()).
    bool space_dead = false;
    bool joined() const { return list.empty(); }
};

struct SanlockStatus {
    std::string daemon_name;              // "<uuid>.<hostname>", as in owner_name below
    std::optional<bool> use_watchdog;     // from the daemon's -D lines
    std::vector<SanlockLockspace> lockspaces;
};

// One host's delta lease as this host last read it.
struct SanlockHost {
    uint32_t host_id = 0;
    uint64_t timestamp = 0;     // 0: the host left cleanly (the slot is free)
    uint64_t last_check = 0;    // monotonic seconds of our last read
    uint64_t last_live = 0;     // ... of our last read that saw the timestamp move
    uint32_t io_timeout = 0;
    std::string owner_name;
};

Command sanlock_client_status();
Command sanlock_client_host_status(const std::string &lockspace);

SanlockStatus parse_sanlock_status(std::string_view out);
// The host_id this host joined `lockspace` with ("lvm_<vg>"), if it has joined it (one
// still joining or leaving does not count).
std::optional<uint32_t> joined_host_id(const SanlockStatus &st, std::string_view lockspace);
// `lockspace` as sanlock lists it, in whatever state; nullptr when it is not listed.
const SanlockLockspace *find_lockspace(const SanlockStatus &st, std::string_view lockspace);
std::vector<SanlockHost> parse_sanlock_host_status(std::string_view out);

// sanlock's own rule (lockspace.c, get_host_flag): a host is failing once its timestamp
// has not moved for 8 io_timeouts (its renewal fail time), and free when it is 0.
// A host whose timestamp we have not yet seen move counts as live: it may be.
bool sanlock_host_live(const SanlockHost &host);

}  // namespace ilvm::sanlock
