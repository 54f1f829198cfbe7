// SPDX-License-Identifier: LGPL-2.1-or-later
// How the verbs print volumes with --json (docs/man/ilvm.8, JSON OUTPUT).
#pragma once

#include "cli/ui/output.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::cli {

JsonValue to_json_value(const host::VolSummary &v);
// The same with where the volume is (pool-info and vol-list --json): "state" (active-here,
// held-elsewhere, free) and "mode"; `v` must come from an inspect that looked for the holder.
JsonValue placed_json_value(const host::VolSummary &v);

// A pool's state in JSON: libvirt's word, the one pool-info and pool-list --details print.
const char *pool_state_name(bool active);

}  // namespace ilvm::cli
