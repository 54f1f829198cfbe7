// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/share_in.hpp"

#include <algorithm>
#include <map>

#include "common/clock.hpp"
#include "common/log.hpp"

namespace ilvm::host {
namespace {

std::string names(const std::vector<VolumeRef> &volumes) {
    std::string s;
    for (const auto &v : volumes) s += (s.empty() ? "" : ", ") + v.display();
    return s;
}

}  // namespace

Result<std::string> share_in(const AgentRequest &incoming, VolumeLocks &locks, const AskHolder &ask,
                             const std::string &self_name) {
    const std::string &domain = incoming.domain;
    // Where the time at `migrate begin` goes (it delays libvirt's migration): logged per holder.
    const auto began = std::chrono::steady_clock::now();
    // Holder name -> the volumes it holds exclusively.
    std::map<std::string, std::vector<VolumeRef>> by_holder;
    for (const auto &v : incoming.volumes) {
        auto info = locks.inspect(v, {.find_holder = true});
        if (!info.ok())
            return system_error("cannot read the lock of " + v.display() + " for the incoming migration of " + domain + ": " +
                                    info.error().message,
                                info.error().hint);
        if (info->activation != "inactive") continue;                       // already active here
        if (!info->has_holder || info->holder_mode != "exclusive") continue;   // free, or shared already
        if (info->holder_name.empty())
            return system_error(v.display() + " is held exclusively by host " + std::to_string(info->holder_id) +
                                    ", whose name its lease does not say: its agent cannot be asked to share it",
                                "migrate with `ilvm migrate " + domain + " DESTURI` on that host");
        by_holder[info->holder_name].push_back(v);
    }
    if (by_holder.empty()) return "no volume of " + domain + " is held exclusively by another host";
    const int64_t read_ms = millis_between(began, std::chrono::steady_clock::now());

    std::string detail;
    for (const auto &[holder, wanted] : by_holder) {
        AgentRequest share{AgentOp::share, domain, {}, self_name, {}};
        const auto asked = std::chrono::steady_clock::now();
        auto answer = ask(holder, share);
        const int64_t ask_ms = millis_between(asked, std::chrono::steady_clock::now());
        if (!answer.ok())
            return system_error("cannot ask " + holder + ", which holds " + names(wanted) + ", to share it for the migration of " +
                                    domain + ": " + answer.error().message,
                                "start the agent there (on " + holder + ": systemctl start ilvmd), or migrate with "
                                "`ilvm migrate " + domain + " DESTURI` on " + holder);
        if (!answer->status.ok()) {
            Error e = answer->status.error();
            e.message = holder + " refused to share " + names(wanted) + " for the migration of " + domain + ": " + e.message;
            return e;
        }
        std::vector<VolumeRef> missing;
        for (const auto &v : wanted)
            if (std::find(answer->volumes.begin(), answer->volumes.end(), v) == answer->volumes.end()) missing.push_back(v);
        if (!missing.empty())
            return conflict(holder + " shared the volumes of " + domain + " it knows, but not " + names(missing) +
                                ": that host's " + domain + " does not use them",
                            "the domain's disks differ between the hosts; compare virsh dumpxml " + domain + " on both");
        spdlog::info("{} shared {} for the incoming migration of {} (its answer took {} ms; reading the locks here {} ms)",
                     holder, names(wanted), domain, ask_ms, read_ms);
        detail += (detail.empty() ? "" : "; ") + holder + " shared " + names(wanted);
    }
    return detail;
}

}  // namespace ilvm::host
