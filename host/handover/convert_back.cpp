// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/handover/convert_back.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace ilvm::host {

using std::chrono::milliseconds;

Result<DomainRun> domain_state_with_retries(const std::string &domain, HandoverEnv &env, milliseconds bound,
                                            milliseconds interval) {
    auto run = env.domains.state(domain);
    const auto deadline = env.clock.now() + bound;
    while (!run.ok() && env.clock.now() < deadline) {
        spdlog::info("cannot tell yet whether {} still runs here ({}); asking libvirt again", domain, run.error().message);
        env.clock.sleep_for(interval);
        run = env.domains.state(domain);
    }
    return run;
}

std::vector<StillShared> convert_back(const std::vector<VolumeRef> &volumes, HandoverEnv &env, milliseconds bound,
                                      milliseconds interval) {
    std::vector<StillShared> pending;
    for (const auto &v : volumes) pending.push_back({v, {}});
    const auto deadline = env.clock.now() + bound;
    for (;;) {
        for (auto it = pending.begin(); it != pending.end();) {
            auto st = env.locks.poll_exclusive(it->volume);
            if (st.ok()) {
                spdlog::info("{}: exclusive again on this host", it->volume.display());
                it = pending.erase(it);
                continue;
            }
            if (it->last_error != st.error().message)
                spdlog::info("{}: not exclusive yet: {}", it->volume.display(), st.error().message);
            it->last_error = st.error().message;
            ++it;
        }
        const auto now = env.clock.now();
        if (pending.empty() || now >= deadline) return pending;
        env.clock.sleep_for(std::min(interval, std::chrono::duration_cast<milliseconds>(deadline - now)));
    }
}

std::string names_of(const std::vector<StillShared> &left) {
    std::string s;
    for (const auto &l : left) s += (s.empty() ? "" : ", ") + l.volume.display();
    return s;
}

std::string repair_hint(const std::string &domain, const std::vector<StillShared> &left) {
    std::string cmds;
    for (const auto &l : left) {
        spdlog::warn("{} of domain {} is still SHARED on this host: {}", l.volume.display(), domain, l.last_error);
        cmds += (cmds.empty() ? "" : "; ") + std::string("ilvm vol-activate ") + l.volume.volume + " --pool " + l.volume.pool;
    }
    return domain + " runs on this host but " + names_of(left) + " could not be made exclusive again: once the destination "
           "has released them, run " + cmds + " (ilvmd's reconcile also retries, on each domain or pool event and at least every 5 minutes)";
}

}  // namespace ilvm::host
