// SPDX-License-Identifier: LGPL-2.1-or-later
// Block-device chores: waiting for the LUN to appear, refusing a LUN that already carries
// data, and clearing or zeroing volumes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/system.hpp"

namespace ilvm::device {

inline constexpr uint64_t kMiB = 1024 * 1024;

Command udev_settle();
// `blkid -p -o export DEV`: low-level probe of superblocks and partition tables
// (exit 2 = nothing found).
Command probe(const std::string &device);
Command wipe_signatures(const std::string &device);
// Zero one MiB at `offset_mib` (direct I/O, synced).
Command zero_mib(const std::string &device, uint64_t offset_mib);
Command discard_zeroout(const std::string &device);
Command zero_whole(const std::string &device, uint64_t bytes);
// The same for the MiB-aligned range [offset, offset + length).
Command discard_zeroout_range(const std::string &device, uint64_t offset, uint64_t length);
Command zero_range_dd(const std::string &device, uint64_t offset, uint64_t length);
// `fallocate --punch-hole --keep-size --offset O --length L DEV`: on a block device the
// kernel zeroes the range only by a write-zeroes that may unmap (a thin LUN gives the
// storage back) and never by writing zeros itself (blkdev_fallocate: no fallback); else it
// fails (EOPNOTSUPP). O and L in whole logical blocks.
Command punch_hole(const std::string &device, uint64_t offset, uint64_t length);
// `lsblk --bytes --nodeps --noheadings --output DISC-MAX DEV`: the most the device discards in
// one request, 0 for a device that cannot (a thick LUN).
Command discard_max(const std::string &device);

// Polls for the device node with a bounded wait (udev creates by-path links after login).
Status wait_for(System &sys, const std::string &path, std::chrono::milliseconds timeout);

// The signatures blkid finds ("TYPE=LVM2_member", "PTTYPE=gpt"); empty when blank.
Result<std::vector<std::string>> signatures(System &sys, const std::string &device);

// Clears the first and last MiB so a new volume never shows a previous tenant's partition
// table, PV label, filesystem or RAID superblock (GPT and md keep copies at the end).
Status clear_edges(System &sys, const std::string &device, uint64_t bytes);

// Whether [offset, offset + length) now reads zeros with its storage given back (punch_hole),
// so that a copy may skip the source's zeros (dd conv=sparse) and leave them unallocated
// (issue 16: copies discard what is zero). False when the device cannot (logged) or the range
// is not in whole 4 KiB blocks: the copy then writes every byte, as without this. A device
// that does not discard (discard_max 0, or lsblk cannot say) is not punched at all: a thick
// LUN gives nothing back, and its write-zeroes may be the target writing every zero (tgtd:
// a clone of 256 MiB 0.79x the bare copy with the punch, measured in the lab bench).
bool deallocated(System &sys, const std::string &device, uint64_t offset, uint64_t length);

// Zeroes the whole device: blkdiscard --zeroout (offloaded by most arrays), falling back
// to writing zeros when the device or kernel cannot do it.
Status zero_fill(System &sys, const std::string &device, uint64_t bytes);
// The same for the MiB-aligned range [offset, offset + length) (the tail of a copy larger
// than its source).
Status zero_range(System &sys, const std::string &device, uint64_t offset, uint64_t length);

}  // namespace ilvm::device
