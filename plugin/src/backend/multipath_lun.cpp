// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/multipath_lun.hpp"

#include <spdlog/spdlog.h>

#include "backend/device.hpp"
#include "common/continue_after.hpp"
#include "common/strings.hpp"
#include "iscsi/iscsi_argv.hpp"
#include "multipath/multipath_argv.hpp"
#include "multipath/multipath_report.hpp"

namespace ilvm::multipath_lun {
namespace {

// The pool's portal a session is to, or nullptr (a session the pool did not make).
const Portal *pool_portal(const PoolDef &pool, const iscsi::PortalAddress &at) {
    for (const auto &p : pool.portals)
        if (p.is(at.host, at.port)) return &p;
    return nullptr;
}

}  // namespace

std::vector<LunPath> lun_paths_in(std::string_view tree, const PoolDef &pool) {
    std::vector<LunPath> out;
    for (const auto &s : iscsi::target_sessions(tree, pool.target_iqn)) {
        if (!pool_portal(pool, s.portal)) continue;
        LunPath p{s.portal, s.session_state, {}, {}};
        if (const auto *d = iscsi::disk_of_lun(s, pool.lun)) {
            p.disk = d->name;
            p.disk_state = d->state;
        }
        out.push_back(std::move(p));
    }
    return out;
}

namespace {

Result<std::string> wwid_of(System &sys, const std::string &disk) {
    ILVM_ASSIGN_OR_RETURN(Command c, multipath::udev_properties(disk));
    ILVM_ASSIGN_OR_RETURN(auto out, run_checked(sys, c, "udevadm info"));
    return multipath::wwid_from_udev_properties(out.out, disk);
}

std::string lun_name(const PoolDef &pool) { return pool.target_iqn + " LUN " + std::to_string(pool.lun); }

// The first path with a disk, or not_found.
Result<const LunPath *> first_disk(const std::vector<LunPath> &paths, const PoolDef &pool) {
    for (const auto &p : paths)
        if (!p.disk.empty()) return &p;
    return not_found("no iSCSI session of pool " + pool.name + " shows a disk for " + lun_name(pool),
                     "iscsiadm --mode session --print 3 lists each session's disks; is the pool started here?");
}

// The WWID of the pool's LUN (through its first path with a disk) and its map's device.
struct LunMap {
    std::string wwid, device;
};
Result<LunMap> map_of(System &sys, const PoolDef &pool, const std::vector<LunPath> &paths) {
    ILVM_ASSIGN_OR_RETURN(const LunPath *first, first_disk(paths, pool));
    ILVM_ASSIGN_OR_RETURN(std::string wwid, wwid_of(sys, first->disk));
    ILVM_ASSIGN_OR_RETURN(std::string device, multipath::map_device_path(wwid));
    return LunMap{std::move(wwid), std::move(device)};
}

}  // namespace

Result<std::vector<LunPath>> lun_paths(System &sys, const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto out, run_checked(sys, iscsi::session_details(), "iscsiadm --mode session --print 3"));
    return lun_paths_in(out.out, pool);
}

Result<std::string> ensure_map(System &sys, const PoolDef &pool, std::chrono::milliseconds timeout) {
    ILVM_ASSIGN_OR_RETURN(auto paths, lun_paths(sys, pool));
    ILVM_ASSIGN_OR_RETURN(const LunPath *first, first_disk(paths, pool));
    ILVM_ASSIGN_OR_RETURN(std::string wwid, wwid_of(sys, first->disk));
    // Every portal must lead to the same LUN: a map of two LUNs would mix two disks' blocks.
    for (const auto &p : paths) {
        if (p.disk.empty() || &p == first) continue;
        ILVM_ASSIGN_OR_RETURN(std::string other, wwid_of(sys, p.disk));
        if (other != wwid)
            return invalid_input("the portals of pool " + pool.name + " lead to different LUNs: " + lun_name(pool) +
                                     " is WWID " + wwid + " through " + first->portal.host + ":" +
                                     std::to_string(first->portal.port) + " and " + other + " through " +
                                     p.portal.host + ":" + std::to_string(p.portal.port),
                                 "name only portals of one target portal group in <source><host>");
    }
    ILVM_ASSIGN_OR_RETURN(std::string device, multipath::map_device_path(wwid));
    // find_multipaths strict (multipath-tools 0.9's default): multipathd maps only WWIDs listed
    // in /etc/multipath/wwids. Adding one that is there already changes nothing.
    ILVM_ASSIGN_OR_RETURN(Command add_wwid, multipath::multipath_add_wwid(first->disk));
    auto added = sys.run(add_wwid);
    if (!added.ok()) {
        // The program could not run at all: multipath-tools is missing.
        Error e = added.take_error();
        e.message = "pool " + pool.name + " names " + std::to_string(pool.portals.size()) +
                    " portals, which needs dm-multipath: " + e.message;
        e.hint = "install multipath-tools, then run ilvm host-setup (it writes multipath's settings for the pool's "
                 "maps); ilvm host-validate checks them";
        return e;
    }
    if (!added->succeeded()) {
        std::string line = added->first_error_line();
        if (line.empty()) line = "exit status " + std::to_string(added->exit_code);
        return system_error("pool " + pool.name + ": " + add_wwid.display() + " failed: " + line,
                            "ilvm host-validate checks multipath's settings; journalctl -u multipathd says more");
    }
    if (!sys.path_exists(device)) {
        ILVM_ASSIGN_OR_RETURN(Command add_map, multipath::multipathd_add_map(wwid));
        ILVM_ASSIGN_OR_RETURN(auto out, sys.run(add_map));
        // multipathd's client answers "ok" or "fail" (and exits 1 on "fail" only in newer
        // versions): either way the map's device is what counts, waited for below.
        if (!out.succeeded() || trim(out.out) == "fail")
            spdlog::warn("multipathd add map {} answered '{}' ({}); waiting for {} anyway: multipathd may be making "
                         "it from the paths' udev events",
                         wwid, trim(out.out), out.first_error_line(), device);
    }
    auto waited = device::wait_for(sys, device, timeout);
    if (!waited.ok())
        return not_found("multipath map " + device + " of pool " + pool.name + " did not appear within " +
                             std::to_string(timeout.count() / 1000) + " s",
                         "is multipathd running (systemctl status multipathd)? `multipath -ll` lists the maps; "
                         "ilvm host-validate checks multipath's settings");
    return device;
}

