// SPDX-License-Identifier: LGPL-2.1-or-later
#include "model/vol_def.hpp"

namespace ilvm {

const char *activation_state_name(ActivationState s) {
    switch (s) {
    case ActivationState::inactive: return "inactive";
    case ActivationState::exclusive: return "exclusive";
    case ActivationState::shared: return "shared";
    }
    return "inactive";
}

const char *vol_format_name(VolFormat f) {
    switch (f) {
    case VolFormat::raw: return "raw";
    case VolFormat::qcow2: return "qcow2";
    }
    return "raw";
}

std::optional<VolFormat> parse_vol_format(std::string_view name) {
    if (name == "raw") return VolFormat::raw;
    if (name == "qcow2") return VolFormat::qcow2;
    return std::nullopt;
}

}  // namespace ilvm
