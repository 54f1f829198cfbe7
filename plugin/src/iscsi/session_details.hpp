// SPDX-License-Identifier: LGPL-2.1-or-later
// What `iscsiadm --mode session --print 3` says of one session (tests/e2e/recorded/
// iscsiadm-session-P3.txt): `ilvm doctor` compares its recovery timeout with the one
// pool-start writes (iscsi/session_timeouts.hpp), which a session logged in before does not have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ilvm::iscsi {

// A portal as iscsiadm prints it, "10.0.2.2:3260,1" or "[fd00::50]:3260,1": the host without
// brackets and the port; nullopt for text of another shape.
struct PortalAddress {
    std::string host;
    uint16_t port = 0;

    bool operator==(const PortalAddress &) const = default;
};
std::optional<PortalAddress> parse_portal(std::string_view portal_tpgt);

// Whether iscsiadm's "10.0.2.2:3260,1" (IPv6 as "[fd00::50]:3260,1", open-iscsi
// usr/session_info.c: brackets when the address has no '.') is host:port, the host compared by
// address (common/names.hpp same_host): iscsiadm prints the record's address as written.
bool portal_is(std::string_view portal_tpgt, const std::string &host, uint16_t port);

// The "Recovery Timeout" of the session to target_iqn at host:port (its current portal, the
// host compared by address); nullopt when the output has no such session or no such line.
std::optional<uint32_t> session_recovery_timeout(std::string_view details, const std::string &target_iqn,
                                                 const std::string &host, uint16_t port);

// One session of a target as `iscsiadm --mode session --print 3` shows it (open-iscsi 2.1.8
// usr/session_info.c print_sessions_tree): a pool with several portals has one per portal, and
// dm-multipath one path per session (issue 19).
struct AttachedDisk {
    std::string name;    // "sdb"
    std::string state;   // the SCSI device's: "running", "blocked", "transport-offline", …
    // Its LUN: the "scsiH Channel C Id I Lun: N" line above it (a target may export several
    // LUNs, each a disk in every session); nullopt when iscsiadm printed none.
    std::optional<uint32_t> lun;

    bool operator==(const AttachedDisk &) const = default;
};
struct SessionDetails {
    PortalAddress portal;            // its current portal
    std::string session_state;       // "LOGGED_IN", "FAILED", "FREE", "Unknown" (sysfs)
    std::string connection_state;    // "LOGGED IN", "TRANSPORT WAIT", "FREE", … (iscsid)
    std::vector<AttachedDisk> disks; // its LUNs' disks, in iscsiadm's order

    bool operator==(const SessionDetails &) const = default;
};

// Every session to target_iqn, in iscsiadm's order: one per "SID:" line under the target's
// "Target:" line, each with the "Current Portal:" above it (iscsiadm prints a portal once for
// consecutive sessions to it). A session whose portal iscsiadm printed in another shape is
// left out; an empty list when the target has no session.
std::vector<SessionDetails> target_sessions(std::string_view details, const std::string &target_iqn);

// The disk of LUN `lun` in `session`, or nullptr.
const AttachedDisk *disk_of_lun(const SessionDetails &session, uint32_t lun);

}  // namespace ilvm::iscsi
