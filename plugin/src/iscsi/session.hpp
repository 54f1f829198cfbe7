// SPDX-License-Identifier: LGPL-2.1-or-later
// Logging a host into the pool's LUN through one of its portals and out again, idempotently,
// leaving nothing behind when a login fails (no node record, no half-open session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/system.hpp"
#include "iscsi/iscsi_argv.hpp"
#include "iscsi/session_timeouts.hpp"
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
// The node record of the pool's target at `portal`.
NodeAddress node_address(const PoolDef &pool, const Portal &portal);

// The recovery settings pool-start writes into each node record of the pool before the login
// (iscsi/session_timeouts.hpp): a single session's, or with several portals each path's
// (multipath_queueing_for: a path gives up fast, the multipath map holds the I/O).
SessionTimeouts recovery_timeouts(const PoolDef &pool);

// True when `iscsiadm -m session` output lists a session to target at host:port, the host
// compared by address (common/names.hpp same_host): iscsiadm prints the record's address
// as written, which need not be our spelling of it.
bool session_listed(std::string_view session_output, const std::string &target_iqn, const std::string &host,
                    uint16_t port);

// The session to the pool's target through one portal (a portal of pool.portals, which must
// outlive it). A pool with several portals has one per portal; the recovery settings its
// record gets depend on pool.multipath() (iscsi/session_timeouts.hpp).
class Session {
public:
    Session(System &sys, const PoolDef &pool, const Portal &portal, std::vector<std::string> nodes_dirs);

    const Portal &portal() const { return portal_; }

    // Ensures the iface (when the pool names an initiator) and the record (configured
    // portal, node.startup manual, the pool's login timeout and retries, CHAP in the record
    // file) and logs in; call it only when PoolSessions::logged_in() found no session at
    // the portal, so that no session this call did not make can be logged out. iscsiadm is
    // killed only well after open-iscsi's own give-up. On every failure, including that kill, it removes what it created
    // (record, iface; a session iscsid may still complete) and reports one line naming the
    // target, the portal and how long it tried.
    Status login(const std::optional<ChapCredentials> &chap);
    // For a caller whose next step after a successful login() failed: logs out and removes
    // what login() created. Failures are logged (continue_after): the caller reports its own.
    void undo_login(const std::string &after);
    // The iface this session's login created stays when the login is undone: another portal's
    // session of the same pool uses it.
    void keep_iface() { created_iface_ = false; }
    Status logout();          // no session is fine
    Status delete_record();   // no record is fine
    Status delete_iface();    // the pool's iface, when the pool names an initiator

private:
    Status ensure_iface();
    Status configure_record(const std::optional<ChapCredentials> &chap);
    // " at 10.0.0.51:3260" for a pool with several portals, to say which path an error is of;
    // nothing for a single portal (its messages name the target alone, as they always did).
    std::string portal_suffix() const;
    // "iSCSI login to T at P failed (tried for up to N s, M s per attempt): <reason>".
    Error login_failed(const std::string &reason) const;
    // Removes the record and the iface if this login created them, after logging out when
    // `logout_first` (iscsiadm was killed: iscsid may still finish the login).
    void remove_created(bool logout_first, const std::string &after);

    System &sys_;
    const PoolDef &pool_;
    const Portal &portal_;
    std::vector<std::string> nodes_dirs_;
    NodeAddress node_;
    bool created_record_ = false;
    bool created_iface_ = false;
};

// The pool's sessions, one per portal in the pool's order (several: each a path to the LUN,
// multipath), and which of them this object logged in: a failure later in the same call undoes
// those logins only, never a session it found.
class PoolSessions {
public:
    PoolSessions(System &sys, const PoolDef &pool, const std::vector<std::string> &nodes_dirs);

    // Which portals have a session (one `iscsiadm --mode session` for all of them), kept as
    // what was there before this object's logins. True when at least one has.
    Result<bool> logged_in();
    bool known() const { return known_; }
    // Whether portal i had a session (logged_in()) or has one now (login()).
    bool up(size_t i) const { return up_[i]; }
    bool all_up() const;
    bool any_up() const;
    // Whether login() made portal i's session.
    bool made(size_t i) const { return made_[i]; }
    size_t size() const { return sessions_.size(); }
    const Portal &portal(size_t i) const { return sessions_[i].portal(); }

    // Logs in each portal without a session (call logged_in() first). One portal: its
    // Session::login, failure and all. Several: a portal that fails is logged as a warning
    // (the pool starts degraded, over the other paths); an error, the first portal's, only
    // when no portal has a session afterwards. Each failed login removes what it created.
    Status login(const std::optional<ChapCredentials> &chap);
    // Portal i's session, made by login(), is of no use (its LUN never appeared): logged out
    // and what its login created removed (Session::undo_login), but for an iface another
    // portal's session still uses.
    void undo_login(size_t i, const std::string &after);
    // Logs out the sessions login() made, the last first. All are tried; the first failure
    // is returned, the others logged.
    Status logout_made();
    // Logs out of, or removes the node record of, every portal. No session or record is fine;
    // all are tried, the first failure is returned, the others logged.
    Status logout();
    Status delete_records();
    Status delete_iface() { return sessions_.front().delete_iface(); }

private:
    // Runs `op` on each session in `order`; the first failure is returned, later ones logged.
    Status each(const std::vector<size_t> &order, const char *what, Status (Session::*op)());

    System &sys_;
    const PoolDef &pool_;
    std::vector<Session> sessions_;
    std::vector<bool> up_, made_;
    bool known_ = false;
};

}  // namespace ilvm::iscsi
