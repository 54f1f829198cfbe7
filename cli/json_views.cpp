// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/json_views.hpp"

namespace ilvm::cli {

JsonValue to_json_value(const host::VolSummary &v) {
    JsonObject o{{"name", v.name},
                 {"key", v.key},
                 {"path", v.path},
                 {"capacity", v.capacity},
                 {"allocation", v.allocation},
                 {"activation", v.activation},
                 {"open", v.open},
                 {"activation_skip", v.skip},
                 {"autoactivation", v.autoactivation},
                 {"incomplete", v.incomplete}};
    if (v.has_holder)
        o.emplace_back("holder", JsonObject{{"host_id", v.holder_id},
                                            {"host_name", v.holder_name},
                                            {"mode", v.holder_mode.empty() ? JsonValue() : JsonValue(v.holder_mode)}});
    else
        o.emplace_back("holder", nullptr);
    return o;
}

}  // namespace ilvm::cli
