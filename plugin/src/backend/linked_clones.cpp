// SPDX-License-Identifier: LGPL-2.1-or-later
// Linked clones (issue 18): `vol-clone --linked` / `vol-create-from --linked` make a qcow2
// volume whose image is an empty overlay on the source, its template, read through the
// overlay's (relative) backing name. The template is never written again: its first clone
// makes it read-only and tags it ilvm_template (lvm/template_tags.hpp) under its exclusive
// lock, for good. Clones activate it shared with their chain (backend/chain_activation.cpp),
// so several hosts read it at once while each runs its own clones exclusively.
//
// A clone is created as a snapshot's new top is (backend/snapshots.cpp), its template's lock
// held shared around the row's commit (below): `lvcreate --activate ey -K` (its lock taken
// with it), cleared, `qemu-img create -u … -b TEMPLATE -F
// raw|qcow2` (-u: the template need not be active here), the incomplete tag removed, released.
#include "backend/backend.hpp"
#include "backend/device.hpp"
#include "backend/templates.hpp"
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

constexpr uint64_t kSector = 512;   // qemu-img sizes images in whole sectors

}  // namespace

Status refuse_delete_of_template(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &name) {
    const auto clones = lvm::clones_of(lvs, name);
    if (clones.empty()) return {};
    std::string names;
    for (const auto &c : clones) names += (names.empty() ? "" : ", ") + c;
    return conflict("volume '" + name + "' of pool " + pool.name + " is the template of linked clones: " + names,
                    "delete its clones first (ilvm vol-delete CLONE --pool " + pool.name +
                        "); a template without clones can be deleted");
}

Status refuse_template(const PoolDef &pool, const lvm::LvReport &lv, const char *verb) {
    if (!lvm::is_template(lv)) return {};
    return invalid_input("cannot " + std::string(verb) + " volume '" + lv.name + "' of pool " + pool.name +
                             ": it is a template of linked clones, read-only for good",
                         "clone it with ilvm vol-clone " + pool.name + " " + lv.name +
                             " NEW --linked, or make a writable full copy with ilvm vol-clone " + pool.name + " " +
                             lv.name + " NEW (without --linked)");
}

