// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/thin_growth.hpp"

#include <algorithm>
#include <chrono>

#include <libvirt/libvirt.h>

#include "common/env.hpp"
#include "common/log.hpp"
#include "common/size.hpp"
#include "host/core/domain_disks.hpp"

namespace ilvm::agent {
namespace {

constexpr uint64_t MiB = 1ULL << 20;
// The write offset an ENOSPC pause stands for: past any threshold (the guest wrote at the end).
constexpr uint64_t kAtTheEnd = UINT64_MAX;

std::string key(const std::string &pool, const std::string &volume) { return pool + "/" + volume; }

}  // namespace

Result<GrowthPolicy> growth_policy_from_env() {
    GrowthPolicy p;
    ILVM_ASSIGN_OR_RETURN(uint64_t chunk, env_number("ILVM_THIN_CHUNK_MIB", p.chunk / MiB, 64, 65536));
    p.chunk = chunk * MiB;
    // By default a fifth of the chunk (oVirt's proportion), 64 to 512 MiB, and never more than
    // half a chunk (else one growth would not get the LV past the next threshold).
    const uint64_t lowest = std::min<uint64_t>(64, chunk / 2), highest = chunk / 2;
    const uint64_t fifth = std::clamp<uint64_t>(chunk / 5, lowest, std::min<uint64_t>(p.free_left / MiB, highest));
    ILVM_ASSIGN_OR_RETURN(uint64_t left, env_number("ILVM_THIN_THRESHOLD_MIB", fifth, lowest, highest));
    p.free_left = left * MiB;
    return p;
}

uint64_t write_threshold(uint64_t allocation, const GrowthPolicy &policy) {
    return allocation > policy.free_left ? allocation - policy.free_left : 1;
}

uint64_t growth_target(uint64_t allocation, const GrowthPolicy &policy) {
    return allocation > UINT64_MAX - policy.chunk ? UINT64_MAX : allocation + policy.chunk;
}

bool split_disk_node(const std::string &node, std::string &target, int &index) {
    const auto open = node.find('[');
    if (open == std::string::npos) {
        if (node.empty()) return false;
        target = node;
        index = -1;
        return true;
    }
    if (open == 0 || node.back() != ']' || node.size() - open < 3 || node.size() - open > 8) return false;
    const std::string digits = node.substr(open + 1, node.size() - open - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
    target = node.substr(0, open);
    index = std::stoi(digits);
    return true;
}

std::string ThinGrowth::Disk::node() const { return index >= 0 ? target + "[" + std::to_string(index) + "]" : target; }

ThinGrowth::ThinGrowth(GuestDisks &guests, Volumes &volumes, std::function<std::vector<host::PoolBinding>()> pools,
                       GrowthPolicy policy, Submit submit, Later later)
    : guests_(guests),
      volumes_(volumes),
      pools_(std::move(pools)),
      policy_(policy),
      submit_(std::move(submit)),
      later_(std::move(later)) {}

Result<std::vector<ThinGrowth::Disk>> ThinGrowth::qcow2_disks(const std::string &domain) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, guests_.live_xml(domain));
    ILVM_ASSIGN_OR_RETURN(auto refs, host::domain_disks(xml, pools_()));
    std::vector<Disk> out;
    // Only what QEMU writes as qcow2 into the LV itself: a shared (read-only) image is not
    // written, and a raw one fills nothing.
    for (const auto &r : refs)
        if (r.driver_type == "qcow2" && !r.shared) out.push_back({r.target, r.source_index, r.source, r.pool, r.volume});
    return out;
}

void ThinGrowth::domain_running(const std::string &domain) {
    auto disks = qcow2_disks(domain);
    if (!disks.ok() && disks.error().code == ErrorCode::not_found) {
        spdlog::debug("domain {}: gone ({}); nothing to watch", domain, disks.error().message);   // migrated away, stopped
        return;
    }
    if (!disks.ok()) {
        spdlog::warn("domain {}: its qcow2 volumes are not watched for growth: {} (looked at again by the safety net)",
                     domain, disks.error().message);
        return;
    }
    if (disks->empty()) return;
    // A domain QEMU paused for want of space writes nothing more: no threshold would fire.
    auto paused = guests_.paused_by_io_error(domain);
    if (!paused.ok()) spdlog::warn("domain {}: state unknown: {}", domain, paused.error().message);
    for (const auto &d : *disks) {
        if (paused.ok() && *paused) {
            watch(domain, d, kAtTheEnd, true);
            continue;
        }
        // What the guest wrote before we looked (an event missed while the agent was away, a
        // volume that arrives by migration nearly full) is past a threshold set now.
        auto written = guests_.highest_write(domain, d.target);
        if (!written.ok())
            spdlog::debug("domain {} disk {}: highest write unknown ({}); only its threshold is set", domain, d.target,
                          written.error().message);
        watch(domain, d, written.ok() ? *written : 0, false);
    }
}

