// SPDX-License-Identifier: LGPL-2.1-or-later
// Volume lifecycle: create (raw: thick; qcow2: an image in an LV that may be smaller than its
// capacity; skip-flagged, cleared), clone, refresh, delete (with a cross-host lock probe),
// resize, wipe, upload/download.
#include <algorithm>

#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "backend/templates.hpp"
#include "backend/tool_messages.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/template_tags.hpp"
#include "lvm/volume_tags.hpp"
#include "qemu/qemu_img.hpp"

namespace ilvm {
namespace {

// The copies (upload, download, copy) print dd's progress (status=progress: a line a second
// on stderr), which the runner passes on to --progress (Command::reports_progress).
//
// They move 4 MiB at a time with direct I/O on the volume's side, as `dd bs=4M oflag=direct`
// does by hand (issue 16: copies within 0.95x of it). In the lab, vol-download with 1 MiB
// buffered reads ran at 0.77x of that dd. Direct I/O needs offsets and lengths in whole
// sectors (4 KiB covers 4Kn disks): otherwise the copy is buffered. dd itself drops O_DIRECT
// for a short last write (measured, coreutils 9.1), but a short last read fails (EINVAL), so
// only the download checks the length.
constexpr const char *kCopyBlock = "bs=4M";
constexpr uint64_t kDirectAlignment = 4096;

bool direct_io_aligned(uint64_t bytes) { return bytes % kDirectAlignment == 0; }

// `sparse`: the target range reads zeros already (device::deallocated): dd seeks over the
// source's blocks of zeros instead of writing them (conv=sparse), so they stay unallocated.
const char *copy_conv(bool sparse) { return sparse ? "conv=notrunc,fsync,sparse" : "conv=notrunc,fsync"; }

Command dd_upload(const std::string &src, const std::string &dev, uint64_t offset, uint64_t length, bool sparse) {
    Command c{"dd", "if=" + src, "of=" + dev, kCopyBlock, "iflag=fullblock" + std::string(length ? ",count_bytes" : ""),
              "oflag=seek_bytes" + std::string(direct_io_aligned(offset) ? ",direct" : ""), "seek=" + std::to_string(offset),
              copy_conv(sparse), "status=progress"};
    if (length) c.argv.push_back("count=" + std::to_string(length));
    c.timeout = std::chrono::hours(12);
    c.reports_progress = true;
    return c;
}

// `dst` exists: the caller creates it with its mode (ilvm vol-download: 0600, O_EXCL,
// O_NOFOLLOW, cli/vol_commands.cpp). dd only writes into it: oflag=nofollow refuses a symlink
// put in its place, conv=nocreat does not re-create it (with dd's 0666 & ~umask) if it went,
// conv=notrunc leaves the truncation to the caller. conv=sparse seeks over blocks of zeros
// instead of writing them (a new or truncated file reads zeros there; dd extends the file to
// its full size at the end): a 512 MiB volume holding 16 MiB of data downloads as 16 MiB
// allocated, not 512 (issue 16). `to_read`: the bytes dd reads (length, else the rest of the
// volume), which decides whether its reads can be direct.
Command dd_download(const std::string &dev, const std::string &dst, uint64_t offset, uint64_t length, uint64_t to_read) {
    Command c{"dd", "if=" + dev, "of=" + dst, kCopyBlock,
              "iflag=skip_bytes" + std::string(length ? ",count_bytes" : "") + (direct_io_aligned(offset) && direct_io_aligned(to_read) ? ",direct" : ""),
              "skip=" + std::to_string(offset), "oflag=nofollow", "conv=notrunc,nocreat,fsync,sparse", "status=progress"};
    if (length) c.argv.push_back("count=" + std::to_string(length));
    c.timeout = std::chrono::hours(12);
    c.reports_progress = true;
    return c;
}

// The whole source, `bytes` (an LV's size: whole extents, so whole sectors).
Command dd_copy(const std::string &src, const std::string &dst, uint64_t bytes, bool sparse) {
    Command c{"dd", "if=" + src, "of=" + dst, kCopyBlock, "count=" + std::to_string(bytes), "iflag=direct,count_bytes",
              "oflag=direct", copy_conv(sparse), "status=progress"};
    c.timeout = std::chrono::hours(12);
    c.reports_progress = true;
    return c;
}

Status check_range(const lvm::LvReport &lv, uint64_t offset, uint64_t length) {
    if (offset > lv.size || length > lv.size - offset)
        return invalid_input("offset " + std::to_string(offset) + " + length " + std::to_string(length) +
                             " is beyond the end of volume '" + lv.name + "' (" + std::to_string(lv.size) + " bytes)");
    return {};
}

// qemu-img refuses a qcow2 virtual size that is not a whole number of 512-byte sectors.
constexpr uint64_t kSector = 512;

// A qcow2 volume made without an allocation starts with one chunk: oVirt's extension unit
// for thin block volumes (2.5 GiB), which its hosts grow by when a VM nears the end.
constexpr uint64_t kQcow2FirstChunk = 2560ULL << 20;

Error name_taken(const PoolDef &pool, const std::string &name) {
    return conflict("volume '" + name + "' already exists in pool " + pool.name);
}

// `available`: what the VG has free, as the listing or lvcreate's refusal says it.
Error no_space_for(const PoolDef &pool, const std::string &name, uint64_t size, const std::string &available) {
    return conflict("not enough free space in pool " + pool.name + ": volume '" + name + "' needs " + human_size(size) +
                        available,
                    "choose a smaller size or delete unused volumes");
}

// lvcreate's own refusals, worded as the product words them (the texts: tool_messages.cpp).
Error lvcreate_refused(const PoolDef &pool, const std::string &name, uint64_t size, const CommandOutput &out) {
    const std::string line = out.first_error_line();
    if (says(line, ToolMessage::lv_exists)) return name_taken(pool, name);
    if (says(line, ToolMessage::vg_no_space)) return no_space_for(pool, name, size, " (" + line + ")");
    if (says(line, ToolMessage::vg_not_found))
        return not_found("volume group " + pool.vg_name + " of pool " + pool.name + " not found",
                         "is the pool started on this host (ilvm pool-start " + pool.name + ")?");
    return system_error("lvcreate " + pool.vg_name + "/" + name + ": " + line);
}

Status refuse_open(const lvm::LvReport &lv, const PoolDef &pool) {
    if (lv.device_open)
        return conflict("volume '" + lv.name + "' of pool " + pool.name + " is open on this host",
                        "stop the domain that uses it first");
    return {};
}

}  // namespace

void Backend::remove_unfinished(const PoolDef &pool, const std::string &name) {
    continue_after(run_status(sys_, lvm::lvremove(pool.vg_name, name), "removing the half-made volume " + pool.vg_name + "/" + name),
                   "the operation has failed and says so; lvremove it by hand if it is still listed");
}

Result<VolInfo> Backend::refresh_vol(const PoolDef &pool, const std::string &name, bool with_holder,
                                     bool without_vg_lock) {
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name, without_vg_lock ? VgLock::none : VgLock::shared));
    VolInfo info = to_vol_info(pool, lv);
    if (auto held = local_lock_mode(pool, lv)) set_activation_mode(info, *held);
    if (with_holder && !lv.active_locally) {
        if (auto h = find_holder(pool, lv)) {
            info.status.holder_host_id = h->host_id;
            info.status.holder_host_name = h->host_name;
            info.status.holder_shared = h->shared;
        }
    }
    return info;
}

