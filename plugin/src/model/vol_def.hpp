// SPDX-License-Identifier: LGPL-2.1-or-later
// A volume (one LV) as libvirt volume XML describes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ilvm {

// Where the LV is active, as far as this host can tell.
enum class ActivationState {
    inactive,         // not active here
    exclusive,        // active here with an exclusive lock (or locally, lock type none)
    shared,           // active here with a shared lock
};
const char *activation_state_name(ActivationState s);

struct VolDef {
    std::string name;
    uint64_t capacity = 0;                 // bytes
    std::optional<uint64_t> allocation;    // input only: thick volumes, must equal capacity
};

// Everything refresh learns about a volume.
struct VolStatus {
    std::string key;                 // LV UUID
    std::string path;                // /dev/<vg>/<lv>
    uint64_t capacity = 0;
    uint64_t allocation = 0;
    ActivationState activation = ActivationState::inactive;
    bool open = false;               // device open on this host (lv_device_open)
    bool activation_skip = false;    // the 'k' flag: skipped by vgchange -ay / autoactivation
    bool autoactivation = true;      // lv_autoactivation (LVM ≥ 2.03.12)
    std::string lock_args;           // lvmlockd lease location (sanlock: "1.0.0:<offset>")
    bool incomplete = false;         // tagged ilvm_incomplete: being made, or a make was interrupted
    // Another host's lock, when known (filled by the holder lookup, not by lvs).
    std::optional<uint32_t> holder_host_id;
    std::string holder_host_name;
    bool holder_shared = false;      // held shared (-asy), e.g. during a migration hand-over
};

}  // namespace ilvm
