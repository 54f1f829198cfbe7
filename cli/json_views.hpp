// SPDX-License-Identifier: LGPL-2.1-or-later
// How the verbs print volumes with --json (docs/man/ilvm.8, JSON OUTPUT).
#pragma once

#include "cli/ui/output.hpp"
#include "host/core/summaries.hpp"

namespace ilvm::cli {

JsonValue to_json_value(const host::VolSummary &v);

}  // namespace ilvm::cli
