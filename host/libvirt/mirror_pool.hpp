// SPDX-License-Identifier: LGPL-2.1-or-later
// The libvirt "mirror pool": a stock libvirt `logical` pool with the same name as an
// iscsi-lvm pool, over the same VG, so that virsh vol-list, virt-manager's storage browser,
// virt-install --disk vol=POOL/VOL and <disk type='volume'> see our volumes on stock libvirt.
//
// It lives in the CLI, not in the backend module: the module is also loaded by the qemu
// hook, and a libvirt hook that calls back into libvirtd deadlocks it (libvirtd waits for
// the hook while holding the domain). Only `ilvm` links this code (cli/meson.build,
// ilvm-sync library); the hook binary cannot reach it.
//
// The mirror is safe only because every LV of our VGs has the activation-skip flag and
// autoactivation off: libvirt's start of a logical pool runs `vgchange -aly VG`, which then
// activates nothing; its stop runs `vgchange -aln VG`, which deactivates every LV active
// here that is not open (the volumes of running domains are open and stay). The reconciler
// (`ilvm reconcile`) repairs LVs that lack the flags, e.g. made by `virsh vol-create-as`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm::host {

enum class MirrorState {
    unreachable,  // no libvirt connection (libvirtd not running): nothing known
    absent,       // no libvirt pool of that name
    defined,      // our mirror, inactive
    active,       // our mirror, running
    foreign,      // a libvirt pool of that name that is not our mirror: never touched
};
const char *mirror_state_name(MirrorState s);
// The state mirror_state_name() named ("unknown" is unreachable); nullopt for any other word.
std::optional<MirrorState> mirror_state_from_name(std::string_view name);

struct MirrorInfo {
    MirrorState state = MirrorState::absent;
    std::string detail;   // why unreachable / foreign (one line)
};

// The XML we define: no <source><device>, so `virsh pool-build` / `pool-delete` on the
// mirror have no device to wipe or pvremove.
std::string mirror_pool_xml(const std::string &name, const std::string &vg);

class MirrorPool {
public:
    virtual ~MirrorPool() = default;
    // What libvirt has under `name`, judged against the VG it must mirror.
    virtual MirrorInfo inspect(const std::string &name, const std::string &vg) = 0;
    virtual Status define(const std::string &name, const std::string &vg) = 0;   // autostart off
    virtual Status start(const std::string &name) = 0;
    virtual Status refresh(const std::string &name) = 0;
    virtual Status stop(const std::string &name) = 0;
    virtual Status undefine(const std::string &name) = 0;
};

}  // namespace ilvm::host
