// SPDX-License-Identifier: LGPL-2.1-or-later
// After a hand-over that did not happen (a failed or cancelled migration, a refused share),
// the source's volumes go back from shared to exclusive here. The destination may still hold
// them shared for a moment (its release hook drops them when libvirt tears the incoming
// domain down), so each conversion is retried while it meets "locked by other host".
// Used by `ilvm migrate` (migrate_out.hpp) and by ilvmd's peer hand-over (share_out.hpp),
// which also both first ask whether the domain still runs here.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "host/handover/handover_env.hpp"

namespace ilvm::host {

struct StillShared {
    VolumeRef volume;
    std::string last_error;
};

// Where the domain is now, asked again every `interval` for up to `bound` while libvirt
// cannot answer: a libvirtd restarted during the migration (often why it failed) drops the
// connection and answers again a few seconds later.
Result<DomainRun> domain_state_with_retries(const std::string &domain, HandoverEnv &env, std::chrono::milliseconds bound,
                                            std::chrono::milliseconds interval);

// sh -> ex for every volume, retrying (every `interval`, up to `bound`) while another host
// still holds one shared. Returns the volumes that stayed shared here.
std::vector<StillShared> convert_back(const std::vector<VolumeRef> &volumes, HandoverEnv &env,
                                      std::chrono::milliseconds bound, std::chrono::milliseconds interval);

// "san/vm1, san/vm2"
std::string names_of(const std::vector<StillShared> &left);

// Said loudly: a volume shared here while its domain runs here is not protected against a
// shared activation elsewhere. One warning per volume (with why); the hint says the repair.
std::string repair_hint(const std::string &domain, const std::vector<StillShared> &left);

}  // namespace ilvm::host
