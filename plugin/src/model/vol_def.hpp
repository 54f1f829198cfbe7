// SPDX-License-Identifier: LGPL-2.1-or-later
// A volume (one LV) as libvirt volume XML describes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ilvm {

// Where the LV is active, as far as this host can tell.
enum class ActivationState {
    inactive,         // not active here
    exclusive,        // active here with an exclusive lock (or locally, lock type none)
    shared,           // active here with a shared lock
};
const char *activation_state_name(ActivationState s);

// What the LV holds. raw: the disk itself, as big as the LV. qcow2: a qcow2 image whose
// virtual size is the volume's capacity and which fills the LV as the guest writes; the LV
// (the allocation) may be smaller than the capacity and is grown when it fills up
// (docs/user-guide.md, "qcow2 volumes"). The LV's tags say which (lvm/volume_tags.hpp).
enum class VolFormat { raw, qcow2 };
const char *vol_format_name(VolFormat f);
std::optional<VolFormat> parse_vol_format(std::string_view name);

struct VolDef {
    std::string name;
    uint64_t capacity = 0;                 // bytes: the disk's size as the guest sees it
    // Input: raw volumes are thick, so it must equal the capacity; qcow2: the LV's size
    // (unset: one chunk, at most what the image can ever need).
    std::optional<uint64_t> allocation;
    VolFormat format = VolFormat::raw;
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
    bool is_template = false;        // tagged ilvm_template: linked clones read it; read-only for good
    std::string backing_path;        // /dev/<vg>/<lv> its qcow2 image is an overlay on (ilvm_backing:)
    // Another host's lock, when known (filled by the holder lookup, not by lvs).
    std::optional<uint32_t> holder_host_id;
    std::string holder_host_name;
    bool holder_shared = false;      // held shared (-asy), e.g. during a migration hand-over
};

}  // namespace ilvm