Result<qemu::Qcow2Measure> Backend::measure_qcow2(uint64_t capacity) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(qemu::measure_qcow2(capacity)));
    if (!out.succeeded())
        return system_error("qemu-img measure (qcow2, " + std::to_string(capacity) + " bytes): " + out.first_error_line(),
                            "qcow2 volumes need qemu-img on this host (Debian: apt install qemu-utils)");
    return qemu::parse_measure_json(out.out);
}

Result<uint64_t> Backend::qcow2_lv_size(const VolDef &vol) {
    ILVM_ASSIGN_OR_RETURN(auto need, measure_qcow2(vol.capacity));
    if (!vol.allocation) return std::min(kQcow2FirstChunk, need.fully_allocated);
    if (*vol.allocation < need.required)
        return invalid_input("allocation " + human_size(*vol.allocation) + " of qcow2 volume '" + vol.name +
                                 "' is too small: an empty image of " + human_size(vol.capacity) + " needs " +
                                 human_size(need.required),
                             "give at least " + std::to_string(need.required) + " bytes, or omit the allocation");
    return *vol.allocation;
}

Result<uint64_t> Backend::create_lv(const PoolDef &pool, const VolDef &given, const lvm::LvsWithSpace *listing) {
    VolDef vol = given;
    ILVM_TRY(validate_lv_name(vol.name));
    // device-mapper names ("<vg>-<lv>" with '-' doubled) are limited to 127 characters.
    if (lvm::dm_path(pool.vg_name, vol.name).size() - std::string("/dev/mapper/").size() > 127)
        return invalid_input("volume name '" + vol.name + "' is too long for volume group " + pool.vg_name,
                             "the device-mapper name <vg>-<volume> must fit in 127 characters");
    if (vol.capacity == 0) return invalid_input("volume capacity must be greater than zero");
    if (vol.format == VolFormat::raw && vol.allocation && *vol.allocation != vol.capacity)
        return invalid_input("a raw volume is thick: its allocation must equal its capacity",
                             "omit the allocation, or make a thin volume with format qcow2");
    if (vol.format == VolFormat::qcow2) {
        if (vol.capacity > UINT64_MAX - kSector) return invalid_input("volume capacity is too large");
        vol.capacity = (vol.capacity + kSector - 1) / kSector * kSector;
    }
    uint64_t wanted = vol.capacity;
    if (vol.format == VolFormat::qcow2) {
        ILVM_ASSIGN_OR_RETURN(wanted, qcow2_lv_size(vol));
    }
    uint64_t size = 0;
    if (listing) {
        // The caller read the VG anyway (a clone, for its source): answer from that listing.
        for (const auto &lv : listing->lvs)
            if (lv.name == vol.name) return name_taken(pool, vol.name);
        ILVM_ASSIGN_OR_RETURN(size, round_up_to_extent(wanted, listing->space->extent_size));
        if (size > listing->space->free)
            return no_space_for(pool, vol.name, size, ", " + human_size(listing->space->free) + " available");
    } else {
        // No lvs first: lvcreate checks the name and the free space itself, under the VG's
        // exclusive lock, where a check of ours could only repeat both a moment too early
        // (another host may create in between), at the cost of a VG-lock round on the LUN
        // (issue 16: in the lab vol-create-as took 1.43x the bare sequence with that lvs,
        // 7 commands for its 5). LVM wants whole sectors and rounds up to whole extents.
        ILVM_ASSIGN_OR_RETURN(size, round_up_to_extent(wanted, kSector));
    }
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lvcreate(pool.vg_name, vol.name, size,
                                                           lvm::image_tags(vol.format, vol.capacity))));
    if (!out.succeeded()) return lvcreate_refused(pool, vol.name, size, out);
    return size;
}

