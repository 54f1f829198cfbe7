// SPDX-License-Identifier: LGPL-2.1-or-later
// Copies and exports of a qcow2 volume that reads through a backing (a volume with
// snapshots, a linked clone; issue 18: "backups/exports take the whole chain, not the top
// overlay"). Its top LV alone is an overlay whose relative backing name points into layers
// (or a template) that nothing would keep for a byte copy, so the chain is read through by
// QEMU instead: `qemu-img convert` writes one standalone qcow2 image (no backing) into a new
// LV sized by `qemu-img measure` of the chain (vol-clone, vol-create-from), or into the
// file (vol-download).
//
// The source's chain is activated shared for the read, as a domain on it would be
// (backend/chain_activation.cpp): a domain start anywhere needs the top exclusive and is
// refused meanwhile, while other readers (a clone's chain on another host) go on.
#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "common/log.hpp"
#include "common/size.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/volume_tags.hpp"
#include "qemu/qemu_img.hpp"

namespace ilvm {

Status Backend::with_chain_shared(const PoolDef &pool, const lvm::LvReport &top, const char *verb,
                                  const std::function<Status()> &work) {
    // Active here already (held, or a template a clone here reads): its layers are too, and
    // both stay as they are.
    const bool activate = !top.active_locally;
    if (activate) ILVM_TRY(activate_lv(pool, top, lvm::ActivationMode::shared, verb));
    Status done = activate ? activate_layers(pool, top) : Status{};
    if (done.ok()) done = work();
    if (activate) {
        release_lv(pool, top.name, "the chain was read; the reconciler releases a volume nothing uses");
        release_layers(pool, top);
    }
    return done;
}

Result<VolInfo> Backend::copy_chain(const PoolDef &pool, const VolDef &vol, const lvm::LvReport &src,
                                    const lvm::ImageInfo &image, const lvm::LvsWithSpace &listing) {
    const std::string src_dev = lvm::lv_path(pool.vg_name, src.name);
    std::optional<VolInfo> made_info;
    Status copied = with_chain_shared(pool, src, "copy", [&]() -> Status {
        ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(qemu::measure_chain(src_dev)));
        if (!out.succeeded())
            return system_error("qemu-img measure of volume '" + src.name + "' (its chain): " + out.first_error_line());
        ILVM_ASSIGN_OR_RETURN(const auto need, qemu::parse_measure_json(out.out));
        // The copy: a standalone qcow2 image of the source's capacity, in an LV that holds the
        // chain's data (measured with the image's metadata, so never less than an empty image
        // of that capacity needs, which create_lv checks); it grows like any thin one.
        VolDef target = vol;
        target.format = VolFormat::qcow2;
        target.capacity = image.capacity;
        target.allocation = need.required;
        ILVM_ASSIGN_OR_RETURN(const uint64_t size, create_lv(pool, target, &listing));
        // Until the copy is made the new volume is tagged incomplete; any failure removes it.
        auto made_lv = load_lv(pool, vol.name);
        Status made = made_lv.ok() ? Status{} : Status(made_lv.error());
        if (made.ok()) made = activate_lv(pool, *made_lv, lvm::ActivationMode::exclusive, "activate");
        if (made.ok()) {
            const std::string dst_dev = lvm::lv_path(pool.vg_name, vol.name);
            made = pool.wipe_on_create ? device::zero_fill(sys_, dst_dev, size) : device::clear_edges(sys_, dst_dev, size);
            if (made.ok())
                made = run_status(sys_, qemu::flatten_qcow2(src_dev, dst_dev),
                                  "copying volume '" + src.name + "' (its whole chain) to '" + vol.name + "'");
            release_lv(pool, vol.name, "the copy is made (or failed); the reconciler releases a volume nothing uses");
        }
        if (made.ok()) made = mark_complete(pool, vol.name);
        if (!made.ok()) {
            remove_unfinished(pool, vol.name);
            return made;
        }
        VolInfo info = to_vol_info(pool, *made_lv);
        info.status.incomplete = false;
        made_info = info;
        spdlog::info("volume {}/{} copied from {} through its chain ({} image, {} LV)", pool.vg_name, vol.name, src.name,
                     human_size(image.capacity), human_size(size));
        return {};
    });
    if (!copied.ok()) return copied.take_error();
    return *made_info;
}

Status Backend::download_chain(const PoolDef &pool, const lvm::LvReport &src, const std::string &dst_file,
                               uint64_t offset, uint64_t length) {
    if (offset != 0 || length != 0)
        return invalid_input("volume '" + src.name + "' of pool " + pool.name +
                                 " reads through a backing: it is downloaded whole, as one qcow2 image",
                             "omit --offset and --length");
    return with_chain_shared(pool, src, "download", [&] {
        return run_status(sys_, qemu::flatten_qcow2(lvm::lv_path(pool.vg_name, src.name), dst_file),
                          "downloading volume '" + src.name + "' (its whole chain, as one qcow2 image) to " + dst_file);
    });
}

}  // namespace ilvm
