// SPDX-License-Identifier: LGPL-2.1-or-later
// What `iscsiadm --mode session --print 3` says of one session (tests/e2e/recorded/
// iscsiadm-session-P3.txt): `ilvm doctor` compares its recovery timeout with the one
// pool-start writes (iscsi/session_timeouts.hpp), which a session logged in before does not have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ilvm::iscsi {

// Whether iscsiadm's "10.0.2.2:3260,1" (IPv6 as "[fd00::50]:3260,1", open-iscsi
// usr/session_info.c: brackets when the address has no '.') is host:port, the host compared by
// address (common/names.hpp same_host): iscsiadm prints the record's address as written.
bool portal_is(std::string_view portal_tpgt, const std::string &host, uint16_t port);

// The "Recovery Timeout" of the session to target_iqn at host:port (its current portal, the
// host compared by address); nullopt when the output has no such session or no such line.
std::optional<uint32_t> session_recovery_timeout(std::string_view details, const std::string &target_iqn,
                                                 const std::string &host, uint16_t port);

}  // namespace ilvm::iscsi
