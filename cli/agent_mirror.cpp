// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/agent_mirror.hpp"

#include "common/log.hpp"
#include "host/core/agent_client.hpp"

namespace ilvm::cli {
namespace {

// How long a verb waits for its agent: a refresh makes libvirtd run vgs and lvs (seconds on
// a busy host, ~2 s in the lab's TCG guests).
constexpr std::chrono::seconds kAgentMirrorTimeout{60};

// The agent's answer, or nullopt (logged) when no agent runs or it could not answer: the
// caller then does the work itself.
std::optional<host::AgentAnswer> ask_agent(const Context &ctx, host::AgentOp op, const std::string &pool,
                                           const std::string &moved_domain = {}) {
    const host::AgentRequest request{op, {}, {}, {}, pool, moved_domain};
    auto answer = host::call_local_agent(host::agent_socket_path(ctx.store), request, kAgentMirrorTimeout);
    if (!answer.ok()) {
        if (answer.error().code == ErrorCode::not_found) spdlog::debug("no ilvmd on this host: the verb asks libvirt itself");
        else spdlog::info("ilvmd did not answer about the mirror of pool {} ({}): the verb asks libvirt itself", pool,
                          answer.error().message);
        return std::nullopt;
    }
    if (!answer->status.ok()) {
        // An older agent refuses the request (invalid_input); one that cannot reach libvirtd says so.
        spdlog::info("ilvmd could not do it for the mirror of pool {} ({}): the verb tries itself", pool,
                     answer->status.error().message);
        return std::nullopt;
    }
    return *answer;
}

}  // namespace

bool mirror_refreshed_by_agent(const Context &ctx, const std::string &pool, const std::string &moved_domain) {
    auto answer = ask_agent(ctx, host::AgentOp::pool_changed, pool, moved_domain);
    if (answer) spdlog::debug("ilvmd: {}", answer->detail);
    return answer.has_value();
}

host::MirrorInfo inspect_mirror(Context &ctx, const std::string &pool, const std::string &vg) {
    if (auto answer = ask_agent(ctx, host::AgentOp::mirror_state, pool)) {
        if (auto state = host::mirror_state_from_name(answer->mirror_state)) return {*state, answer->mirror_detail};
        spdlog::info("ilvmd named an unknown mirror state '{}': the verb asks libvirt itself", answer->mirror_state);
    }
    return ctx.mirror().inspect(pool, vg);
}

}  // namespace ilvm::cli
