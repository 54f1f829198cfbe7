// SPDX-License-Identifier: LGPL-2.1-or-later
#include "model/pool_def.hpp"

#include "common/names.hpp"

namespace ilvm {

const char *lock_type_name(LockType t) {
    switch (t) {
    case LockType::sanlock: return "sanlock";
    case LockType::dlm: return "dlm";
    case LockType::none: return "none";
    }
    return "none";
}

std::string PoolDef::portal() const {
    std::string host = is_ipv6_literal(portal_host) ? "[" + portal_host + "]" : portal_host;
    return host + ":" + std::to_string(portal_port);
}

std::string PoolDef::by_path_device() const {
    return "/dev/disk/by-path/ip-" + portal() + "-iscsi-" + target_iqn + "-lun-" + std::to_string(lun);
}

}  // namespace ilvm
