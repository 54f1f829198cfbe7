// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/backend.hpp"

#include "backend/device.hpp"
#include "backend/multipath_lun.hpp"
#include "backend/tool_messages.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "iscsi/session.hpp"
#include "lvm/snapshot_tags.hpp"
#include "lvm/template_tags.hpp"
#include "lvm/volume_tags.hpp"

namespace ilvm {

Backend::Backend(System &sys, SecretProvider &secrets, BackendConfig cfg)
    : sys_(sys), secrets_(secrets), cfg_(std::move(cfg)) {}

namespace {

// A report of the pool's VG (vgs, lvs) that failed: not_found when LVM does not know the VG
// (the pool is not started here), else the tool's first error line.
Error vg_report_failed(const PoolDef &pool, const char *tool, const CommandOutput &out) {
    std::string line = out.first_error_line();
    if (says(line, ToolMessage::vg_not_found))
        return not_found("volume group " + pool.vg_name + " of pool " + pool.name + " not found",
                         "is the pool started on this host (ilvm pool-start " + pool.name + ")?");
    return system_error(std::string(tool) + " " + pool.vg_name + ": " + line);
}

}  // namespace

namespace {

Result<lvm::VgReport> vg_of_pool(const PoolDef &pool, const std::string &json) {
    ILVM_ASSIGN_OR_RETURN(auto vgs, lvm::parse_vgs_json(json));
    for (auto &vg : vgs)
        if (vg.name == pool.vg_name) return vg;
    return not_found("volume group " + pool.vg_name + " of pool " + pool.name + " not found");
}

}  // namespace

Result<lvm::VgReport> Backend::load_vg(const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::vgs_report(pool.vg_name)));
    if (!out.succeeded()) return vg_report_failed(pool, "vgs", out);
    return vg_of_pool(pool, out.out);
}

Result<std::pair<lvm::VgReport, std::optional<lvm::VgMdaReport>>> Backend::load_vg_with_metadata_area(const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::vgs_report_with_mda(pool.vg_name)));
    if (!out.succeeded()) return vg_report_failed(pool, "vgs", out);
    ILVM_ASSIGN_OR_RETURN(lvm::VgReport vg, vg_of_pool(pool, out.out));
    std::optional<lvm::VgMdaReport> area;
    auto rows = lvm::parse_vgs_mda_json(out.out);
    if (rows.ok()) {
        for (auto &r : *rows)
            if (r.name == pool.vg_name) area = r;
    }
    if (!area)   // optional: pool-info shows the rest
        spdlog::warn("vgs did not report the metadata area of {} ({}): pool-info leaves it out", pool.vg_name,
                     rows.ok() ? "no row of it" : rows.error().message);
    return std::make_pair(std::move(vg), std::move(area));
}

Result<std::vector<lvm::LvReport>> Backend::load_lvs(const PoolDef &pool, VgLock lock) {
    const Command cmd = lock == VgLock::none ? lvm::lvs_report_unlocked(pool.vg_name) : lvm::lvs_report(pool.vg_name);
    ILVM_ASSIGN_OR_RETURN(auto out, run_checked(sys_, cmd, "lvs " + pool.vg_name));
    return lvm::parse_lvs_json(out.out);
}

// One LV's row (lvs VG/LV): at 10,000 volumes a whole-VG report per single-volume verb cost
// most of its time (issue 16).
Result<lvm::LvReport> Backend::load_lv(const PoolDef &pool, const std::string &name, VgLock lock) {
    ILVM_TRY(validate_lv_name(name));
    Command cmd = lvm::lvs_report_one(pool.vg_name, name);
    if (lock == VgLock::none) cmd.argv.insert(cmd.argv.begin() + 1, "--nolocking");
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(cmd));
    if (out.succeeded()) {
        ILVM_ASSIGN_OR_RETURN(auto lvs, lvm::parse_lvs_json(out.out));
        return lv_named(pool, lvs, name);
    }
    if (says(out.first_error_line(), ToolMessage::lv_not_found)) return lv_named(pool, {}, name);
    return vg_report_failed(pool, "lvs", out);
}

Result<std::pair<lvm::LvReport, lvm::VgSpace>> Backend::load_lv_with_space(const PoolDef &pool, const std::string &name) {
    ILVM_TRY(validate_lv_name(name));
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lvs_report_one_with_space(pool.vg_name, name)));
    if (!out.succeeded()) {
        if (says(out.first_error_line(), ToolMessage::lv_not_found)) return lv_named(pool, {}, name).error();
        return vg_report_failed(pool, "lvs", out);
    }
    ILVM_ASSIGN_OR_RETURN(auto listing, lvm::parse_lvs_with_space_json(out.out));
    ILVM_ASSIGN_OR_RETURN(auto lv, lv_named(pool, listing.lvs, name));
    if (!listing.space) return system_error("lvs gave no free space for volume group " + pool.vg_name);
    return std::make_pair(std::move(lv), *listing.space);
}

Result<lvm::LvReport> Backend::lv_named(const PoolDef &pool, const std::vector<lvm::LvReport> &lvs, const std::string &name) {
    for (const auto &lv : lvs)
        if (lv.name == name) return lv;
    return not_found("volume '" + name + "' not found in pool " + pool.name,
                     "list the pool's volumes with ilvm vol-list " + pool.name);
}