Status Backend::mark_complete(const PoolDef &pool, const std::string &name) {
    return run_status(sys_, lvm::lv_mark_complete(pool.vg_name, name), "lvchange --deltag " + pool.vg_name + "/" + name);
}

Result<VolInfo> Backend::create_vol(const PoolDef &pool, const VolDef &vol) {
    ILVM_TRY(create_lv(pool, vol));
    // From here on, any failure removes the half-made volume: nothing half-built survives. A
    // crash leaves it tagged incomplete, which the reconciler reports.
    auto built = build_vol(pool, vol.name);
    if (!built.ok()) {
        remove_unfinished(pool, vol.name);
        return built.take_error();
    }
    spdlog::info("created volume {}/{} ({})", pool.vg_name, vol.name, human_size(built->status.allocation));
    return built;
}

Status Backend::write_empty_image(const lvm::ImageInfo &image, const std::string &dev) {
    if (image.format == VolFormat::raw) return {};
    return run_status(sys_, qemu::create_qcow2(dev, image.capacity), "qemu-img create (qcow2) on " + dev);
}

Result<VolInfo> Backend::build_vol(const PoolDef &pool, const std::string &name) {
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name));
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(lv));
    const std::string dev = lvm::lv_path(pool.vg_name, name);
    // Zeroed whole by default, so a new volume never shows an earlier volume's data (the LUN's
    // extents are reused); <wipe_on_create>no</wipe_on_create> clears only both ends, enough
    // that no partition table, PV label, file system or RAID superblock is seen again. A
    // qcow2 image then goes at its start (a guest reads its unwritten clusters as zeros
    // whatever the LV holds there).
    ILVM_TRY(with_volume_active(pool, lv, [&]() -> Status {
        ILVM_TRY(pool.wipe_on_create ? device::zero_fill(sys_, dev, lv.size) : device::clear_edges(sys_, dev, lv.size));
        return write_empty_image(image, dev);
    }));
    ILVM_TRY(mark_complete(pool, name));
    VolInfo info = to_vol_info(pool, lv);
    info.status.incomplete = false;
    return info;
}

