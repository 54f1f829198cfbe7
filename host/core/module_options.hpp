// SPDX-License-Identifier: LGPL-2.1-or-later
// The backend module's options (iscsi_lvm_open's key=value pairs) a host program takes from
// its environment, the same for ilvm and ilvmd: ILVM_LIBVIRT_URI, ILVM_ISCSI_NODES_DIR,
// ILVM_DEVICE_TIMEOUT_MS, ILVM_COMMAND_WRAPPER (ilvm(8), ENVIRONMENT). Unset or empty
// variables leave the module's defaults.
#pragma once

#include <map>
#include <string>

namespace ilvm::host {

std::map<std::string, std::string> module_options_from_env();

}  // namespace ilvm::host
