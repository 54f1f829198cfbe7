// SPDX-License-Identifier: LGPL-2.1-or-later
// qemu-img, for qcow2 volumes: the commands as data (like lvm/lvm_argv.hpp) and the parser of
// `qemu-img measure`'s JSON. Every image is made with the same options, so what `measure`
// says holds for what `create` makes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/command.hpp"
#include "common/result.hpp"

namespace ilvm::qemu {

// compat=1.1 (QEMU ≥ 1.1; what libvirt and oVirt create), 64 KiB clusters (qcow2's default,
// written out so measure and create agree), no lazy refcounts (a crash never needs a repair
// before the next open on another host).
inline constexpr const char *kQcow2Options = "compat=1.1,cluster_size=65536,lazy_refcounts=off";

// `qemu-img measure --output=json -O qcow2 -o OPTIONS --size N`: what an empty image of that
// virtual size needs, and what it needs once every cluster is written. Reads no file.
Command measure_qcow2(uint64_t virtual_bytes);

struct Qcow2Measure {
    uint64_t required = 0;          // an empty image: header, L1 and refcount tables
    uint64_t fully_allocated = 0;   // every cluster written: the most the LV ever needs
};
Result<Qcow2Measure> parse_measure_json(std::string_view json);

// `qemu-img create -q -f qcow2 -o OPTIONS DEVICE N` on the volume's device, active here
// exclusively: writes the header and tables at the start of the LV; the data clusters come
// later, as the guest writes.
Command create_qcow2(const std::string &device, uint64_t virtual_bytes);

// `qemu-img create -q -u -f qcow2 -o OPTIONS -b BACKING -F qcow2 DEVICE N`: an empty overlay
// (a snapshot's new top) on BACKING, the LV name of the layer below it. BACKING is relative:
// QEMU resolves it next to the overlay (/dev/VG/), the same path on every host. -u: the
// backing chain is not opened, so its older layers need not be active here (without it, in
// the lab: "Could not open backing file" for a layer another host had not activated).
Command create_overlay(const std::string &device, const std::string &backing, uint64_t virtual_bytes);
// The same on a backing image of `backing_format` ("raw" or "qcow2"): a linked clone on its
// template (backend/linked_clones.cpp). The format is written into the overlay's header, so
// QEMU never probes it (a raw template's first bytes could look like any image format).
Command create_overlay(const std::string &device, const std::string &backing, const char *backing_format,
                       uint64_t virtual_bytes);

// `qemu-img measure` of the qcow2 image at `device` read through its whole backing chain:
// what a standalone copy of it (flatten_qcow2) needs.
Command measure_chain(const std::string &device);

// The qcow2 image at `device` read through its whole backing chain, written to `dst` (an LV
// or a file) as one standalone qcow2 image, without a backing.
Command flatten_qcow2(const std::string &device, const std::string &dst);

// `qemu-img rebase -q -f qcow2 -b NEW -F qcow2 DEVICE` (safe mode, no -u): the image's backing
// becomes NEW (an LV name next to it, or "" for none); first every cluster where the old
// chain and the new one differ is copied into the image, so that it reads the same after.
// Never `commit`: it writes into the layer below, which other images may read. With no new
// backing there is no -F: a backing format without a backing file is refused (QEMU block.c
// bdrv_change_backing_file, qcow2_change_backing_file: -EINVAL). Every image of the old and
// the new chain must be active here; DEVICE writable.
Command rebase_qcow2(const std::string &device, const std::string &backing);

// `qemu-img resize -q -f qcow2 DEVICE N`: the image's virtual size grows to N; only its L1
// table may move, within the LV. Never on an image a running QEMU has open.
Command resize_qcow2(const std::string &device, uint64_t virtual_bytes);

}  // namespace ilvm::qemu
