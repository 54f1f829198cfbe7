// SPDX-License-Identifier: LGPL-2.1-or-later
// The pool's LUN through dm-multipath (issue 19): a pool with several portals logs in to each,
// and each session shows the LUN as one disk (a path); multipathd joins the paths into one map
// named by the LUN's WWID, the same on every host, and the VG's PV is that map, never a path.
//
// The paths are found from iscsiadm's session tree (one command: each session's portal and,
// per LUN, its disk), not from /dev/disk/by-path links: the tree also says each session's
// state, which pool-info and doctor report per path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/system.hpp"
#include "iscsi/session_details.hpp"
#include "model/pool_def.hpp"

namespace ilvm::multipath_lun {

// One portal's path to the pool's LUN, as iscsiadm shows it.
struct LunPath {
    iscsi::PortalAddress portal;
    std::string session_state;   // "LOGGED_IN", "FAILED", …
    std::string disk;            // "sdb"; empty when the session shows no disk for the LUN
    std::string disk_state;      // "running", "blocked", "transport-offline", …
};

// The pool's paths: for each of its portals with a session to its target, that session's disk
// of the pool's LUN (`iscsiadm --mode session --print 3`). Sessions to portals the pool does
// not name (an administrator's own) are left out.
Result<std::vector<LunPath>> lun_paths(System &sys, const PoolDef &pool);
// The same from a --print 3 text already read (doctor reads it once for all its checks).
std::vector<LunPath> lun_paths_in(std::string_view session_details, const PoolDef &pool);

// pool-start, once the sessions are logged in: the WWID of every path (udev's ID_SERIAL) must
// be the same (the portals lead to one LUN); the WWID is added to multipath's wwids file and
// multipathd makes the map; returns /dev/mapper/<WWID> once it exists (within `timeout`).
Result<std::string> ensure_map(System &sys, const PoolDef &pool, std::chrono::milliseconds timeout);

// The map of a pool whose sessions are logged in, without changing anything: /dev/mapper/<WWID>
// of the first path with a disk; not_found when no path has a disk or the map does not exist.
Result<std::string> existing_map(System &sys, const PoolDef &pool);
Result<std::string> existing_map(System &sys, const PoolDef &pool, const std::vector<LunPath> &paths);

// pool-stop, before the sessions log out: removes the map (`multipath -f`) so that no map is
// left without paths, queueing I/O. Nothing to do when no path has a disk or there is no map.
Status flush_map(System &sys, const PoolDef &pool);

// What pool-info and doctor say of each portal of the pool.
struct PathHealth {
    std::string portal;          // "10.0.2.2:3260" (PoolDef's Portal::address())
    std::string session_state;   // iscsiadm's, "" when the portal has no session
    std::string disk;            // "sdb", "" when none
    std::string dm_state;        // the kernel's view of the path in the map: "active", "failed", ""
    std::string checker;         // multipathd's checker: "ready", "faulty", "", …
    bool usable = false;         // I/O can go down it now
};
// One entry per portal of the pool, in the pool's order: two commands (iscsiadm's session
// tree, `multipathd show maps json`).
Result<std::vector<PathHealth>> path_health(System &sys, const PoolDef &pool);
Result<std::vector<PathHealth>> path_health(System &sys, const PoolDef &pool, const std::vector<LunPath> &paths);

}  // namespace ilvm::multipath_lun