Result<VolInfo> Backend::build_linked_clone(const PoolDef &pool, const VolDef &vol, const std::string &source) {
    ILVM_TRY(validate_lv_name(source));
    ILVM_TRY(validate_lv_name(vol.name));
    if (vol.name == source) return invalid_input("a linked clone needs a name of its own, not its template's");
    if (vol.format != VolFormat::qcow2)
        return invalid_input("a linked clone is a qcow2 volume (an overlay on its template), not " +
                                 std::string(vol_format_name(vol.format)),
                             "give <format type='qcow2'/> in the volume XML's <target>, or clone without --linked "
                             "for a full copy in the template's format");
    ILVM_ASSIGN_OR_RETURN(const auto listing, load_lvs_with_space(pool));
    ILVM_ASSIGN_OR_RETURN(const lvm::LvReport src, lv_named(pool, listing.lvs, source));
    if (lvm::is_layer(src))
        return invalid_input("'" + source + "' is snapshot '" + lvm::tag_value(src, lvm::kSnapshotTagPrefix).value_or("?") +
                                 "' of volume '" + lvm::layer_of(src).value_or("?") + "', not a volume",
                             "clone a volume");
    if (src.incomplete())
        return conflict("volume '" + source + "' of pool " + pool.name + " is being made (tagged incomplete)",
                        "try again once it is made; ilvm reconcile lists an interrupted one");
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(src));
    // One level of backing only: a template is a standalone image. A qcow2 volume with
    // snapshots (its top reads through its layers) or a linked clone would need its whole
    // chain frozen too; a full copy (vol-clone without --linked) is a standalone image.
    if (lvm::backing_of(src))
        return invalid_input("volume '" + source + "' of pool " + pool.name + " reads through " +
                                 *lvm::backing_of(src) +
                                 " (it has snapshots, or is a linked clone): a template must be a standalone image",
                             "make a standalone copy first (ilvm vol-clone " + pool.name + " " + source +
                                 " COPY, without --linked: its whole chain in one image) and clone that copy with "
                                 "--linked");
    const bool first = !lvm::is_template(src);
    if (first && src.active_locally)
        return conflict("volume '" + source + "' of pool " + pool.name + " is active on this host",
                        "its first linked clone makes it a read-only template under its exclusive lock: stop the "
                        "domain that uses it, or ilvm vol-deactivate " + source + " --pool " + pool.name);
    for (const auto &lv : listing.lvs)
        if (lv.name == vol.name)
            return conflict("volume '" + vol.name + "' already exists in pool " + pool.name, "choose another name");
    // The clone's virtual size: the template's, or more if asked (the guest sees zeros past
    // the template's end); never less (the overlay would cut the template's data off).
    VolDef overlay;
    overlay.name = vol.name;
    overlay.format = VolFormat::qcow2;
    overlay.allocation = vol.allocation;
    overlay.capacity = std::max(vol.capacity, image.capacity);
    if (overlay.capacity > UINT64_MAX - kSector) return invalid_input("volume capacity is too large");
    overlay.capacity = (overlay.capacity + kSector - 1) / kSector * kSector;
    ILVM_ASSIGN_OR_RETURN(const uint64_t wanted, qcow2_lv_size(overlay));
    ILVM_ASSIGN_OR_RETURN(const uint64_t size, round_up_to_extent(wanted, listing.space->extent_size));
    if (size > listing.space->free)
        return conflict("not enough free space in pool " + pool.name + " for linked clone '" + vol.name + "': it needs " +
                            human_size(size) + ", " + human_size(listing.space->free) + " available",
                        "delete unused volumes or snapshots");
    const std::string &vg = pool.vg_name;

    // The template's lock is held shared from before the clone's row is committed (its
    // ilvm_backing tag, by lvcreate) until after: a template delete takes that lock exclusive
    // and lists the clones under it (Backend::delete_vol), so it either sees this clone or
    // is refused while the lock is held. When a clone runs here the template is active here,
    // shared, already: that lock is the one held, and left as it is.
    const bool hold_template = !src.active_locally;
    if (first) {
        // The template is made under its exclusive lock (refused while any host uses it), and
        // from its row read under that lock: another host's first clone may have come first.
        ILVM_TRY(activate_lv(pool, src, lvm::ActivationMode::exclusive, "make a template of"));
        auto again = load_lv(pool, source);
        Status made = again.ok() ? Status{} : Status(again.error());
        const bool change = made.ok() && !lvm::is_template(*again);
        if (change)
            // One metadata commit: read-only and tagged together, or neither.
            made = run_status(sys_, lvm::lv_change_layer(vg, source, false, {lvm::kTemplateTag}, {}),
                              "making volume '" + source + "' a read-only template");
        // Exclusive to shared, the lock kept: no other host's delete comes in between.
        if (made.ok()) made = activate_lv(pool, src, lvm::ActivationMode::shared, "clone");
        if (!made.ok()) {
            release_lv(pool, source, "the template is not made (or not held): nothing was cloned");
            return made.take_error();
        }
        if (change) spdlog::info("volume {}/{} is a template now (read-only, tagged {})", vg, source, lvm::kTemplateTag);
    } else if (hold_template) {
        ILVM_TRY(activate_lv(pool, src, lvm::ActivationMode::shared, "clone"));
    }

    auto tags = lvm::image_tags(VolFormat::qcow2, overlay.capacity);
    tags.push_back(lvm::backing_tag(source));
    Status created = run_status(sys_, lvm::lvcreate_locked(vg, vol.name, size, tags), "lvcreate " + vg + "/" + vol.name);
    if (hold_template)
        release_lv(pool, source, "the clone's row names its template now (or was not made); clones activate it shared "
                                 "with their chain");
    if (!created.ok()) return created.take_error();
    const std::string dev = lvm::lv_path(vg, vol.name);
    Status made = pool.wipe_on_create ? device::zero_fill(sys_, dev, size) : device::clear_edges(sys_, dev, size);
    if (made.ok())
        made = run_status(sys_, qemu::create_overlay(dev, source, vol_format_name(image.format), overlay.capacity),
                          "qemu-img create (linked clone) on " + dev);
    if (made.ok()) made = mark_complete(pool, vol.name);
    if (!made.ok()) {
        remove_unfinished(pool, vol.name);
        return made.take_error();
    }
    release_lv(pool, vol.name, "the clone is made; the reconciler releases a volume nothing uses");
    spdlog::info("linked clone {}/{} of template {} made ({})", vg, vol.name, source, human_size(size));
    ILVM_ASSIGN_OR_RETURN(auto row, load_lv(pool, vol.name, VgLock::none));
    return to_vol_info(pool, row);
}

}  // namespace ilvm
