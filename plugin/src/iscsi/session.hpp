// SPDX-License-Identifier: LGPL-2.1-or-later
// Logging a host into the pool's LUN and out again, idempotently, leaving nothing behind
// when a login fails (no node record, no half-open session).
#pragma once

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

// open-iscsi iface names are at most 64 characters.
std::string iface_name_for_pool(const PoolDef &pool);
NodeAddress node_address(const PoolDef &pool);

// True when `iscsiadm -m session` output lists a session to target at portal.
bool session_listed(std::string_view session_output, const std::string &target_iqn, const std::string &portal);

class Session {
public:
    Session(System &sys, const PoolDef &pool, std::string nodes_dir);

    Result<bool> logged_in();
    // Ensures the record (configured portal, initiator iface, CHAP in the record file) and
    // logs in; call it when logged_in() said no. On failure, removes a record it created
    // and reports auth failures clearly.
    Status login(const std::optional<ChapCredentials> &chap);
    Status logout();          // no session is fine
    Status delete_record();   // no record is fine
    Status delete_iface();    // the ilvm-<pool> iface, when the pool names an initiator

private:
    Status ensure_iface();

    System &sys_;
    const PoolDef &pool_;
    std::string nodes_dir_;
    NodeAddress node_;
};

}  // namespace ilvm::iscsi
