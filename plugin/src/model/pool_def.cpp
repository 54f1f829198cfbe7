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

const char *lock_failure_policy_name(LockFailurePolicy p) {
    switch (p) {
    case LockFailurePolicy::pause: return "pause";
    case LockFailurePolicy::poweroff: return "poweroff";
    }
    return "pause";
}

bool Portal::is(std::string_view other_host, uint16_t other_port) const {
    return port == other_port && same_host(host, other_host);
}

std::string Portal::address() const {
    return (is_ipv6_literal(host) ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// udev's path_id builtin (systemd src/udev/udev-builtin-path_id.c handle_scsi_iscsi()):
// "ip-%s:%s-iscsi-%s-lun-%s" with the session's persistent_address, which iscsid sets to the
// node record's address as iscsiadm was given it (open-iscsi usr/initiator_common.c): the
// canonical host, without brackets even for IPv6.
std::string Portal::by_path_device(const std::string &target_iqn, uint32_t lun) const {
    return "/dev/disk/by-path/ip-" + host + ":" + std::to_string(port) + "-iscsi-" + target_iqn + "-lun-" +
           std::to_string(lun);
}

}  // namespace ilvm