Status Backend::copy_into(const PoolDef &pool, const lvm::LvReport &src, const lvm::LvReport &target, uint64_t target_size) {
    // Shared activation of the source keeps every other host from starting a domain on it
    // (that needs an exclusive lock) while we copy; on this host the volume lock the caller
    // holds does (host/core/volume_lock.hpp).
    bool src_activated = false;
    if (!src.active_locally) {
        ILVM_TRY(activate_lv(pool, src, lvm::ActivationMode::shared, "activate"));
        src_activated = true;
    }
    Status copied = activate_lv(pool, target, lvm::ActivationMode::exclusive, "activate");
    if (copied.ok()) {
        const std::string dst_dev = lvm::lv_path(pool.vg_name, target.name);
        const bool sparse = device::deallocated(sys_, dst_dev, 0, src.size);
        copied = run_status(sys_, dd_copy(lvm::lv_path(pool.vg_name, src.name), dst_dev, src.size, sparse),
                            "copying volume '" + src.name + "' to '" + target.name + "'");
        // A copy larger than its source: what lies past the copied data was someone else's.
        if (copied.ok() && pool.wipe_on_create && target_size > src.size)
            copied = device::zero_range(sys_, dst_dev, src.size, target_size - src.size);
        continue_after(run_status(sys_, lvm::lv_deactivate(pool.vg_name, target.name), "deactivating copy " + target.name),
                       "the reconciler releases a volume nothing uses");
    }
    if (src_activated)
        continue_after(run_status(sys_, lvm::lv_deactivate(pool.vg_name, src.name), "deactivating source " + src.name),
                       "the copy is over; the reconciler releases a volume nothing uses");
    return copied;
}

Result<VolInfo> Backend::build_vol_from(const PoolDef &pool, const VolDef &vol, const std::string &source) {
    // One lvs finds the source and answers create_lv's checks (issue 16: a clone ran 12
    // commands where the bare sequence runs 7).
    ILVM_TRY(validate_lv_name(source));
    ILVM_ASSIGN_OR_RETURN(const auto listing, load_lvs_with_space(pool));
    ILVM_ASSIGN_OR_RETURN(const lvm::LvReport src, lv_named(pool, listing.lvs, source));
    // A template is read-only: the clones running here that read it do not change it while
    // it is copied.
    if (!lvm::is_template(src)) ILVM_TRY(refuse_open(src, pool));
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(src));
    VolDef target = vol;
    target.format = image.format;
    if (image.format == VolFormat::qcow2) {
        // The copy is the source's image, byte for byte: its virtual size comes with it.
        if (vol.capacity > image.capacity)
            return invalid_input("a copy of qcow2 volume '" + source + "' has its capacity (" + human_size(image.capacity) +
                                 "), not " + human_size(vol.capacity));
        // Its top alone is an overlay on layers (or a template) nothing would keep for the
        // copy: the whole chain is read through into one image (backend/chain_copy.cpp).
        if (lvm::backing_of(src)) return copy_chain(pool, vol, src, image, listing);
        target.capacity = image.capacity;
        target.allocation = src.size;
    } else {
        if (target.capacity < src.size) target.capacity = src.size;
        target.allocation.reset();
    }
    ILVM_ASSIGN_OR_RETURN(uint64_t size, create_lv(pool, target, &listing));
    // Until the copy is made the new volume is tagged incomplete; any failure removes it.
    auto made_lv = load_lv(pool, vol.name);
    Status made = made_lv.ok() ? copy_into(pool, src, *made_lv, size) : Status(made_lv.error());
    if (made.ok()) made = mark_complete(pool, vol.name);
    if (!made.ok()) {
        remove_unfinished(pool, vol.name);
        return made.take_error();
    }
    // What the new LV's row said, now complete and (deactivated again) inactive here.
    VolInfo info = to_vol_info(pool, *made_lv);
    info.status.incomplete = false;
    return info;
}

