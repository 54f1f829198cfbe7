// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/mirror_sync.hpp"

#include "common/log.hpp"

namespace ilvm::host {
namespace {

Status failed(const std::string &name, const char *what, const std::string &why) {
    return system_error("libvirt mirror pool " + name + " not " + what + ": " + why);
}

Status failed_if(const Status &st, const std::string &name, const char *what) {
    return st.ok() ? Status() : failed(name, what, st.error().message);
}

}  // namespace

Status mirror_check(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    if (info.state != MirrorState::foreign) return {};
    return conflict("libvirt already has a pool named '" + name + "' that is not the mirror of volume group " + vg + ": " +
                        info.detail,
                    "iscsi-lvm never redefines another libvirt pool; rename one of them, or remove the libvirt one "
                    "(virsh pool-destroy/pool-undefine " + name + ") if it is a stale copy");
}

Status mirror_bring_up(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    switch (info.state) {
    case MirrorState::unreachable: return failed(name, "started", info.detail);
    case MirrorState::foreign: return failed(name, "started", info.detail);
    case MirrorState::active: return failed_if(m.refresh(name), name, "refreshed");
    case MirrorState::absent:
        if (auto st = m.define(name, vg); !st.ok()) return failed(name, "defined", st.error().message);
        [[fallthrough]];
    case MirrorState::defined: return failed_if(m.start(name), name, "started");
    }
    return {};
}

Status mirror_refresh(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    if (info.state == MirrorState::unreachable) return failed(name, "refreshed", info.detail);
    if (info.state != MirrorState::active) return {};
    Status refreshed = m.refresh(name);
    if (refreshed.ok()) return {};
    // libvirt stops a pool whose refresh failed (storagePoolRefresh), and stopping a logical
    // pool runs `vgchange -aln VG`. A refresh fails when an LV that lvs listed as active has
    // no device when libvirt opens it: a deactivation, or a device removed, during the refresh.
    if (m.inspect(name, vg).state == MirrorState::defined)
        return failed(name, "refreshed",
                      refreshed.error().message + "; libvirt stopped the mirror after that failure, and stopping a logical pool runs "
                      "`vgchange -aln " + vg + "`: every volume of " + vg + " active on this host that nothing held open "
                      "was deactivated, a --hold activation too (its lock released); ilvm mirror-sync shows the mirror again, "
                      "ilvm vol-activate makes a volume active again");
    return failed(name, "refreshed", refreshed.error().message);
}

Status mirror_bring_down(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    if (info.state == MirrorState::unreachable) return failed(name, "stopped", info.detail);
    if (info.state != MirrorState::active) return {};
    return failed_if(m.stop(name), name, "stopped");
}

Status mirror_remove(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    switch (info.state) {
    case MirrorState::unreachable: return failed(name, "undefined", info.detail);
    case MirrorState::absent: return {};
    case MirrorState::foreign:
        spdlog::info("leaving libvirt pool {} alone: it is not our mirror ({})", name, info.detail);
        return {};
    case MirrorState::active:
        if (auto st = m.stop(name); !st.ok()) return failed(name, "undefined", st.error().message);
        [[fallthrough]];
    case MirrorState::defined: return failed_if(m.undefine(name), name, "undefined");
    }
    return {};
}

}  // namespace ilvm::host
