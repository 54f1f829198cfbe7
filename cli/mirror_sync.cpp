#include "mirror_sync.hpp"

#include "core/log.hpp"

namespace ilvm::cli {
namespace {

std::string warn(const std::string &name, const char *what, const std::string &why) {
    std::string line = "libvirt mirror pool " + name + " not " + what + ": " + why;
    spdlog::warn("{}", line);
    return line;
}

std::string warn_if_failed(const Status &st, const std::string &name, const char *what) {
    return st.ok() ? std::string() : warn(name, what, st.error().message);
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

std::string mirror_bring_up(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    switch (info.state) {
    case MirrorState::unreachable: return warn(name, "started", info.detail);
    case MirrorState::foreign: return warn(name, "started", info.detail);
    case MirrorState::active: return warn_if_failed(m.refresh(name), name, "refreshed");
    case MirrorState::absent:
        if (auto st = m.define(name, vg); !st.ok()) return warn(name, "defined", st.error().message);
        [[fallthrough]];
    case MirrorState::defined: return warn_if_failed(m.start(name), name, "started");
    }
    return {};
}

std::string mirror_refresh(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    if (info.state == MirrorState::unreachable) return warn(name, "refreshed", info.detail);
    if (info.state != MirrorState::active) return {};
    return warn_if_failed(m.refresh(name), name, "refreshed");
}

std::string mirror_bring_down(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    if (info.state == MirrorState::unreachable) return warn(name, "stopped", info.detail);
    if (info.state != MirrorState::active) return {};
    return warn_if_failed(m.stop(name), name, "stopped");
}

std::string mirror_remove(MirrorPool &m, const std::string &name, const std::string &vg) {
    auto info = m.inspect(name, vg);
    switch (info.state) {
    case MirrorState::unreachable: return warn(name, "undefined", info.detail);
    case MirrorState::absent: return {};
    case MirrorState::foreign:
        spdlog::info("leaving libvirt pool {} alone: it is not our mirror ({})", name, info.detail);
        return {};
    case MirrorState::active:
        if (auto st = m.stop(name); !st.ok()) return warn(name, "undefined", st.error().message);
        [[fallthrough]];
    case MirrorState::defined: return warn_if_failed(m.undefine(name), name, "undefined");
    }
    return {};
}

}  // namespace ilvm::cli