void ThinGrowth::all_running() {
    auto domains = guests_.running_domains();
    if (!domains.ok()) {
        spdlog::warn("qcow2 volumes not looked at: {} (the next safety net tries again)", domains.error().message);
        return;
    }
    for (const auto &domain : *domains) domain_running(domain);
}

void ThinGrowth::threshold_reached(const std::string &domain, const std::string &node, uint64_t threshold,
                                   uint64_t excess) {
    std::string target;
    int index = -1;
    if (!split_disk_node(node, target, index)) {
        spdlog::debug("domain {}: write threshold on '{}', not a disk name", domain, node);
        return;
    }
    auto disks = qcow2_disks(domain);
    if (!disks.ok()) {
        spdlog::warn("domain {}: write threshold on {} not followed: {}", domain, node, disks.error().message);
        return;
    }
    for (const auto &d : *disks) {
        if (d.target != target || (index >= 0 && d.index >= 0 && d.index != index)) continue;
        spdlog::info("domain {}: guest wrote {} into volume {}/{} (threshold {} + {})", domain,
                     human_size(threshold + excess), d.pool, d.volume, human_size(threshold), human_size(excess));
        watch(domain, d, threshold + excess, false);
        return;
    }
    spdlog::debug("domain {}: write threshold on {}, none of our qcow2 volumes", domain, node);
}

void ThinGrowth::io_error(const std::string &domain, const std::string &source, int action, const std::string &reason) {
    auto disks = qcow2_disks(domain);
    if (!disks.ok()) {
        spdlog::warn("domain {}: I/O error on {} not followed: {}", domain, source, disks.error().message);
        return;
    }
    for (const auto &d : *disks) {
        if (d.source != source) continue;
        if (reason != "enospc") {
            spdlog::error("domain {}: I/O error '{}' on volume {}/{}: not a full volume, nothing for the agent to grow",
                          domain, reason, d.pool, d.volume);
            return;
        }
        if (action != VIR_DOMAIN_EVENT_IO_ERROR_PAUSE)
            spdlog::error("domain {}: volume {}/{} full and QEMU did not pause the guest (action {}); growing it",
                          domain, d.pool, d.volume, action);
        else
            spdlog::warn("domain {}: paused, volume {}/{} full before it was grown; growing it, then resuming", domain,
                         d.pool, d.volume);
        watch(domain, d, kAtTheEnd, action == VIR_DOMAIN_EVENT_IO_ERROR_PAUSE);
        return;
    }
}

void ThinGrowth::watch(const std::string &domain, const Disk &disk, uint64_t written, bool resume) {
    const std::string k = key(disk.pool, disk.volume);
    if (auto it = in_flight_.find(k); it != in_flight_.end()) {
        // Its outcome sets the next threshold and resumes what it must.
        it->second.resume = it->second.resume || resume;
        it->second.written = std::max(it->second.written, written);
        return;
    }
    in_flight_[k] = Pending{resume, written, written};
    Volumes &volumes = volumes_;
    const GrowthPolicy policy = policy_;
    submit_(
        [&volumes, policy, disk, written, domain]() -> Result<Looked> {
            const auto began = std::chrono::steady_clock::now();
            ILVM_ASSIGN_OR_RETURN(auto space, volumes.space(disk.pool, disk.volume));
            if (!space.qcow2)
                return invalid_input("volume " + disk.pool + "/" + disk.volume + " is raw: nothing to grow");
            // A threshold set before the last growth says nothing about the LV as it is now.
            if (written < write_threshold(space.allocation, policy)) return Looked{space.allocation};
            if (space.shared) return Looked{space.allocation, true};
            auto growth = volumes.grow(disk.pool, disk.volume, growth_target(space.allocation, policy));
            if (!growth.ok()) {
                // A migration's hand-over may have shared the volume since the look (the
                // destination asks the moment its QEMU is about to start; the backend then
                // refuses the growth, another host holding the lock): that is the wait for
                // the switch-over, not a failure. Measured in the lab (thin-migrate).
                if (growth.error().code == ErrorCode::conflict) {
                    auto again = volumes.space(disk.pool, disk.volume);
                    if (again.ok() && again->shared) return Looked{again->allocation, true};
                }
                return growth.error();
            }
            const uint64_t grown = *growth;
            // The lab reads this line (tests/e2e thin-growth): keep "(N ms)" last.
            if (grown > space.allocation)
                spdlog::info("domain {}: volume {}/{} grown from {} to {} ({} ms)", domain, disk.pool, disk.volume,
                             human_size(space.allocation), human_size(grown),
                             std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count());
            return Looked{grown, false, grown > space.allocation};
        },
        [this, domain, disk](Result<Looked> looked) { done(domain, disk, looked); });
}

