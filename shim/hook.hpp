// SPDX-License-Identifier: LGPL-2.1-or-later
// The qemu hook's decisions: which libvirt hook calls we act on, and what we do for each,
// independent of how volumes are (de)activated so tests can drive it with a fake runner.
//
// libvirt runs /etc/libvirt/hooks/qemu.d/* as `<hook> <domain> <op> <subop> <extra>` with
// the domain XML on stdin. A non-zero exit from "prepare begin" aborts the domain start
// and libvirt shows our stderr in its error. The hook must never call back into libvirt.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "host/core/agent_wire.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/pool_store.hpp"
#include "shim/handover.hpp"

namespace ilvm::hook {

struct Invocation {
    std::string domain;
    std::string op;
    std::string subop;
    std::string extra;
};

enum class Action {
    none,              // not ours: exit 0 at once, without reading stdin
    activate,          // prepare begin, restore begin
    deactivate,        // release end
    verify,            // reconnect begin (libvirtd restarted while the domain runs)
    accept_migration,  // migrate begin, on the destination: take the volumes shared
};

Action action_for(const Invocation &inv);

// What the hook needs from the backend.
class VolumeControl {
public:
    virtual ~VolumeControl() = default;
    virtual bool pool_started(const std::string &pool) = 0;
    virtual Result<bool> active_here(const std::string &pool, const std::string &volume) = 0;
    // changed: this call activated the volume (it was inactive here), so a rollback must undo
    // it; format: what the volume holds ("raw" | "qcow2"), from the same lvs.
    struct Activated {
        bool changed = false;
        std::string format = "raw";
    };
    virtual Result<Activated> activate(const std::string &pool, const std::string &volume, bool shared) = 0;
    virtual Status deactivate(const std::string &pool, const std::string &volume) = 0;
};

struct HookEnv {
    std::vector<host::PoolBinding> pools;
    // iscsi-lvm disks of the *other* domains running on this host (libvirt status files); an
    // error when one of their status files cannot be read (a start is then refused).
    std::function<Result<std::vector<host::DiskRef>>()> disks_of_other_running_domains;
    // Incoming live migrations (markers, the finisher unit); may be null (no migrations).
    Handover *handover = nullptr;
    // Asks this host's agent (ilvmd's local socket, host/core/agent_client.hpp) to have the
    // holders of an incoming domain's volumes share them. not_found: no agent runs here.
    // Null: never asked (then only a source that ran `ilvm migrate` has shared them).
    std::function<Result<host::AgentAnswer>(const host::AgentRequest &)> ask_agent;
    // The host-wide volume locks and owner records (shim/volume_claims.hpp). Required.
    const host::PoolStore *store = nullptr;
    Clock *clock = nullptr;
    // How long a start waits for another domain's hook working on the same volume.
    std::chrono::milliseconds wait_for_other_hooks{60'000};
    // True once the hook's own time is up: a start activates nothing more and undoes what it
    // activated. Null: never.
    std::function<bool()> timed_out;
    // True once the process that ran the hook (libvirtd, virtqemud) has exited: nobody waits
    // for this start any more (a daemon restart), so what it activated is undone. Null: never.
    std::function<bool()> caller_gone;
};

// Runs one hook invocation; returns the process exit code. Messages for libvirt's error go
// to `err`; details are logged (syslog).
int run_hook(const Invocation &inv, std::string_view domain_xml, const HookEnv &env, VolumeControl &vc, std::ostream &err);

// The same with the domain's disks already looked for (host::domain_disks of its XML and
// env.pools): the hook's main() looks before it loads the module, and does not look twice.
int run_hook_on_disks(const Invocation &inv, const Result<std::vector<host::DiskRef>> &disks, const HookEnv &env, VolumeControl &vc,
                      std::ostream &err);

}  // namespace ilvm::hook
