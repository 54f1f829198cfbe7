// SPDX-License-Identifier: LGPL-2.1-or-later
// The migration source's side of a stock `virsh migrate` (docs/agent.md, "Hand-over"), run by
// ilvmd when the destination's agent asks the holder of a domain's volumes to share them:
//
//   share_out():  the domain must run here under an outgoing migration job (libvirt's job
//                 stats), else it is refused before anything changes; take the domain's
//                 hand-over lock (handover_files.hpp, held until the job ends: the reconciler
//                 leaves its volumes alone meanwhile), then ex -> sh for each of its exclusive
//                 volumes. If one fails, those already converted go back to ex: refused.
//   watch_out():  after the answer: wait for the job to end. The domain gone from here: it
//                 migrated (libvirt's Confirm stopped it, our release hook deactivated its
//                 volumes). Still running here (a failed or cancelled migration): back to ex
//                 at once, retrying while the destination still holds them shared.
//
// The same decisions as `ilvm migrate` (migrate_out.hpp), without being the caller of libvirt's
// migration: the job says when it ends.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "common/result.hpp"
#include "host/handover/handover_env.hpp"

namespace ilvm::host {

struct ShareOutOptions {
    std::chrono::milliseconds lock_wait{3'000};       // a reconcile pass may hold the domain's lock briefly
    std::chrono::milliseconds job_poll{250};          // how often the job is looked at
    // libvirtd restarted during the migration (often why it failed): ask again for this long.
    std::chrono::milliseconds state_retry_timeout{60'000};
    std::chrono::milliseconds state_retry_interval{1'000};
    std::chrono::milliseconds convert_back_timeout{60'000};
    std::chrono::milliseconds convert_back_interval{250};
};

// The volumes shared for one domain's outgoing migration, and the hand-over lock that says so.
struct SharedOut {
    std::string domain;
    std::vector<VolumeRef> volumes;
    FileLock lock;
};

// Refusals, each before anything changed: invalid_input (the name), not_found (no such
// domain here), conflict (not running here, no outgoing migration job, another hand-over of
// it in progress, a volume that cannot be shared), system (libvirt cannot be asked).
// `requester` (the asking host) is only logged.
Result<SharedOut> share_out(const std::string &domain, const std::string &requester, HandoverEnv &env,
                            const ShareOutOptions &opt);

enum class WatchEnd {
    migrated,          // the domain left this host; nothing of it is left here
    exclusive_again,   // it still runs here and every volume is exclusive again
    still_shared,      // it runs here, but some volumes stayed shared (the reconciler retries)
    stopped,           // the agent is stopping: the lock file stays for the reconciler
    unknown,           // libvirt could not say where the domain runs: the lock file stays
};
const char *watch_end_name(WatchEnd end);

struct WatchOutcome {
    WatchEnd end = WatchEnd::unknown;
    std::string detail;
    // From the first poll that saw the job ended to every volume exclusive again (exclusive_again).
    int64_t restore_ms = 0;
};

// Blocks until the domain's job ends (polls every job_poll; `stopping` is asked as often) and
// then acts as the header says. Releases (and on a clean end removes) the lock.
WatchOutcome watch_out(SharedOut shared, HandoverEnv &env, const ShareOutOptions &opt,
                       const std::function<bool()> &stopping);

}  // namespace ilvm::host
