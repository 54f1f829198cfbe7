// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/json_views.hpp"

namespace ilvm::cli {

JsonValue to_json_value(const host::VolSummary &v) {
    JsonObject o{{"name", v.name},
                 {"key", text_or_null(v.key)},
                 {"path", text_or_null(v.path)},
                 {"format", v.format},
                 {"capacity", v.capacity},
                 {"allocation", v.allocation},
                 {"activation", v.activation},
                 {"open", v.open},
                 {"activation_skip", v.skip},
                 {"autoactivation", v.autoactivation},
                 {"incomplete", v.incomplete}};
    if (v.has_holder)
        o.emplace_back("holder", JsonObject{{"host_id", v.holder_id},
                                            {"host_name", text_or_null(v.holder_name)},
                                            {"mode", text_or_null(v.holder_mode)}});
    else
        o.emplace_back("holder", nullptr);
    return o;
}

JsonValue placed_json_value(const host::VolSummary &v) {
    auto j = to_json_value(v);
    std::get<JsonObject>(j.v).emplace_back("state", host::placement_state(v));
    std::get<JsonObject>(j.v).emplace_back("mode", text_or_null(host::placement_mode(v)));
    return j;
}

const char *pool_state_name(bool active) { return active ? "running" : "inactive"; }

}  // namespace ilvm::cli
