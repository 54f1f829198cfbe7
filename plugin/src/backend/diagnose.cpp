// SPDX-License-Identifier: LGPL-2.1-or-later
// Backend::diagnose_pool: the lvmlockd users' common troubles, read from this host only:
// the pool's lockspace (lvmlockctl -i, sanlock client status), its iSCSI session, LV locks
// held here for LVs not active here (left by a crash or reboot: "LV locked by other host"
// for every other host), volumes active here and unused, incomplete volumes, the VG's
// metadata area, lvm's global lock. The only change it ever makes, with `fix`, is
// `lvchange -an VG/LV` for a stale lock whose LV is used by no domain here.
#include <algorithm>
#include <map>

#include "backend/backend.hpp"
#include "backend/multipath_lun.hpp"
#include "common/log.hpp"
#include "iscsi/session.hpp"
#include "iscsi/session_details.hpp"
#include "iscsi/session_timeouts.hpp"
#include "lvm/lock_info.hpp"
#include "lvm/lvm_argv.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/template_tags.hpp"

namespace ilvm {
namespace {

Finding ok_finding(std::string check, std::string what) { return {std::move(check), "ok", "", std::move(what), "", "", ""}; }

std::string restart_fix(const PoolDef &pool) { return "ilvm pool-destroy " + pool.name + " && ilvm pool-start " + pool.name; }

std::string command_problem(const Result<CommandOutput> &r) {
    return r.ok() ? r->first_error_line() : r.error().message;
}

}  // namespace

namespace {

// The session's recovery timeout against the one pool-start writes before each login
// (iscsi/session_timeouts.hpp; each path's own when the pool has several portals): a session
// logged in before that, or by hand, keeps another. Nothing to report when iscsiadm does not
// say (the session check above covers a dead iscsid). `details`: iscsiadm --mode session
// --print 3, read once for all the pool's portals.
std::optional<Finding> recovery_timeout_finding(const std::string &details, const PoolDef &pool, const Portal &portal) {
    const auto have = iscsi::session_recovery_timeout(details, pool.target_iqn, portal.host, portal.port);
    if (!have) return std::nullopt;
    const uint32_t want = iscsi::recovery_timeouts(pool).replacement_timeout;
    const std::string path = pool.multipath() ? " (path " + portal.address() + ")" : "";
    if (*have == want)
        return ok_finding("iscsi recovery timeout", std::to_string(*have) + " s, as pool-start sets it" + path);
    return Finding{"iscsi recovery timeout", "warn", "",
                   "the session's recovery timeout is " + std::to_string(*have) + " s, not " + std::to_string(want) +
                       " s" + path + " (logged in before this version, or by hand): " +
                       (*have > want ? (pool.multipath() ? "the path's I/O is held instead of failing over to the other paths"
                                                         : "a lost LUN's I/O is held past sanlock's kill path, where ilvm lease-lost must stop it")
                                     : "an outage the lease survives fails the guests' I/O instead of stalling it"),
                   restart_fix(pool), "", ""};
}

// iscsiadm --mode session --print 3, read when a check first needs it and then kept for the
// others (the sessions' states and timeouts, multipath's paths); nullopt (and a log line)
// when it does not answer.
class SessionDetails {
public:
    explicit SessionDetails(System &sys) : sys_(sys) {}
    const std::optional<std::string> &text() {
        if (read_) return text_;
        read_ = true;
        auto out = sys_.run(iscsi::session_details());
        if (!out.ok() || !out->succeeded()) {
            error_ = out.ok() ? out->first_error_line() : out.error().message;
            spdlog::info("iscsiadm --mode session --print 3 did not answer ({}): the session's recovery timeout is not "
                         "checked",
                         error_);
            return text_;
        }
        text_ = std::move(out->out);
        return text_;
    }
    const std::string &error() const { return error_; }

private:
    System &sys_;
    bool read_ = false;
    std::optional<std::string> text_;
    std::string error_;
};

// The state iscsiadm --print 3 gives the session to `portal` ("LOGGED_IN", "FAILED"), "" when
// it shows none.
std::string session_state(std::string_view details, const PoolDef &pool, const Portal &portal) {
    for (const auto &s : iscsi::target_sessions(details, pool.target_iqn))
        if (portal.is(s.portal.host, s.portal.port)) return s.session_state;
    return "";
}

// One "iscsi session" finding per portal, each followed by its recovery timeout's. A portal
// without a session fails the check, except on a pool with several portals where another
// has one: the pool runs degraded, the other paths carry the I/O.
void session_findings(const PoolDef &pool, iscsi::PoolSessions &sessions, SessionDetails &read, std::vector<Finding> &out) {
    auto logged_in = sessions.logged_in();
    if (!logged_in.ok()) {
        out.push_back({"iscsi session", "fail", "", logged_in.error().message, "systemctl start iscsid", "", ""});
        return;
    }
    for (size_t i = 0; i < sessions.size(); ++i) {
        const Portal &p = sessions.portal(i);
        const std::string portal = pool.target_iqn + " at " + p.host + ":" + std::to_string(p.port);
        if (!sessions.up(i)) {
            if (*logged_in)   // only with several portals: another one is up
                out.push_back({"iscsi session", "warn", "",
                               "no iSCSI session to " + portal + ": the pool runs on its other paths (degraded)",
                               restart_fix(pool), "", ""});
            else
                out.push_back({"iscsi session", "fail", "", "no iSCSI session to " + portal, restart_fix(pool), "", ""});
            continue;
        }
        const auto &details = read.text();
        // Listed is not working: a session whose portal stopped answering stays listed while
        // open-iscsi tries to recover it (--print 3: "iSCSI Session State: FAILED").
        const std::string state = details ? session_state(*details, pool, p) : "";
        if (!state.empty() && state != "LOGGED_IN")
            out.push_back({"iscsi session", pool.multipath() ? "warn" : "fail", "",
                           "the iSCSI session to " + portal + " is " + state + " (open-iscsi is recovering it)" +
                               (pool.multipath() ? ": the pool's I/O goes over its other paths" : ""),
                           "check the network to " + p.host + " port " + std::to_string(p.port), "", ""});
        else
            out.push_back(ok_finding("iscsi session", "logged in to " + portal));
        if (!details) continue;
        if (auto f = recovery_timeout_finding(*details, pool, p)) out.push_back(std::move(*f));
    }
}

// A pool with several portals: its dm-multipath map and each path's state (multipath_lun.hpp).
// Every path usable is ok; some not is a warning (I/O goes on over the others); none, or no
// map, fails: the pool's I/O is queued or failing.
void multipath_findings(System &sys, const PoolDef &pool, SessionDetails &read, std::vector<Finding> &out) {
    const auto &details = read.text();
    if (!details) {
        out.push_back({"multipath", "fail", "", "iscsiadm --mode session --print 3 did not answer: " + read.error(),
                       "systemctl status iscsid", "", ""});
        return;
    }
    const auto lun_paths = multipath_lun::lun_paths_in(*details, pool);
    auto map = multipath_lun::existing_map(sys, pool, lun_paths);
    if (!map.ok()) {
        out.push_back({"multipath", "fail", "", map.error().message, map.error().hint, "", ""});
        return;
    }
    auto paths = multipath_lun::path_health(sys, pool, lun_paths);
    if (!paths.ok()) {
        out.push_back({"multipath", "fail", "", paths.error().message, "multipath -ll " + *map, "", ""});
        return;
    }
    size_t usable = 0;
    std::string down;
    for (const auto &p : *paths) {
        if (p.usable) {
            ++usable;
            continue;
        }
        down += (down.empty() ? "" : ", ") + p.portal + " (" +
                (p.disk.empty() ? (p.session_state.empty() ? std::string("no session") : "session " + p.session_state)
                                : p.disk + " " + (p.dm_state.empty() ? std::string("not in the map")
                                                                     : p.dm_state + "/" + p.checker)) +
                ")";
    }
    const std::string counted = std::to_string(usable) + " of " + std::to_string(paths->size()) + " paths of " + *map;
    if (down.empty()) {
        out.push_back(ok_finding("multipath", counted + " usable"));
        return;
    }
    out.push_back({"multipath", usable > 0 ? "warn" : "fail", "", counted + " usable; down: " + down,
                   "check the network to those portals; multipath -ll " + *map + " shows the paths, "
                   "iscsiadm --mode session --print 1 the sessions",
                   "", ""});
}

}  // namespace

Result<std::vector<Finding>> Backend::diagnose_pool(const PoolDef &pool, const ReconcileInput &input, bool fix) {
    std::vector<Finding> out;
    const std::string vg = pool.vg_name;

    // The lockspace, and lvmlockd's view of the LV locks held here.
    std::map<std::string, lvm::LockctlVg> lockctl;
    bool lockctl_ok = false;
    if (pool.shared()) {
        auto info = sys_.run(lvm::lockctl_info());
        if (!info.ok() || !info->succeeded()) {
            out.push_back({"lockspace", "fail", "", "lvmlockd does not answer lvmlockctl -i: " + command_problem(info),
                           "systemctl start lvmlockd && " + restart_fix(pool), "", ""});
        } else {
            lockctl_ok = true;
            lockctl = lvm::parse_lockctl_info(info->out);
            std::optional<uint32_t> joined;
            if (pool.lock_type == LockType::sanlock) joined = own_host_id(pool);
            if (!lockctl.count(vg))
                out.push_back({"lockspace", "fail", "", "lvmlockd has not started the lockspace of VG " + vg,
                               restart_fix(pool), "", ""});
            else if (pool.lock_type == LockType::sanlock && !joined)
                out.push_back({"lockspace", "fail", "", "sanlock has not joined lockspace lvm_" + vg, restart_fix(pool), "", ""});
            else
                out.push_back(ok_finding("lockspace", "lockspace of VG " + vg + " started" +
                                                          (joined ? " (sanlock host_id " + std::to_string(*joined) + ")" : "")));
        }
    }

    // The iSCSI session to the pool's target.
    iscsi::PoolSessions sessions(sys_, pool, cfg_.iscsi_nodes_dirs);
    SessionDetails details(sys_);
    session_findings(pool, sessions, details, out);
    if (pool.multipath() && sessions.known() && sessions.any_up()) multipath_findings(sys_, pool, details, out);

    // The volumes: this host's local view (no VG lock, as the reconciler).
    auto lvs = load_lvs(pool, VgLock::none);
    if (!lvs.ok()) {
        out.push_back({"volumes", "fail", "", "lvs " + vg + ": " + lvs.error().message, "", "", ""});
    } else {
        if (lockctl_ok && lockctl.count(vg)) {
            size_t stale = 0;
            for (const auto &held : lockctl[vg].lv_modes) {
                // Not a structured binding: clang 14 (the fuzzing build) cannot capture one.
                const lvm::LockMode mode = held.second;
                auto lv = std::find_if(lvs->begin(), lvs->end(), [&](const lvm::LvReport &l) { return l.uuid == held.first; });
                if (lv == lvs->end() || lv->active_locally) continue;
                ++stale;
                const Command cmd = lvm::lv_deactivate(vg, lv->name);
                Finding f{"stale lock", "fail", lv->name,
                          std::string("this host holds an ") + (mode == lvm::LockMode::shared ? "sh" : "ex") +
                              " lock on " + vg + "/" + lv->name + " but the LV is not active here: other hosts get \"LV locked by other host\"",
                          cmd.display(), "", ""};
                if (input.in_use.count(lv->name)) {
                    f.what += "; a domain here uses it, so --fix leaves it alone";
                } else if (fix) {
                    auto r = sys_.run(cmd);
                    if (r.ok() && r->succeeded()) {
                        // lvchange -an succeeds even when lvmlockd releases nothing (measured after
                        // a `systemctl restart lvmlockd` that timed out): ask lvmlockd again.
                        auto again = sys_.run(lvm::lockctl_info());
                        const bool still_held = again.ok() && again->succeeded() &&
                                                lvm::parse_lockctl_info(again->out)[vg].lv_modes.count(held.first) > 0;
                        if (still_held) {
                            f.applied = "failed";
                            f.error = "lvmlockd still holds the lock after " + cmd.display() +
                                      " (it serves no unlock after a SIGTERM, e.g. a timed-out `systemctl restart "
                                      "lvmlockd`: see troubleshooting, The fault matrix)";
                        } else {
                            f.applied = "done";
                            spdlog::info("doctor {}: released the stale lock ({})", vg + "/" + lv->name, cmd.display());
                        }
                    } else {
                        f.applied = "failed";
                        f.error = command_problem(r);
                    }
                }
                out.push_back(std::move(f));
            }
            if (!stale) out.push_back(ok_finding("stale locks", "no LV lock held here without its LV active here"));
        }
        const auto read = lvm::read_by_active_chains(*lvs);   // templates clones here read
        for (const auto &lv : *lvs) {
            if (input.busy.count(lv.name)) continue;   // an ilvm command here works on it
            if (read.count(lv.name)) continue;         // read by an active clone (reconcile_plan.cpp)
            if (lvm::is_layer(lv)) continue;           // its chain's, released with it (reconcile_plan.cpp)
            if (lv.active_locally && !lv.device_open && !input.in_use.count(lv.name) && !input.held.count(lv.name))
                out.push_back({"idle volume", "warn", lv.name, "active here, not open, used by no domain here",
                               "none needed: ilvm reconcile (iscsi-lvm-reconcile.timer) releases it", "", ""});
            if (lv.incomplete())
                out.push_back({"incomplete volume", "warn", lv.name, "tagged ilvm_incomplete: an interrupted create or copy",
                               "ilvm reconcile --remove-incomplete", "", ""});
        }
    }

    // The VG's metadata area; lvm's global lock.
    auto mda = sys_.run(lvm::vgs_mda_report(vg));
    bool skipping_gl = false;
    if (!mda.ok() || !mda->succeeded()) {
        out.push_back({"metadata area", "warn", "", "vgs " + vg + ": " + command_problem(mda), "", "", ""});
    } else {
        skipping_gl = mda->err.find("Skipping global lock") != std::string::npos;
        auto rows = lvm::parse_vgs_mda_json(mda->out);
        if (!rows.ok() || rows->empty()) {
            out.push_back({"metadata area", "warn", "", rows.ok() ? "vgs reported no VG " + vg : rows.error().message, "", "", ""});
        } else {
            const auto &r = rows->front();
            const std::string numbers = std::to_string(r.mda_free) + " of " + std::to_string(r.mda_size) + " bytes free";
            if (r.mda_size && r.mda_free * 10 < r.mda_size)
                out.push_back({"metadata area", "warn", "", "VG " + vg + " metadata area nearly full: " + numbers,
                               "remove unused volumes (every LV takes metadata space), or move the VG to PVs made with a "
                               "larger pvcreate --metadatasize",
                               "", ""});
            else
                out.push_back(ok_finding("metadata area", numbers));
        }
    }
    if (pool.shared() && lockctl_ok) {
        const bool held = std::any_of(lockctl.begin(), lockctl.end(), [](const auto &kv) { return kv.second.holds_global; });
        if (!held || skipping_gl)
            out.push_back({"global lock", "warn", "",
                           skipping_gl ? "lvm is skipping the global lock (\"Skipping global lock\")"
                                       : "no lockspace started here holds lvm's global lock",
                           "lvmlockctl --gl-enable " + vg + " (on one host, when the VG that had it is gone)", "", ""});
        else
            out.push_back(ok_finding("global lock", "held in a lockspace started here"));
    }
    return out;
}

}  // namespace ilvm
