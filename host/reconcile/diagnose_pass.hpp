// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm doctor`'s checks of one started pool: the backend's diagnose_pool fed with what
// the host knows and LVM does not (the volumes domains here use: libvirt's status files and
// the owner records; the volumes an ilvm command here works on). Read-only, but for `fix`.
#pragma once

#include <string>
#include <vector>

#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/reconcile/reconcile_wire.hpp"

namespace ilvm::host {

// With `fix`, the backend runs `lvchange -an VG/LV` for each stale LV lock whose LV no domain
// here uses; never when a status file does not read (any domain may use any volume then).
Result<std::vector<FindingView>> diagnose_pass(const PoolStore &store, const BackendClient &client, const std::string &pool,
                                               const std::string &pool_xml, bool fix);

}  // namespace ilvm::host
