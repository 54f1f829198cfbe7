// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session.hpp"

#include <glib.h>

#include <algorithm>
#include <sstream>

#include "backend/tool_messages.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "iscsi/node_record.hpp"
#include "iscsi/session_details.hpp"
#include "iscsi/session_timeouts.hpp"

namespace ilvm::iscsi {

// open-iscsi iface names are at most 64 characters (ISCSI_MAX_IFACE_LEN 65 with the NUL,
// usr/config.h). "ilvm-<pool>" fits pool names of up to 59 characters and is what every
// earlier version made, so their ifaces keep working. Earlier versions cut longer names
// (60-64 characters) to "ilvm-" + 59 characters, so two pools sharing those 59 shared one
// iface, and undefining one deleted the other's. Such names now get "ilvm_" + their first
// 42 characters + "_" + 16 hex digits of the SHA-256 of the whole name: 64 characters,
// never a short form (the fifth character differs), distinct for distinct names.
std::string iface_name_for_pool(const PoolDef &pool) {
    constexpr size_t kMaxIface = 64, kShortMax = kMaxIface - 5, kKept = 42, kHashDigits = 16;
    if (pool.name.size() <= kShortMax) return "ilvm-" + pool.name;
    gchar *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, pool.name.c_str(), static_cast<gssize>(pool.name.size()));
    const std::string hash(sha, kHashDigits);
    g_free(sha);
    return "ilvm_" + pool.name.substr(0, kKept) + "_" + hash;
}

NodeAddress node_address(const PoolDef &pool, const Portal &portal) {
    return NodeAddress{pool.target_iqn, portal.address(), pool.initiator_iqn.empty() ? "" : iface_name_for_pool(pool)};
}

SessionTimeouts recovery_timeouts(const PoolDef &pool) {
    return pool.multipath() ? multipath_queueing_for(kSanlockIoTimeout).session : session_timeouts_for(kSanlockIoTimeout);
}

bool session_listed(std::string_view session_output, const std::string &target_iqn, const std::string &host,
                    uint16_t port) {
    // "tcp: [3] 10.0.2.2:3260,1 iqn.2024-04.com.example:vms (non-flash)", IPv6 as
    // "[fd00::50]:3260,1" (open-iscsi usr/session_info.c: brackets when the address has no '.').
    for (const auto &line : nonblank_lines(session_output)) {
        std::istringstream fields(line);
        std::string transport, sid, portal_tpgt, iqn;
        if (!(fields >> transport >> sid >> portal_tpgt >> iqn) || iqn != target_iqn) continue;
        if (portal_is(portal_tpgt, host, port)) return true;
    }
    return false;
}

Session::Session(System &sys, const PoolDef &pool, const Portal &portal, std::vector<std::string> nodes_dirs)
    : sys_(sys), pool_(pool), portal_(portal), nodes_dirs_(std::move(nodes_dirs)), node_(node_address(pool, portal)) {}

namespace {

// iscsiadm --mode session's listing; empty when there is no session at all.
Result<std::string> list_sessions(System &sys) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys.run(session_list()));
    if (out.exit_code == kErrNoObjectsFound) return std::string();  // "No active sessions."
    if (!out.succeeded()) return system_error("iscsiadm --mode session: " + out.first_error_line());
    return std::move(out.out);
}

}  // namespace

// When to kill iscsiadm --login: after open-iscsi's own give-up (retries x timeout seconds
// from the first attempt, plus the attempt under way when that time is up) and a margin,
// so that a dead portal is always reported by iscsid itself. Default: 20 + 5 + 15 = 40 s.
namespace {

constexpr std::chrono::seconds kLoginKillMargin{15};

std::chrono::seconds login_kill_bound(const LoginSettings &login) {
    return std::chrono::seconds(login.window() + login.timeout) + kLoginKillMargin;
}

}  // namespace

Status Session::ensure_iface() {
    if (node_.iface.empty()) return {};
    ILVM_ASSIGN_OR_RETURN(auto query, sys_.run(iface_query(node_.iface)));
    if (!query.succeeded()) {
        // `--op new` on an existing iface would reset its settings to the defaults
        // (open-iscsi usr/iscsiadm.c exec_iface_op), so only a missing one is created.
        ILVM_TRY(run_checked(sys_, iface_new(node_.iface), "cannot create iSCSI iface " + node_.iface));
        created_iface_ = true;
    }
    return run_status(sys_, iface_set_initiator(node_.iface, pool_.initiator_iqn),
                      "cannot set the initiator name of iSCSI iface " + node_.iface);
}

