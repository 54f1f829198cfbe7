// SPDX-License-Identifier: LGPL-2.1-or-later
// The growth of a qcow2 volume's LV under its running guest (issue 18): ilvmd asks for it on
// the host that runs the guest when libvirt reports the guest's writes near the LV's end
// (agent/thin_growth.hpp). lvmlockd lets lvextend run on the host that holds the LV's lock
// exclusively; a volume active shared (both hosts during a migration hand-over) is refused
// here rather than by LVM, so that the agent can say it waits for the switch-over.
#include <algorithm>

#include "backend/backend.hpp"
#include "backend/templates.hpp"
#include "common/log.hpp"
#include "common/size.hpp"
#include "lvm/snapshot_tags.hpp"

namespace ilvm {

Result<VolInfo> Backend::grow_allocation(const PoolDef &pool, const std::string &name, uint64_t target) {
    ILVM_ASSIGN_OR_RETURN(auto found, load_lv_with_space(pool, name));
    const auto &[lv, space] = found;
    if (lvm::is_layer(lv))
        return invalid_input("'" + name + "' is a snapshot layer of volume '" + lvm::layer_of(lv).value_or("?") +
                                 "': read-only, never grown",
                             "only a volume's top, which its guest writes, grows");
    ILVM_TRY(refuse_template(pool, lv, "grow"));
    ILVM_ASSIGN_OR_RETURN(const auto image, lvm::image_of(lv));
    if (image.format != VolFormat::qcow2)
        return invalid_input("volume '" + name + "' is raw: its allocation is its capacity",
                             "grow a raw volume with ilvm vol-resize");
    if (!lv.active_locally)
        return conflict("volume '" + name + "' of pool " + pool.name + " is not active on this host",
                        "only the host that runs its guest grows a qcow2 volume's allocation");
    if (!lv.active_exclusively && pool.shared())
        return conflict("volume '" + name + "' of pool " + pool.name +
                            " is active shared (a migration hand-over): LVM extends it only under an exclusive lock",
                        "it is grown once the hand-over makes it exclusive on the host that runs the guest");
    // What the image can ever need: every cluster written (qemu-img measure), whole extents.
    ILVM_ASSIGN_OR_RETURN(const auto need, measure_qcow2(image.capacity));
    ILVM_ASSIGN_OR_RETURN(const uint64_t ceiling, round_up_to_extent(need.fully_allocated, space.extent_size));
    ILVM_ASSIGN_OR_RETURN(uint64_t size, round_up_to_extent(std::min(target, ceiling), space.extent_size));
    if (size <= lv.size) {
        spdlog::debug("volume {}/{}: {} already, its image needs at most {}", pool.vg_name, name, human_size(lv.size),
                      human_size(ceiling));
        return to_vol_info(pool, lv);
    }
    if (size - lv.size > space.free) {
        const uint64_t can = space.free / space.extent_size * space.extent_size;
        if (can == 0)
            return conflict("pool " + pool.name + " has no free space left to grow volume '" + name + "' (" +
                                human_size(lv.size) + " of at most " + human_size(ceiling) + ")",
                            "free space in the pool (vol-delete), or grow its LUN and run pvresize; a guest that "
                            "fills its volume meanwhile is paused, not handed write errors");
        spdlog::warn("pool {}: only {} free: volume {} grows by that, not to {}", pool.name, human_size(space.free), name,
                     human_size(size));
        size = lv.size + can;
    }
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lvextend(pool.vg_name, name, size)));
    if (!out.succeeded()) return activation_error(pool, lv, out, "grow");
    spdlog::info("volume {}/{} grown from {} to {} (its image needs at most {})", pool.vg_name, name,
                 human_size(lv.size), human_size(size), human_size(ceiling));
    auto grown = lv;
    grown.size = size;
    return to_vol_info(pool, grown);
}

}  // namespace ilvm
