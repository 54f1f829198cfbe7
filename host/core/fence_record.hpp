// SPDX-License-Identifier: LGPL-2.1-or-later
// What `ilvm lease-lost` did on this host when a pool's VG lost its sanlock lease (issue 19),
// kept until `pool-rejoin` has settled every volume (or the pool's next start) and reported by
// `ilvm doctor`:
//
//   $ILVM_RUN_DIR/pools/<pool>.fenced      mode 0600, one block per run, a blank line after
//
//   time <TAB> 2026-12-05T12:50:00Z
//   vg <TAB> vg_san
//   policy <TAB> pause
//   wiped <TAB> vg_san-web1 <TAB> open=1
//   wipe-failed <TAB> vg_san-db1 <TAB> open=1 <TAB> dmsetup wipe_table vg_san-db1: …
//   domain <TAB> web1 <TAB> pause <TAB> done
//   domain <TAB> db1 <TAB> pause <TAB> failed: …
//   problem <TAB> cannot read libvirt status file …
//
// and, after it, one block per volume `ilvm pool-rejoin` took back (its lock taken again and
// its lease found unchanged), so that a second run after a failed resume does not take the
// lease the first run acquired for another host's (a new lease-lost run voids them):
//
//   taken-back <TAB> web1disk
//
// (TABs, as in the owner records: a domain's name may hold blanks.)
// sanlock runs lvmlockd's kill path (and so lease-lost) again about every second until the
// VG's locks are dropped, so one loss may leave several blocks: each run appends its own
// (PoolStore::append_runtime_file), none rewrites another's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "host/core/pool_store.hpp"

namespace ilvm::host {

inline constexpr const char *kFenceRecordExt = "fenced";

struct DomainFenceAction {
    std::string domain;
    std::string action;   // pause | poweroff
    bool done = false;
    std::string error;    // when not done
};

// One run of lease-lost.
struct FenceRun {
    int64_t time = 0;     // unix seconds
    std::string vg;
    std::string policy;   // pause | poweroff
    struct Device {
        std::string name;
        uint32_t open_count = 0;
        bool wiped = false;
        std::string error;
    };
    std::vector<Device> devices;
    std::vector<DomainFenceAction> domains;
    std::vector<std::string> problems;   // what kept it from looking at everything (one line each)
};

// The run as one block of the record (lines as above, then a blank line).
std::string format_fence_run(const FenceRun &run);
Status append_fence_run(const PoolStore &store, const std::string &pool, const FenceRun &run);

// Appends pool-rejoin's note that `volume` was taken back.
Status append_taken_back(const PoolStore &store, const std::string &pool, const std::string &volume);

// What the record of a pool says in all, for `ilvm doctor` and `ilvm pool-rejoin`.
struct FenceRecordSummary {
    std::string first_time;   // of the first run, as written (UTC)
    std::string vg;
    size_t runs = 0;
    std::vector<std::string> wiped;        // devices wiped by some run, in order, once each
    std::vector<std::string> not_wiped;    // devices no run could wipe
    std::vector<std::string> domains_done;   // "web1 (pause)"
    std::vector<std::string> domains_failed; // actions that failed in every run that tried them
    size_t problems = 0;
    std::vector<std::string> taken_back;   // volumes pool-rejoin took back since the last lease-lost run
};
// nullopt when the pool has no record (no lease lost since its last start).
std::optional<FenceRecordSummary> read_fence_record(const PoolStore &store, const std::string &pool);
// Parses a record's text (what read_fence_record reads).
FenceRecordSummary summarize_fence_record(const std::string &text);

// "2026-12-05T12:50:00Z"
std::string utc_time_text(int64_t unix_seconds);

}  // namespace ilvm::host
