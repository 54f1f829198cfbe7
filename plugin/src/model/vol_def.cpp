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

}  // namespace ilvm