Status Session::configure_record(const std::optional<ChapCredentials> &chap) {
    ILVM_ASSIGN_OR_RETURN(auto query, sys_.run(node_query(node_)));
    if (!query.succeeded()) {
        ILVM_TRY(run_checked(sys_, node_new(node_), "cannot create the iSCSI node record for " + pool_.target_iqn));
        created_record_ = true;
    }
    // Manual startup: at boot, iscsi-lvm.service logs in the pools that are marked
    // autostart, in order with lock-start; open-iscsi must not race it. The login settings
    // bound how long iscsid tries before it reports a dead portal. The recovery settings make
    // the I/O of a lost LUN fail before sanlock's kill path runs (iscsi/session_timeouts.hpp);
    // a path of a pool with several gives up fast, so that dm-multipath fails over.
    const SessionTimeouts recovery = recovery_timeouts(pool_);
    const std::pair<const char *, std::string> settings[] = {
        {"node.startup", "manual"},
        {"node.conn[0].timeo.login_timeout", std::to_string(pool_.login.timeout)},
        {"node.session.initial_login_retry_max", std::to_string(pool_.login.retries)},
        {"node.conn[0].timeo.noop_out_interval", std::to_string(recovery.noop_out_interval)},
        {"node.conn[0].timeo.noop_out_timeout", std::to_string(recovery.noop_out_timeout)},
        {"node.session.timeo.replacement_timeout", std::to_string(recovery.replacement_timeout)},
    };
    for (const auto &[key, value] : settings)
        ILVM_TRY(run_checked(sys_, node_update(node_, key, value), "cannot update the iSCSI node record"));
    if (chap) {
        ILVM_ASSIGN_OR_RETURN(auto files, find_node_record_files(sys_, nodes_dirs_, node_, portal_.host, portal_.port));
        for (const auto &f : files) ILVM_TRY(write_chap_settings(sys_, f, chap->username, chap->password));
    }
    return {};
}

std::string Session::portal_suffix() const { return pool_.multipath() ? " at " + portal_.address() : ""; }

Error Session::login_failed(const std::string &reason) const {
    return system_error("iSCSI login to " + pool_.target_iqn + " at " + portal_.address() + " failed (tried for up to " +
                            std::to_string(pool_.login.window()) + " s, " + std::to_string(pool_.login.timeout) +
                            " s per attempt): " + reason,
                        "does the portal answer from this host (nc -zv " + portal_.host + " " + std::to_string(portal_.port) +
                            ")? A target that is only slow to answer needs more time: <login timeout='…' retries='…'/> "
                            "in the pool's <source> (docs/xml-reference.md)");
}

void Session::remove_created(bool logout_first, const std::string &after) {
    const std::string why = "the login failed and says why (" + after + "); a leftover only serves the next login";
    if (logout_first) continue_after(logout(), why);
    if (created_record_) continue_after(delete_record(), why);
    if (created_iface_) continue_after(delete_iface(), why);
    created_record_ = created_iface_ = false;
}

void Session::undo_login(const std::string &after) { remove_created(true, after); }

Status Session::login(const std::optional<ChapCredentials> &chap) {
    created_record_ = created_iface_ = false;
    auto fail = [&](Error e, bool logout_first = false) -> Status {
        remove_created(logout_first, e.message);
        return e;
    };
    if (auto st = ensure_iface(); !st.ok()) return fail(st.take_error());
    if (auto st = configure_record(chap); !st.ok()) return fail(st.take_error());

    auto out = sys_.run(iscsi::login(node_, login_kill_bound(pool_.login)));
    // Killed (or not run at all): iscsid may still be trying, and finish later.
    if (!out.ok()) return fail(login_failed(out.error().message), true);
    if (out->succeeded() || out->exit_code == kErrSessionExists) return {};
    if (out->exit_code == kErrLoginAuthFailed)
        return fail(invalid_input("iSCSI login to " + pool_.target_iqn + " at " + portal_.address() +
                                      " failed: CHAP authentication rejected by the target",
                                  "check the username in the pool XML and the value of its libvirt secret"));
    // iscsiadm first repeats what it tried ("Could not login to [iface: …, target: …,
    // portal: …]"), then says why; we name target and portal ourselves.
    std::string reason = out->first_error_line();
    for (const auto &line : nonblank_lines(out->err))
        if (says(line, ToolMessage::login_reason)) {
            reason = line;
            break;
        }
    if (reason.empty()) reason = "iscsiadm exit status " + std::to_string(out->exit_code);
    return fail(login_failed(reason));
}

