// SPDX-License-Identifier: LGPL-2.1-or-later
// pool-autostart-all / pool-destroy-all: what iscsi-lvm.service runs at boot and shutdown
// (with --no-mirror: libvirtd starts after it and stops before it), and mirror-sync, what
// iscsi-lvm-mirror.service runs once libvirtd is up. Every pool is tried even when one
// fails (one bad LUN must not keep the others down); the exit status says whether all
// of them made it.
#include "cli/pool_lifecycle.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/mirror_sync.hpp"

namespace ilvm::cli {
namespace {

template <typename Each>
Status for_each_pool(Context &ctx, const std::vector<std::string> &names, const char *verb, Each &&each) {
    size_t failed = 0;
    for (const auto &name : names) {
        auto xml = ctx.pool_xml(name);
        auto lock = ctx.store.lock(name);
        Status st = !xml.ok() ? Status(xml.take_error()) : !lock.ok() ? Status(lock.take_error()) : each(name, *xml);
        if (st.ok()) continue;
        ++failed;
        // Warnings, so the one `error:` line stays the summary below.
        spdlog::warn("pool {} not {}: {}", name, verb, st.error().message);
    }
    if (failed)
        return system_error(std::to_string(failed) + " of " + std::to_string(names.size()) + " pool(s) could not be " + verb,
                            "see the warnings above; ilvm pool-info POOL shows each pool's state");
    return {};
}

Mirror mirror_option(const Args &args) { return args.flag("no-mirror") ? Mirror::leave : Mirror::sync; }

}  // namespace

Status pool_autostart_all(Context &ctx, const Args &args) {
    std::vector<std::string> names;
    for (const auto &name : ctx.store.names())
        if (ctx.store.autostart(name) && !ctx.store.active(name)) names.push_back(name);
    return for_each_pool(ctx, names, "started", [&](const std::string &name, const std::string &xml) -> Status {
        ILVM_TRY(start_pool_locked(ctx, name, xml, mirror_option(args)));
        *ctx.out << "Pool " << name << " started\n";
        return {};
    });
}

Status pool_destroy_all(Context &ctx, const Args &args) {
    std::vector<std::string> names;
    for (const auto &name : ctx.store.names())
        if (ctx.store.active(name)) names.push_back(name);
    return for_each_pool(ctx, names, "stopped", [&](const std::string &name, const std::string &xml) -> Status {
        ILVM_TRY(stop_pool_locked(ctx, name, xml, mirror_option(args)));
        *ctx.out << "Pool " << name << " destroyed\n";
        return {};
    });
}

Status mirror_sync(Context &ctx, const Args &) {
    for (const auto &name : ctx.store.names()) {
        if (!ctx.store.active(name)) continue;
        auto xml = ctx.pool_xml(name);
        if (!xml.ok()) continue;
        auto p = host::summarize_pool(*xml);
        // Warnings only: a missing libvirtd or a foreign pool must not fail the boot.
        if (p.ok()) continue_after(host::mirror_bring_up(ctx.mirror(), name, p->vg), host::kMirrorIsAView);
    }
    return {};
}

}  // namespace ilvm::cli