void ThinGrowth::done(const std::string &domain, const Disk &disk, const Result<Looked> &looked) {
    const std::string k = key(disk.pool, disk.volume);
    Pending pending = in_flight_[k];
    in_flight_.erase(k);
    if (!looked.ok()) {
        const Error &e = looked.error();
        if (e.code == ErrorCode::invalid_input) {
            spdlog::debug("domain {}: {}", domain, e.message);
            return;
        }
        // Logged once per refusal, not at each safety net: a full pool stays full a while.
        if (full_[k] != e.message)
            spdlog::error("domain {}: volume {}/{} not grown: {}{}{}", domain, disk.pool, disk.volume, e.message,
                          e.hint.empty() ? "" : " (hint: " + e.hint + ")",
                          pending.resume ? "; the domain stays paused until it can be" : "");
        full_[k] = e.message;
        // The guest waits for this volume: look again soon, not only at the safety net.
        if (pending.resume) look_again(domain, kPausedRetry);
        return;
    }
    if (full_.erase(k)) spdlog::info("volume {}/{} can be grown again", disk.pool, disk.volume);
    if (looked->waits_for_handover) {
        // No threshold: one below what is written would fire at every write meanwhile.
        if (waiting_.insert(k).second)
            spdlog::info("domain {}: volume {}/{} needs growing but is shared while a migration hands it over; "
                         "grown once it is exclusive on the host that runs the guest (looked at every {} s)",
                         domain, disk.pool, disk.volume, kHandoverRetry.count());
        look_again(domain, kHandoverRetry);
        return;
    }
    waiting_.erase(k);
    const uint64_t allocation = looked->allocation;
    const uint64_t threshold = write_threshold(allocation, policy_);
    // A write reported while a look that found no need ran (an ENOSPC pause after it read the
    // LV) is past what it was told: look again at once rather than resume into the pause. A
    // growth answers whatever was reported during it: that was written below the old end.
    if (!looked->grew && pending.written > pending.asked && pending.written >= threshold) {
        watch(domain, disk, pending.written, pending.resume);
        return;
    }
    if (auto st = guests_.set_threshold(domain, disk.node(), threshold); !st.ok()) {
        if (st.error().code == ErrorCode::not_found)
            spdlog::debug("domain {}: gone before its threshold was set ({})", domain, st.error().message);
        else
            spdlog::warn("domain {}: no write threshold on {} ({}): {} (the safety net looks at it again)", domain,
                         disk.node(), key(disk.pool, disk.volume), st.error().message);
    } else
        spdlog::debug("domain {}: write threshold on {} at {} of {}", domain, disk.node(), human_size(threshold),
                      human_size(allocation));
    if (pending.resume) resume_if_paused(domain);
}

void ThinGrowth::look_again(const std::string &domain, std::chrono::seconds delay) {
    if (!retrying_.insert(domain).second) return;
    later_(delay, [this, domain] {
        retrying_.erase(domain);
        domain_running(domain);
    });
}

void ThinGrowth::resume_if_paused(const std::string &domain) {
    auto paused = guests_.paused_by_io_error(domain);
    if (!paused.ok()) {
        spdlog::warn("domain {}: not resumed, its state is unknown: {}", domain, paused.error().message);
        return;
    }
    if (!*paused) return;   // resumed meanwhile, or paused by someone else: theirs to resume
    if (auto st = guests_.resume(domain); !st.ok())
        spdlog::error("domain {}: not resumed after its volume grew: {} (virsh resume {})", domain, st.error().message,
                      domain);
    else
        spdlog::info("domain {}: resumed after its volume grew", domain);
}

}  // namespace ilvm::agent