Result<lvm::LvsWithSpace> Backend::load_lvs_with_space(const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::lvs_report_with_space(pool.vg_name)));
    if (!out.succeeded()) return vg_report_failed(pool, "lvs", out);
    ILVM_ASSIGN_OR_RETURN(auto listing, lvm::parse_lvs_with_space_json(out.out));
    if (!listing.space) {
        ILVM_ASSIGN_OR_RETURN(auto vg, load_vg(pool));
        listing.space = lvm::VgSpace{vg.free, vg.extent_size};
    }
    return listing;
}

VolInfo Backend::to_vol_info(const PoolDef &pool, const lvm::LvReport &lv) {
    VolInfo v;
    v.def.name = lv.name;
    auto image = lvm::image_of(lv);
    if (!image.ok())   // still a qcow2 volume: its capacity shown as its LV's size until the tag is mended
        spdlog::warn("{} (its capacity is shown as its LV's size)", image.error().message);
    v.def.format = image.ok() ? image->format : VolFormat::qcow2;
    v.def.capacity = image.ok() ? image->capacity : lv.size;
    v.status.key = lv.uuid;
    v.status.path = lv.path.empty() ? lvm::lv_path(pool.vg_name, lv.name) : lv.path;
    v.status.capacity = v.def.capacity;
    v.status.allocation = lv.size;  // raw volumes are thick; a qcow2 image fills its LV as the guest writes
    if (lv.active_locally)
        v.status.activation = lv.active_exclusively || !pool.shared() ? ActivationState::exclusive : ActivationState::shared;
    v.status.open = lv.device_open;
    v.status.activation_skip = lv.skip_activation;
    v.status.autoactivation = lv.autoactivation;
    v.status.lock_args = lv.lock_args;
    v.status.incomplete = lv.incomplete();
    v.status.is_template = lvm::is_template(lv);
    if (auto b = lvm::backing_of(lv)) v.status.backing_path = lvm::lv_path(pool.vg_name, *b);
    return v;
}

// The VG (name, uuid) whose PV is the pool's LUN (`dev`, lun_device()); nullopt when the LUN is no PV.
Result<std::optional<std::pair<std::string, std::string>>> Backend::find_vg_on_device(const std::string &dev) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys_.run(lvm::pvs_report(dev)));
    if (!out.succeeded()) {
        // "Failed to find physical volume": the LUN carries no LVM label.
        if (says(out.first_error_line(), ToolMessage::no_pv_label))
            return std::optional<std::pair<std::string, std::string>>{};
        return system_error("pvs " + dev + ": " + out.first_error_line());
    }
    ILVM_ASSIGN_OR_RETURN(auto pvs, lvm::parse_pvs_json(out.out));
    if (pvs.empty() || pvs.front().vg_name.empty()) return std::optional<std::pair<std::string, std::string>>{};
    return std::optional<std::pair<std::string, std::string>>{{pvs.front().vg_name, pvs.front().vg_uuid}};
}

Status Backend::login(const PoolDef &pool, iscsi::PoolSessions &sessions) {
    std::optional<iscsi::ChapCredentials> chap;
    if (pool.auth && !sessions.all_up()) {
        ILVM_ASSIGN_OR_RETURN(auto password, secrets_.chap_password(pool.auth->secret));
        chap = iscsi::ChapCredentials{pool.auth->username, std::move(password)};
    }
    ILVM_TRY(sessions.login(chap));
    std::optional<Error> first;
    bool any_device = false;
    for (size_t i = 0; i < sessions.size(); ++i) {
        if (!sessions.up(i)) continue;
        auto waited = device::wait_for(sys_, pool.by_path_device(sessions.portal(i)), cfg_.device_timeout);
        if (waited.ok()) {
            any_device = true;
            continue;
        }
        // Logged in but the LUN is missing: leave no session, and no record or iface this login made.
        if (sessions.made(i)) sessions.undo_login(i, waited.error().message);
        if (pool.multipath())
            spdlog::warn("pool {}: path {} of {} has no LUN device: {}", pool.name, sessions.portal(i).address(),
                         pool.target_iqn, waited.error().message);
        if (!first) first = waited.take_error();
    }
    if (any_device) return {};
    return first ? *first : internal_error("pool " + pool.name + ": no portal has a session after the login");
}

Result<std::string> Backend::lun_device(const PoolDef &pool, iscsi::PoolSessions &sessions, LunUse use) {
    if (!pool.multipath()) return pool.by_path_device(pool.portals.front());
    if (!sessions.known()) ILVM_TRY(sessions.logged_in());
    if (!sessions.any_up())
        return not_found("no portal of pool " + pool.name + " has a session to " + pool.target_iqn,
                         "is the pool started on this host (ilvm pool-start " + pool.name + ")? ilvm doctor " +
                             pool.name + " checks each portal's session");
    if (use == LunUse::map_it) return multipath_lun::ensure_map(sys_, pool, cfg_.device_timeout);
    return multipath_lun::existing_map(sys_, pool);
}

}  // namespace ilvm