Status Backend::delete_vol(const PoolDef &pool, const std::string &name, DeleteVolOptions opts) {
    // Local state only (is it active or open here?): lvremove takes the real locks.
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name, VgLock::none));
    ILVM_TRY(refuse_open(lv, pool));
    if (lv.active_locally)
        return conflict("volume '" + name + "' of pool " + pool.name + " is active on this host",
                        "deactivate it first (ilvm vol-deactivate " + name + " --pool " + pool.name + ")");
    if (lvm::is_layer(lv))
        return invalid_input("'" + name + "' is snapshot '" + lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or("?") +
                                 "' of volume '" + lvm::layer_of(lv).value_or("?") + "', not a volume",
                             "ilvm vol-snapshot-delete " + pool.name + " " + lvm::layer_of(lv).value_or("VOL") + " " +
                                 lvm::tag_value(lv, lvm::kSnapshotTagPrefix).value_or("SNAP"));
    // A template: refused while a linked clone reads it; else removed without writing (its
    // permission is read-only, and its clones' data never was in it).
    if (lvm::is_template(lv)) {
        ILVM_ASSIGN_OR_RETURN(const auto lvs, load_lvs(pool));
        ILVM_TRY(refuse_delete_of_template(pool, lvs, name));
        // Then again under its exclusive lock, which lvremove keeps: a clone being made on
        // another host holds the template shared from before its row is committed until after
        // (linked_clones.cpp), so the lock is refused while it does and the listing read under
        // the lock names every clone made. activate_lv refuses a template exclusive (no write
        // path takes it): this lock writes nothing, it only waits for no one.
        ILVM_ASSIGN_OR_RETURN(auto locked, sys_.run(lvm::lv_activate(pool.vg_name, name, lvm::ActivationMode::exclusive)));
        if (!locked.succeeded()) return activation_error(pool, lv, locked, "delete");
        auto under_lock = load_lvs(pool);
        Status removed = under_lock.ok() ? refuse_delete_of_template(pool, *under_lock, name) : Status(under_lock.error());
        if (removed.ok()) {
            if (opts.wipe.value_or(pool.wipe_on_delete))
                spdlog::info("template {}/{} is removed without zeroing: it is read-only", pool.vg_name, name);
            auto out = sys_.run(lvm::lvremove(pool.vg_name, name));
            if (!out.ok()) removed = Status(out.error());
            else if (!out->succeeded()) removed = activation_error(pool, lv, *out, "delete");
        }
        if (!removed.ok()) {
            release_lv(pool, name, "the template is kept");
            return removed.take_error();
        }
        spdlog::info("deleted template {}/{}", pool.vg_name, name);
        return {};
    }
    // A qcow2 volume may have snapshots: the VG is listed for its layers (a raw one has none).
    if (lvm::image_of(lv).ok() && lvm::image_of(lv)->format == VolFormat::qcow2) {
        ILVM_ASSIGN_OR_RETURN(const bool with_chain, delete_chain(pool, lv, opts));
        if (with_chain) return {};
    }
    const bool wipe = opts.wipe.value_or(pool.wipe_on_delete);
    if (wipe) {
        // Zeroing needs the device: the exclusive activation also fails when another host
        // has the LV active, and while we hold it nobody else can start using it.
        ILVM_TRY(with_volume_active(
            pool, lv, [&] { return device::zero_fill(sys_, lvm::lv_path(pool.vg_name, name), lv.size); }, "delete"));
    }
    // In a shared VG lvremove itself takes the LV's lock exclusive before it changes anything
    // (lvm2 2.03.16 lv_remove_single: lockd_lv "ex", persistent) and refuses with "LV locked
    // by other host" while any host has the LV active: the same check an activation probe
    // made, without its two extra VG-lock rounds (each a sanlock paxos round on the LUN).
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lvremove(pool.vg_name, name)));
    if (!out.succeeded()) return activation_error(pool, lv, out, "delete");
    spdlog::info("deleted volume {}/{}{}", pool.vg_name, name, wipe ? " (zeroed first)" : "");
    return {};
}

Result<VolInfo> Backend::resize_vol(const PoolDef &pool, const std::string &name, uint64_t capacity, ResizeOptions opts) {
    if (capacity == 0) return invalid_input("volume capacity must be greater than zero");
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name));
    ILVM_TRY(refuse_template(pool, lv, "resize"));
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(lv));
    if (image.format == VolFormat::qcow2) return resize_qcow2_vol(pool, lv, image, capacity);
    ILVM_ASSIGN_OR_RETURN(auto vg, load_vg(pool));
    ILVM_ASSIGN_OR_RETURN(uint64_t size, round_up_to_extent(capacity, vg.extent_size));
    if (size == lv.size) return to_vol_info(pool, lv);
    Command cmd;
    if (size < lv.size) {
        if (!opts.allow_shrink)
            return invalid_input("shrinking volume '" + name + "' from " + human_size(lv.size) + " to " + human_size(size) +
                                     " would destroy the data at its end",
                                 "pass --allow-shrink if the guest has already shrunk its filesystem");
        ILVM_TRY(refuse_open(lv, pool));
        cmd = lvm::lvreduce(pool.vg_name, name, size);
    } else {
        if (size - lv.size > vg.free)
            return conflict("not enough free space in pool " + pool.name + " to grow volume '" + name + "' by " +
                            human_size(size - lv.size) + ", " + human_size(vg.free) + " available");
        cmd = lvm::lvextend(pool.vg_name, name, size);
    }
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(cmd));
    if (!out.succeeded()) return activation_error(pool, lv, out, "resize");
    return refresh_vol(pool, name);
}