Status Session::logout() {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(iscsi::logout(node_)));
    if (out.succeeded() || out.exit_code == kErrNoObjectsFound) return {};
    return system_error("iSCSI logout from " + pool_.target_iqn + portal_suffix() + " failed: " + out.first_error_line());
}

Status Session::delete_iface() {
    if (node_.iface.empty()) return {};
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(iface_delete(node_.iface)));
    if (out.succeeded() || out.exit_code == kErrNoObjectsFound) return {};
    return system_error("cannot remove iSCSI iface " + node_.iface + ": " + out.first_error_line());
}

Status Session::delete_record() {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(node_delete(node_)));
    if (out.succeeded() || out.exit_code == kErrNoObjectsFound) return {};
    return system_error("cannot remove the iSCSI node record for " + pool_.target_iqn + portal_suffix() + ": " + out.first_error_line());
}

PoolSessions::PoolSessions(System &sys, const PoolDef &pool, const std::vector<std::string> &nodes_dirs)
    : sys_(sys), pool_(pool) {
    sessions_.reserve(pool.portals.size());
    for (const auto &portal : pool.portals) sessions_.emplace_back(sys, pool, portal, nodes_dirs);
    up_.assign(sessions_.size(), false);
    made_.assign(sessions_.size(), false);
}

Result<bool> PoolSessions::logged_in() {
    ILVM_ASSIGN_OR_RETURN(auto listing, list_sessions(sys_));
    for (size_t i = 0; i < sessions_.size(); ++i)
        up_[i] = session_listed(listing, pool_.target_iqn, portal(i).host, portal(i).port);
    known_ = true;
    return any_up();
}

bool PoolSessions::all_up() const { return std::find(up_.begin(), up_.end(), false) == up_.end(); }
bool PoolSessions::any_up() const { return std::find(up_.begin(), up_.end(), true) != up_.end(); }

Status PoolSessions::login(const std::optional<ChapCredentials> &chap) {
    std::optional<Error> first;
    for (size_t i = 0; i < sessions_.size(); ++i) {
        if (up_[i]) continue;
        auto st = sessions_[i].login(chap);
        if (st.ok()) {
            up_[i] = made_[i] = true;
            continue;
        }
        if (!pool_.multipath()) return st;
        spdlog::warn("pool {}: path {} of {} is not logged in: {}", pool_.name, portal(i).address(), pool_.target_iqn,
                     st.error().message);
        if (!first) first = st.take_error();
    }
    if (any_up()) return {};
    return *first;
}

void PoolSessions::undo_login(size_t i, const std::string &after) {
    up_[i] = false;
    if (any_up()) sessions_[i].keep_iface();
    sessions_[i].undo_login(after);
    made_[i] = false;
}

Status PoolSessions::each(const std::vector<size_t> &order, const char *what, Status (Session::*op)()) {
    Status first;
    for (size_t i : order) {
        auto st = (sessions_[i].*op)();
        if (st.ok()) continue;
        if (first.ok()) first = std::move(st);
        else continue_after(st, std::string("the other portals' ") + what + " is tried all the same; the first failure is reported");
    }
    return first;
}

Status PoolSessions::logout_made() {
    std::vector<size_t> order;
    for (size_t i = sessions_.size(); i-- > 0;)
        if (made_[i]) order.push_back(i);
    return each(order, "logout", &Session::logout);
}

Status PoolSessions::logout() {
    std::vector<size_t> all(sessions_.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return each(all, "logout", &Session::logout);
}

Status PoolSessions::delete_records() {
    std::vector<size_t> all(sessions_.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return each(all, "node record removal", &Session::delete_record);
}

}  // namespace ilvm::iscsi
