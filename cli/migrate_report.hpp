// SPDX-License-Identifier: LGPL-2.1-or-later
// What `ilvm migrate` prints: host/handover/migrate_out's report as lines or JSON.
#pragma once

#include <string>

#include "host/handover/migrate_out.hpp"

namespace ilvm::cli {

// What `ilvm migrate` prints on stdout: "Domain web1 migrated to URI", then per volume
// "san/vm1: exclusive on host 2 (kvm-b), non-exclusive window 4830 ms"; or with json, an
// object with the per-volume windows (docs/man/ilvm.8).
std::string format_migrate_report(const host::MigrateOutOptions &opt, const host::MigrateOutReport &r, bool json);
// The warning for volumes whose exclusive lease was not seen in time; "" when all were.
std::string unconfirmed_warning(const host::MigrateOutOptions &opt, const host::MigrateOutReport &r);

}  // namespace ilvm::cli