// A qcow2 volume's capacity is its image's virtual size, which qemu-img grows on the volume
// held exclusively here and open nowhere (another process must never change an image a
// running QEMU has open). The LV keeps its size: what the guest wrote needs no more room.
// The capacity tag follows only a resize that succeeded, so it never claims more than the
// image has. No shrinking: where the guest's data lies in its disk is not known from here.
Result<VolInfo> Backend::resize_qcow2_vol(const PoolDef &pool, const lvm::LvReport &lv, const lvm::ImageInfo &image,
                                          uint64_t capacity) {
    if (capacity > UINT64_MAX - kSector) return invalid_input("volume capacity is too large");
    const uint64_t size = (capacity + kSector - 1) / kSector * kSector;
    if (size == image.capacity) return to_vol_info(pool, lv);
    if (size < image.capacity)
        return invalid_input("shrinking qcow2 volume '" + lv.name + "' from " + human_size(image.capacity) + " to " +
                                 human_size(size) + " is not supported",
                             "make a new volume of the size you need and copy what the guest needs into it");
    ILVM_TRY(refuse_open(lv, pool));
    const std::string dev = lvm::lv_path(pool.vg_name, lv.name);
    ILVM_TRY(with_volume_active(pool, lv, [&] {
        return run_status(sys_, qemu::resize_qcow2(dev, size), "growing the qcow2 image of volume '" + lv.name + "'");
    }));
    Status tagged = run_status(sys_, lvm::lv_replace_tag(pool.vg_name, lv.name, lvm::capacity_tag(image.capacity),
                                                         lvm::capacity_tag(size)),
                               "recording the new capacity of volume '" + lv.name + "'");
    if (!tagged.ok()) {
        Error e = tagged.take_error();
        e.hint = "the image already has the new size; run the same vol-resize again to record it";
        return e;
    }
    return refresh_vol(pool, lv.name);
}

Status Backend::wipe_vol(const PoolDef &pool, const std::string &name, WipeAlgorithm) {
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name));
    ILVM_TRY(refuse_template(pool, lv, "wipe"));
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(lv));
    // A wiped qcow2 volume is an empty image again (its guest reads zeros), not a zeroed LV
    // that no longer is what its tags say.
    const std::string dev = lvm::lv_path(pool.vg_name, name);
    return with_volume_active(pool, lv, [&]() -> Status {
        ILVM_TRY(device::zero_fill(sys_, dev, lv.size));
        return write_empty_image(image, dev);
    });
}

Status Backend::upload_vol(const PoolDef &pool, const std::string &name, const std::string &src_file, uint64_t offset,
                           uint64_t length) {
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name));
    ILVM_TRY(refuse_template(pool, lv, "upload to"));
    ILVM_TRY(check_range(lv, offset, length));
    return with_volume_active(pool, lv, [&] {
        // Only a known range can be given back first: with no length dd copies to the file's end.
        const std::string dev = lvm::lv_path(pool.vg_name, name);
        const bool sparse = device::deallocated(sys_, dev, offset, length);
        return run_status(sys_, dd_upload(src_file, dev, offset, length, sparse),
                          "uploading " + src_file + " to volume '" + name + "'");
    });
}

Status Backend::download_vol(const PoolDef &pool, const std::string &name, const std::string &dst_file, uint64_t offset,
                             uint64_t length) {
    ILVM_ASSIGN_OR_RETURN(auto lv, load_lv(pool, name));
    // Its top alone is no disk: the whole chain, as one qcow2 image (backend/chain_copy.cpp).
    if (lvm::backing_of(lv)) return download_chain(pool, lv, dst_file, offset, length);
    ILVM_TRY(check_range(lv, offset, length));
    return with_volume_active(pool, lv, [&] {
        return run_status(sys_, dd_download(lvm::lv_path(pool.vg_name, name), dst_file, offset, length,
                                            length ? length : lv.size - offset),
                          "downloading volume '" + name + "' to " + dst_file);
    });
}

}  // namespace ilvm
