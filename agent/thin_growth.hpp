// SPDX-License-Identifier: LGPL-2.1-or-later
// qcow2 volumes grown under their running guests (issue 18, docs/agent.md "Growing qcow2
// volumes"). A qcow2 volume's LV starts small (one chunk) and its image fills it as the
// guest writes. On the host that runs the guest, ilvmd:
//   * registers libvirt's write threshold on the disk's storage node ("vda[N]",
//     virDomainSetBlockThreshold) at `free_left` below the LV's end, whenever a domain
//     starts, resumes or arrives by migration, and when the agent (re)connects;
//   * on VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD (one-shot) grows the LV by a chunk (lvextend,
//     this host holds the LV's lock exclusively) and registers the next threshold;
//   * on VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON with reason "enospc" (the guest outran it and
//     QEMU paused the domain: the hook refuses error policies that would hand the guest the
//     error instead) grows the LV, then resumes the domain if nothing else paused it.
// Nothing is kept that a restart would need: thresholds are registered again at start.
// Lives on the agent's main loop; the growth itself (LVM commands, seconds under load) runs
// on a worker thread through `Submit`, and its outcome comes back to the main loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "host/core/pool_bindings.hpp"

namespace ilvm::agent {

struct GrowthPolicy {
    uint64_t chunk = 2560ULL << 20;       // what one growth adds (oVirt's 2.5 GiB)
    uint64_t free_left = 512ULL << 20;    // the threshold: this far below the LV's end (20 % of a chunk)
};

// $ILVM_THIN_CHUNK_MIB (64..65536), $ILVM_THIN_THRESHOLD_MIB (64..chunk/2, or chunk/2 for a
// chunk under 128 MiB; by default a fifth of the chunk, 64..512, at most chunk/2).
Result<GrowthPolicy> growth_policy_from_env();

// Where the guest's highest write makes libvirt tell us: free_left below the LV's end (at
// least one byte in, so that a tiny LV still reports its first write).
uint64_t write_threshold(uint64_t allocation, const GrowthPolicy &policy);
// The size one growth asks for; the backend caps it (backend.hpp grow_allocation()).
uint64_t growth_target(uint64_t allocation, const GrowthPolicy &policy);

// "vda[2]" -> ("vda", 2); "vda" -> ("vda", -1); false when not a disk name libvirt gives.
bool split_disk_node(const std::string &node, std::string &target, int &index);

// libvirt, as growth needs it (on the agent's events connection; a fake in the tests).
class GuestDisks {
public:
    virtual ~GuestDisks() = default;
    virtual Result<std::vector<std::string>> running_domains() = 0;
    // The running domain's live XML (its disks with their <source index>).
    virtual Result<std::string> live_xml(const std::string &domain) = 0;
    virtual Status set_threshold(const std::string &domain, const std::string &node, uint64_t bytes) = 0;
    // The highest offset QEMU has written into the disk's image file, its LV
    // (virDomainGetBlockInfo's allocation for a qcow2 image on a block device).
    virtual Result<uint64_t> highest_write(const std::string &domain, const std::string &target) = 0;
    // Paused because a disk could not be written (VIR_DOMAIN_PAUSED_IOERROR), and nothing else.
    virtual Result<bool> paused_by_io_error(const std::string &domain) = 0;
    virtual Status resume(const std::string &domain) = 0;
};

// A volume's format and LV size, and its growth (the backend, under the volume's lock).
struct VolumeSpace {
    bool qcow2 = false;
    uint64_t allocation = 0;   // the LV's size
    bool shared = false;       // active shared here: a migration's hand-over, LVM will not extend it
};

// What a look at a volume found (the growth's job): the LV's size after any growth, or that
// it needs one but waits for a hand-over to make it exclusive here.
struct Looked {
    uint64_t allocation = 0;
    bool waits_for_handover = false;
    bool grew = false;
};
class Volumes {
public:
    virtual ~Volumes() = default;
    virtual Result<VolumeSpace> space(const std::string &pool, const std::string &volume) = 0;
    // The LV's size after growing it towards `target` (worker thread).
    virtual Result<uint64_t> grow(const std::string &pool, const std::string &volume, uint64_t target) = 0;
};

class ThinGrowth {
public:
    // `job` on a worker thread, then `done` with its result on the main loop.
    using Submit = std::function<void(std::function<Result<Looked>()> job, std::function<void(Result<Looked>)> done)>;
    // `what` on the main loop after `delay`.
    using Later = std::function<void(std::chrono::seconds delay, std::function<void()> what)>;

    // How soon a domain paused on a full volume that could not be grown is looked at again
    // (a hand-over not yet exclusive, a pool being freed); others wait for the safety net.
    static constexpr std::chrono::seconds kPausedRetry{10};
    // How soon a volume that needs growing but is shared for a hand-over is looked at again
    // (the finisher makes it exclusive within seconds of the switch-over).
    static constexpr std::chrono::seconds kHandoverRetry{5};

    ThinGrowth(GuestDisks &guests, Volumes &volumes, std::function<std::vector<host::PoolBinding>()> pools,
               GrowthPolicy policy, Submit submit, Later later);

    // A domain started, resumed or arrived here: its qcow2 volumes grown if the guest already
    // wrote past their thresholds, and thresholds set; a domain paused for want of space is
    // grown and resumed.
    void domain_running(const std::string &domain);
    // domain_running() of every running domain: the agent started, libvirt reconnected, and
    // at each safety net (which so retries a growth that failed).
    void all_running();
    // VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD: `node` as libvirt names it ("vda[1]" or "vda").
    void threshold_reached(const std::string &domain, const std::string &node, uint64_t threshold, uint64_t excess);
    // VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: `source` the disk's source path.
    void io_error(const std::string &domain, const std::string &source, int action, const std::string &reason);

    // Growths running now (for ilvmd's status and the tests).
    size_t in_flight() const { return in_flight_.size(); }

private:
    struct Disk {
        std::string target;   // vda
        int index = -1;       // its <source index>
        std::string source;   // as in the XML
        std::string pool, volume;
        std::string node() const;
    };
    // What a growth in flight must do when it ends.
    struct Pending {
        bool resume = false;    // resume the domain if an ENOSPC paused it
        uint64_t written = 0;   // the highest write known
        uint64_t asked = 0;     // the highest write the job under way was given
    };
    Result<std::vector<Disk>> qcow2_disks(const std::string &domain);
    // On a worker: the LV's size, grown first when `written` has reached its threshold;
    // then on the main loop: the next threshold, and the domain resumed if `resume`.
    void watch(const std::string &domain, const Disk &disk, uint64_t written, bool resume);
    void done(const std::string &domain, const Disk &disk, const Result<Looked> &looked);
    void resume_if_paused(const std::string &domain);
    // domain_running(domain) after `delay`, once however often asked meanwhile.
    void look_again(const std::string &domain, std::chrono::seconds delay);

    GuestDisks &guests_;
    Volumes &volumes_;
    std::function<std::vector<host::PoolBinding>()> pools_;
    GrowthPolicy policy_;
    Submit submit_;
    Later later_;
    std::set<std::string> retrying_;            // domains a retry is already planned for
    std::map<std::string, Pending> in_flight_;  // "pool/volume" being looked at or grown
    std::map<std::string, std::string> full_;  // "pool/volume" -> the refusal last logged
    std::set<std::string> waiting_;            // "pool/volume" waiting for a hand-over, as logged
};

}  // namespace ilvm::agent