Result<std::string> existing_map(System &sys, const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto paths, lun_paths(sys, pool));
    return existing_map(sys, pool, paths);
}

Result<std::string> existing_map(System &sys, const PoolDef &pool, const std::vector<LunPath> &paths) {
    ILVM_ASSIGN_OR_RETURN(LunMap map, map_of(sys, pool, paths));
    if (!sys.path_exists(map.device))
        return not_found("pool " + pool.name + " has no multipath map " + map.device + " on this host",
                         "ilvm pool-destroy " + pool.name + " && ilvm pool-start " + pool.name + " makes it");
    return map.device;
}

Status flush_map(System &sys, const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto paths, lun_paths(sys, pool));
    if (!first_disk(paths, pool).ok()) {
        spdlog::info("pool {}: no path shows a disk, so there is no multipath map to remove", pool.name);
        return {};
    }
    ILVM_ASSIGN_OR_RETURN(LunMap map, map_of(sys, pool, paths));
    const std::string &wwid = map.wwid, &device = map.device;
    if (!sys.path_exists(device)) return {};
    ILVM_ASSIGN_OR_RETURN(Command flush, multipath::multipath_flush(wwid));
    auto out = run_checked(sys, flush, "multipath -f");
    if (!out.ok())
        return system_error("cannot remove multipath map " + device + " of pool " + pool.name + ": " +
                                out.error().message,
                            "something still has it open (dmsetup info -c " + wwid + "; an LV of the VG still active?)");
    return {};
}

Result<std::vector<PathHealth>> path_health(System &sys, const PoolDef &pool) {
    ILVM_ASSIGN_OR_RETURN(auto paths, lun_paths(sys, pool));
    return path_health(sys, pool, paths);
}

Result<std::vector<PathHealth>> path_health(System &sys, const PoolDef &pool, const std::vector<LunPath> &paths) {
    std::vector<multipath::MultipathMap> maps;
    auto shown = run_checked(sys, multipath::multipathd_show_maps_json(), "multipathd show maps json");
    if (shown.ok()) {
        auto parsed = multipath::parse_multipath_maps(shown->out);
        if (parsed.ok()) maps = std::move(*parsed);
        else spdlog::warn("{}: every path is reported without multipathd's view", parsed.error().message);
    } else {
        spdlog::warn("{}: every path is reported without multipathd's view", shown.error().message);
    }
    std::vector<PathHealth> out;
    for (const auto &portal : pool.portals) {
        PathHealth h{portal.address(), {}, {}, {}, {}, false};
        for (const auto &p : paths) {
            if (!portal.is(p.portal.host, p.portal.port)) continue;
            h.session_state = p.session_state;
            h.disk = p.disk;
        }
        for (const auto &m : maps)
            for (const auto &mp : m.paths)
                if (!h.disk.empty() && mp.dev == h.disk) {
                    h.dm_state = mp.dm_st;
                    h.checker = mp.chk_st;
                    h.usable = multipath::path_usable(mp);
                }
        out.push_back(std::move(h));
    }
    return out;
}

}  // namespace ilvm::multipath_lun
