// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/handover_service.hpp"

#include <glib.h>

#include "common/clock.hpp"
#include "common/env.hpp"
#include "common/log.hpp"
#include "host/core/volume_locks.hpp"
#include "host/handover/local_handover.hpp"

namespace ilvm::agent {
namespace {

std::string refusal_line(const Error &e) { return host::encode_answer({Status(e), {}, {}}); }

// One share's own module instance and what works through it (declared after it, so
// destroyed before it).
struct OwnedHandover {
    host::BackendClient module;
    host::LocalHandover local;
    OwnedHandover(host::BackendClient m, const std::string &libvirt_uri, const host::PoolStore &store)
        : module(std::move(m)), local(libvirt_uri, module, store) {}
};

}  // namespace

Result<HandoverConfig> handover_config_from_env(const std::string &libvirt_uri) {
    HandoverConfig c;
    c.libvirt_uri = libvirt_uri;
    ILVM_ASSIGN_OR_RETURN(uint64_t port, env_number("ILVM_AGENT_PORT", kDefaultPeerPort, 1, 65535));
    c.port = static_cast<uint16_t>(port);
    c.self_name = g_get_host_name();
    return c;
}

HandoverService::HandoverService(const host::PoolStore &store, HandoverConfig config, host::AskHolder ask)
    : store_(store), config_(std::move(config)), ask_(std::move(ask)) {
    if (!ask_)
        ask_ = [this](const std::string &holder, const host::AgentRequest &request) -> Result<host::AgentAnswer> {
            ILVM_ASSIGN_OR_RETURN(std::string line,
                                  peer_call(holder, config_.port, config_.pki, host::encode_request(request), config_.peer_timeout));
            auto answer = host::decode_answer(line);
            if (!answer.ok()) return system_error("the agent of " + holder + " answered something unreadable: " + answer.error().message);
            return answer;
        };
}

HandoverService::~HandoverService() {
    stopping_ = true;
    std::lock_guard lock(mutex_);
    for (auto &w : watches_)
        if (w.thread.joinable()) w.thread.join();
}

std::string HandoverService::answer_local(const std::string &request_line) {
    auto request = host::decode_request(request_line);
    if (!request.ok()) return refusal_line(request.error());
    if (request->op != host::AgentOp::incoming)
        return refusal_line(invalid_input("the local socket takes incoming-migration requests only"));
    const auto began = std::chrono::steady_clock::now();
    auto module = host::BackendClient::load(config_.module_options);
    if (!module.ok()) return refusal_line(module.error());
    host::ModuleVolumeLocks locks(*module, store_);
    auto shared = host::share_in(*request, locks, ask_, config_.self_name);
    const auto ms = millis_between(began, std::chrono::steady_clock::now());
    if (!shared.ok()) {
        spdlog::error("incoming migration of {}: {} ({} ms)", request->domain, shared.error().message, ms);
        return refusal_line(shared.error());
    }
    // The lab's measure of the hand-over's part at `migrate begin` (tests/e2e): keep "(N ms)" last.
    spdlog::info("incoming migration of {}: {} ({} ms)", request->domain, *shared, ms);
    return host::encode_answer({Status(), request->volumes, *shared});
}

std::string HandoverService::answer_peer(const std::string &request_line, const std::string &peer_subject) {
    auto request = host::decode_request(request_line);
    if (!request.ok()) {
        spdlog::warn("peer {}: {}", peer_subject, request.error().message);
        return refusal_line(request.error());
    }
    if (request->op == host::AgentOp::ping) return host::encode_answer({Status(), {}, "ilvmd on " + config_.self_name});
    if (request->op != host::AgentOp::share)
        return refusal_line(invalid_input("the peer channel takes share and ping requests only"));
    return host::encode_answer(share(*request, peer_subject));
}

Status HandoverService::ping(const std::string &host) {
    ILVM_ASSIGN_OR_RETURN(auto answer, ask_(host, {host::AgentOp::ping, "", {}, config_.self_name, {}}));
    return answer.status;
}

host::AgentAnswer HandoverService::share(const host::AgentRequest &request, const std::string &peer_subject) {
    const std::string requester = (request.from.empty() ? "?" : request.from) + " (" + peer_subject + ")";
    reap_finished();
    {
        // Asked again for a domain already shared (the destination's hook ran twice): same answer.
        std::lock_guard lock(mutex_);
        for (const auto &w : watches_)
            if (w.domain == request.domain && !w.done)
                return {Status(), w.volumes, "already shared for this migration"};
    }
    const auto began = std::chrono::steady_clock::now();
    auto module = host::BackendClient::load(config_.module_options);
    if (!module.ok()) return {Status(module.error()), {}, {}};
    auto owned = std::make_unique<OwnedHandover>(std::move(*module), config_.libvirt_uri, store_);
    auto shared = host::share_out(request.domain, requester, owned->local.env, config_.share);
    if (!shared.ok()) {
        spdlog::warn("refused to share the volumes of {} with {}: {}", request.domain, requester, shared.error().message);
        return {Status(shared.error()), {}, {}};
    }
    spdlog::info("shared {} volume(s) of {} with {} for its migration ({} ms)", shared->volumes.size(), request.domain,
                 requester, millis_between(began, std::chrono::steady_clock::now()));
    host::AgentAnswer answer{Status(), shared->volumes, "shared for the migration"};
    std::lock_guard lock(mutex_);
    Watch &w = watches_.emplace_back();
    w.domain = request.domain;
    w.volumes = shared->volumes;
    w.thread = std::thread([this, &w, owned = std::move(owned), out = std::move(*shared)]() mutable {
        auto outcome = host::watch_out(std::move(out), owned->local.env, config_.share, [this] { return stopping_.load(); });
        const std::string line = "migration of " + w.domain + " ended: " + host::watch_end_name(outcome.end) + ": " + outcome.detail;
        if (outcome.end == host::WatchEnd::migrated || outcome.end == host::WatchEnd::exclusive_again)
            spdlog::info("{}{}", line, outcome.end == host::WatchEnd::exclusive_again
                                           ? " (" + std::to_string(outcome.restore_ms) + " ms after the job ended)" : "");
        else
            spdlog::error("{}", line);
        w.done = true;
    });
    return answer;
}

void HandoverService::reap_finished() {
    std::lock_guard lock(mutex_);
    for (auto it = watches_.begin(); it != watches_.end();) {
        if (it->done) {
            it->thread.join();
            it = watches_.erase(it);
        } else {
            ++it;
        }
    }
}

std::vector<std::string> HandoverService::watching() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto &w : watches_)
        if (!w.done) out.push_back(w.domain);
    return out;
}

}  // namespace ilvm::agent
