// SPDX-License-Identifier: LGPL-2.1-or-later
// Logging a host into the pool's LUN and out again, idempotently, leaving nothing behind
// when a login fails (no node record, no half-open session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/system.hpp"
#include "iscsi/iscsi_argv.hpp"
#include "model/pool_def.hpp"
#include "secret/secret_string.hpp"

namespace ilvm::iscsi {

struct ChapCredentials {
    std::string username;
    SecretString password;
};

// The open-iscsi iface of a pool that names an <initiator>: "ilvm-<pool>" for pool names
// of up to 59 characters, "ilvm_<first 42>_<16 hex digits of SHA-256>" for longer ones
// (at most 64 characters either way; distinct pools, distinct ifaces).
std::string iface_name_for_pool(const PoolDef &pool);
NodeAddress node_address(const PoolDef &pool);

// True when `iscsiadm -m session` output lists a session to target at host:port, the host
// compared by address (common/names.hpp same_host): iscsiadm prints the record's address
// as written, which need not be our spelling of it.
bool session_listed(std::string_view session_output, const std::string &target_iqn, const std::string &host,
                    uint16_t port);

class Session {
public:
    Session(System &sys, const PoolDef &pool, std::string nodes_dir);

    Result<bool> logged_in();
    // Ensures the iface (when the pool names an initiator) and the record (configured
    // portal, node.startup manual, the pool's login timeout and retries, CHAP in the record
    // file) and logs in; call it only when logged_in() said no, so that no session this
    // call did not make can be logged out. iscsiadm is killed only well after open-iscsi's
    // own give-up. On every failure, including that kill, it removes what it created
    // (record, iface; a session iscsid may still complete) and reports one line naming the
    // target, the portal and how long it tried.
    Status login(const std::optional<ChapCredentials> &chap);
    // For a caller whose next step after a successful login() failed: logs out and removes
    // what login() created. Failures are logged (continue_after): the caller reports its own.
    void undo_login(const std::string &after);
    Status logout();          // no session is fine
    Status delete_record();   // no record is fine
    Status delete_iface();    // the pool's iface, when the pool names an initiator

private:
    Status ensure_iface();
    Status configure_record(const std::optional<ChapCredentials> &chap);
    // "iSCSI login to T at P failed (tried for up to N s, M s per attempt): <reason>".
    Error login_failed(const std::string &reason) const;
    // Removes the record and the iface if this login created them, after logging out when
    // `logout_first` (iscsiadm was killed: iscsid may still finish the login).
    void remove_created(bool logout_first, const std::string &after);

    System &sys_;
    const PoolDef &pool_;
    std::string nodes_dir_;
    NodeAddress node_;
    bool created_record_ = false;
    bool created_iface_ = false;
};

}  // namespace ilvm::iscsi
