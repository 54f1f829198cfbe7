// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session.hpp"

#include <sstream>

#include "common/log.hpp"
#include "iscsi/node_record.hpp"

namespace ilvm::iscsi {

std::string iface_name_for_pool(const PoolDef &pool) { return ("ilvm-" + pool.name).substr(0, 64); }

NodeAddress node_address(const PoolDef &pool) {
    return NodeAddress{pool.target_iqn, pool.portal(), pool.initiator_iqn.empty() ? "" : iface_name_for_pool(pool)};
}

bool session_listed(std::string_view session_output, const std::string &target_iqn, const std::string &portal) {
    // "tcp: [3] 10.0.2.2:3260,1 iqn.2024-04.com.example:vms (non-flash)"
    std::istringstream in{std::string(session_output)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string transport, sid, portal_tpgt, iqn;
        if (!(fields >> transport >> sid >> portal_tpgt >> iqn)) continue;
        auto comma = portal_tpgt.rfind(',');
        if (portal_tpgt.substr(0, comma) == portal && iqn == target_iqn) return true;
    }
    return false;
}

Session::Session(System &sys, const PoolDef &pool, std::string nodes_dir)
    : sys_(sys), pool_(pool), nodes_dir_(std::move(nodes_dir)), node_(node_address(pool)) {}

Result<bool> Session::logged_in() {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(session_list()));
    if (out.exit_code == kErrNoObjectsFound) return false;  // "No active sessions."
    if (!out.succeeded()) return system_error("iscsiadm --mode session: " + out.first_error_line());
    return session_listed(out.out, pool_.target_iqn, pool_.portal());
}

Status Session::ensure_iface() {
    if (node_.iface.empty()) return {};
    auto created = sys_.run(iface_new(node_.iface));
    if (!created.ok()) return created.take_error();
    // An existing iface is fine ("already exists"); the update below makes it ours.
    ILVM_TRY(run_checked(sys_, iface_set_initiator(node_.iface, pool_.initiator_iqn),
                         "cannot set the initiator name of iSCSI iface " + node_.iface));
    return {};
}

Status Session::login(const std::optional<ChapCredentials> &chap) {
    ILVM_TRY(ensure_iface());

    ILVM_ASSIGN_OR_RETURN(auto query, sys_.run(node_query(node_)));
    const bool had_record = query.succeeded();
    if (!had_record)
        ILVM_TRY(run_checked(sys_, node_new(node_), "cannot create the iSCSI node record for " + pool_.target_iqn));

    auto undo = [&](Error e) -> Status {
        if (!had_record) {
            auto r = sys_.run(node_delete(node_));
            if (!r.ok() || !r->succeeded()) spdlog::warn("could not remove the node record created for {}", pool_.target_iqn);
        }
        return e;
    };

    // Manual startup: at boot, iscsi-lvm.service logs in the pools that are marked
    // autostart, in order with lock-start; open-iscsi must not race it.
    auto st = run_checked(sys_, node_update(node_, "node.startup", "manual"), "cannot update the iSCSI node record");
    if (!st.ok()) return undo(st.take_error());

    if (chap) {
        auto files = find_node_record_files(sys_, nodes_dir_, node_, pool_.portal_host, pool_.portal_port);
        if (!files.ok()) return undo(files.take_error());
        for (const auto &f : *files) {
            auto w = write_chap_settings(sys_, f, chap->username, chap->password);
            if (!w.ok()) return undo(w.take_error());
        }
    }

    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(iscsi::login(node_)));
    if (out.succeeded() || out.exit_code == kErrSessionExists) return {};
    if (out.exit_code == kErrLoginAuthFailed)
        return undo(invalid_input("iSCSI login to " + pool_.target_iqn + " at " + pool_.portal() +
                                      " failed: CHAP authentication rejected by the target",
                                  "check the username in the pool XML and the value of its libvirt secret"));
    return undo(system_error("iSCSI login to " + pool_.target_iqn + " at " + pool_.portal() + " failed: " +
                                 out.first_error_line(),
                             "is the target reachable from this host (iscsiadm --mode discovery)?"));
}

Status Session::logout() {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(iscsi::logout(node_)));
    if (out.succeeded() || out.exit_code == kErrNoObjectsFound) return {};
    return system_error("iSCSI logout from " + pool_.target_iqn + " failed: " + out.first_error_line());
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
    return system_error("cannot remove the iSCSI node record for " + pool_.target_iqn + ": " + out.first_error_line());
}

}  // namespace ilvm::iscsi
