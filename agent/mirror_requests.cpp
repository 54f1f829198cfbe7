// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/mirror_requests.hpp"

#include "host/core/summaries.hpp"
#include "host/libvirt/libvirt_mirror_pool.hpp"
#include "host/libvirt/mirror_sync.hpp"

namespace ilvm::agent {

host::AgentAnswer refresh_changed_pool(const host::PoolStore &store, const std::string &libvirt_uri, const std::string &pool) {
    if (!store.active(pool))
        return {not_found("pool " + pool + " is not started on this host"), {}, {}};
    auto xml = store.load_runtime(pool);
    if (!xml.ok()) return {xml.take_error(), {}, {}};
    auto summary = host::summarize_pool(*xml);
    if (!summary.ok()) return {summary.take_error(), {}, {}};
    // A fresh connection, as a pass makes: one that a libvirtd restart closed is never reused.
    auto mirror = host::make_libvirt_mirror_pool(libvirt_uri);
    Status refreshed = host::mirror_refresh(*mirror, pool, summary->vg);
    if (!refreshed.ok()) return {std::move(refreshed), {}, {}};
    return {Status(), {}, "mirror of pool " + pool + " refreshed"};
}

host::AgentAnswer inspect_pool_mirror(const host::PoolStore &store, const std::string &libvirt_uri, const std::string &pool) {
    if (!store.exists(pool)) return {not_found("pool " + pool + " is not defined on this host"), {}, {}};
    auto xml = store.load(pool);
    if (!xml.ok()) return {xml.take_error(), {}, {}};
    auto summary = host::summarize_pool(*xml);
    if (!summary.ok()) return {summary.take_error(), {}, {}};
    const host::MirrorInfo info = host::make_libvirt_mirror_pool(libvirt_uri)->inspect(pool, summary->vg);
    host::AgentAnswer answer{Status(), {}, {}};
    answer.mirror_state = host::mirror_state_name(info.state);
    answer.mirror_detail = info.detail;
    return answer;
}

}  // namespace ilvm::agent
