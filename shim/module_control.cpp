// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/module_control.hpp"

#include "iscsi-lvm/backend.h"

namespace ilvm::hook {

Result<bool> ModuleControl::active_here(const std::string &pool, const std::string &volume) {
    ILVM_ASSIGN_OR_RETURN(auto v, locks_.inspect({pool, volume}, {}));
    return v.activation != "inactive";
}

Result<VolumeControl::Activated> ModuleControl::activate(const std::string &pool, const std::string &volume, bool shared) {
    // The reply is the volume as found before activation (one lvs, not two).
    ILVM_ASSIGN_OR_RETURN(auto before, locks_.activate_from({pool, volume}, shared));
    return Activated{before.activation == "inactive", before.format};
}

Status ModuleControl::deactivate(const std::string &pool, const std::string &volume) {
    // Every deactivation of the hook follows a domain's use (release) or a start that failed
    // (rollback): a volume still open may be udev's probe after QEMU closed it.
    return locks_.deactivate({pool, volume}, ILVM_DEACTIVATE_AFTER_USE);
}

}  // namespace ilvm::hook
