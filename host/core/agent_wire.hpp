// SPDX-License-Identifier: LGPL-2.1-or-later
// The messages of ilvmd's hand-over (docs/agent.md, "Hand-over"), one JSON object per line:
//
//   hook -> local ilvmd (unix socket)   {"op":"incoming","domain":"web1","volumes":[{"pool":"san","volume":"vm1"}]}
//   ilvmd -> holder's ilvmd (TLS)       {"op":"share","domain":"web1","from":"hostb"}
//   ilvmd -> any peer's ilvmd (TLS)     {"op":"ping","from":"hostb"}   (is it reachable? docs/agent.md)
//   ilvm -> local ilvmd (unix socket)   {"op":"pool-changed","pool":"san"}  (a verb changed its volumes)
//   ilvm -> local ilvmd (unix socket)   {"op":"mirror-state","pool":"san"}  (pool-info: the libvirt mirror)
//                                       answer: {"ok":true,…,"mirror":{"state":"active","detail":""}}
//   every answer                        {"ok":true,"volumes":[…],"detail":"…"}
//                                       {"ok":false,"class":"conflict","message":"…","hint":"…"}
//
// Decoding checks every field (a peer is authenticated, not trusted to be well-formed): a
// domain name as libvirt allows it, pool and volume names as pool-define and vol-create do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "host/core/volume_ref.hpp"

namespace ilvm::host {

enum class AgentOp {
    incoming,   // the destination's hook: make this domain's volumes shareable for its migration here
    share,      // one agent to the holder's: share this domain's volumes (it migrates away from you)
    ping,       // one agent to another: answer, so that doctor can say the peer is reachable
    pool_changed,   // ilvm to its host's agent: a verb changed this pool's volumes; refresh the
                    // libvirt mirror now (answered when it shows the change), reconcile after
    mirror_state,   // ilvm to its host's agent: how is this pool's libvirt mirror (pool-info)
};

struct AgentRequest {
    AgentOp op = AgentOp::incoming;
    std::string domain;               // incoming, share
    std::vector<VolumeRef> volumes;   // incoming: the domain's disks that are neither readonly nor shareable
    std::string from;                 // share, ping: the asking host, for the logs
    std::string pool;                 // pool_changed, mirror_state
    // pool_changed, optional: a running domain whose disk the verb moved to another volume
    // (a running domain's snapshot): the agent watches that domain's qcow2 disks again.
    std::string moved_domain{};
};

struct AgentAnswer {
    Status status;                    // the refusal, with its class, message and hint
    std::vector<VolumeRef> volumes;   // share: the volumes shared; incoming: the volumes handed over
    std::string detail;               // one line for the logs, e.g. "hosta shared 1 volume(s)"
    std::string mirror_state{};       // mirror_state: mirror_state_name() of host/libvirt/mirror_pool.hpp
    std::string mirror_detail{};      // mirror_state: why unreachable / foreign
};

std::string encode_request(const AgentRequest &request);
Result<AgentRequest> decode_request(std::string_view line);
std::string encode_answer(const AgentAnswer &answer);
Result<AgentAnswer> decode_answer(std::string_view line);

}  // namespace ilvm::host
