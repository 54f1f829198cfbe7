// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/reconcile/diagnose_pass.hpp"

#include <set>

#include "common/clock.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/status_files.hpp"
#include "host/core/volume_holds.hpp"
#include "host/core/volume_lock.hpp"
#include "host/core/volume_owners.hpp"
#include "host/reconcile/reconcile_pass.hpp"

namespace ilvm::host {

Result<std::vector<FindingView>> diagnose_pass(const PoolStore &store, const BackendClient &client, const std::string &pool,
                                               const std::string &pool_xml, bool fix) {
    const StatusDir status = read_status_dir(status_dir(), load_pool_bindings(store));
    std::set<std::string> in_use = volumes_in_use(status.domains, pool);
    // Any owner record counts (a stale one too: the reconciler, not the doctor, removes those).
    for (auto &vol : volumes_with_owners(store, pool)) in_use.insert(std::move(vol));
    std::set<std::string> busy;
    for (const auto &[vol, holder] : VolumeLock::held_in_pool(store, pool)) busy.insert(vol);
    const bool blind = !status.unreadable.empty();
    const int64_t now = unix_seconds();
    ILVM_ASSIGN_OR_RETURN(std::string xml,
                          client.diagnose_pool(pool_xml, format_reconcile_state(in_use, {}, busy, held_volumes(store, pool, now)),
                                               fix && !blind ? ILVM_DIAGNOSE_FIX : 0u));
    ILVM_ASSIGN_OR_RETURN(auto findings, parse_diagnosis(pool, xml));
    if (blind)
        findings.push_back({pool, "domains", "warn", "",
                            "cannot read " + status.unreadable.front().path + ": " + status.unreadable.front().why +
                                (fix ? "; --fix changed nothing" : ""),
                            "", "", ""});
    return findings;
}

}  // namespace ilvm::host
