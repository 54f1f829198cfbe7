// SPDX-License-Identifier: LGPL-2.1-or-later
// pool-* verbs.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include <glib.h>

#include "cli/agent_mirror.hpp"
#include "cli/context.hpp"
#include "cli/json_views.hpp"
#include "cli/placement.hpp"
#include "cli/pool_definition.hpp"
#include "cli/pool_lifecycle.hpp"
#include "cli/ui/output.hpp"
#include "cli/ui/xml_file.hpp"
#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "common/strings.hpp"
#include "common/clock.hpp"
#include "host/core/agent_status.hpp"
#include "host/core/fence_record.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/mirror_sync.hpp"

namespace ilvm::cli {
namespace {

// "running, …" as doctor says it; a problem starts with its severity and ends with its fix.
std::string agent_text(const host::AgentHealth &h) {
    if (h.severity == "ok") return h.what;
    return (h.severity == "warn" ? "WARN: " : "FAIL: ") + h.what + (h.fix.empty() ? "" : " (fix: " + h.fix + ")");
}

// Inserts `element` before `before` in canonical XML we produced ourselves.
std::string insert_before(const std::string &xml, const std::string &before, const std::string &element) {
    auto pos = xml.find(before);
    if (pos == std::string::npos) return xml;
    return xml.substr(0, pos) + element + xml.substr(pos);
}

Result<std::string> canonical_pool(Context &ctx, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    return be->parse_pool(xml);
}

Status require_inactive(Context &ctx, const std::string &name, const char *verb) {
    if (ctx.store.active(name))
        return conflict("pool '" + name + "' is active", std::string("stop it first with ilvm pool-destroy ") + name +
                                                             " (" + verb + " needs an inactive pool)");
    return {};
}

// The live XML (capacity numbers) and volumes of an active pool. A read records nothing.
Result<host::PoolRefresh> refresh(Context &ctx, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    return be->refresh_pool(xml);
}

// The same, recorded as the pool's run state: only under the pool's lock (pool-start,
// pool-refresh), the pool checked to be started under it.
Result<host::PoolRefresh> refresh_and_record(Context &ctx, const std::string &name, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto r, refresh(ctx, xml));
    ILVM_TRY(ctx.store.save_runtime(name, r.pool_xml));
    return r;
}

// What a started pool is: the portals, target and LUN it is logged in to, its volume group and
// lock type. None of it may change while the pool runs (the run-state copy is what stop and
// the hook use; a changed definition would stop another LUN and leave this one logged in).
std::vector<std::string> identity_changes(const host::PoolSummary &running, const host::PoolSummary &wanted) {
    std::vector<std::string> changed;
    auto check = [&](const char *what, const std::string &a, const std::string &b) {
        if (a != b) changed.push_back(std::string(what) + " " + a + " -> " + b);
    };
    check("portal", join(running.portals, ", "), join(wanted.portals, ", "));
    check("target", running.target, wanted.target);
    check("LUN", running.lun, wanted.lun);
    check("volume group", running.vg, wanted.vg);
    check("lock type", running.lock_type, wanted.lock_type);
    return changed;
}

// ILVM_KEEP_SESSION when another defined pool uses the same target at one of this pool's
// portals: its session (if active) and node record must survive this pool's stop, delete or
// undefine. The flag is per pool: a multipath pool sharing one portal keeps all its sessions.
unsigned session_flags(Context &ctx, const std::string &name, const std::string &xml, bool only_active) {
    auto me = host::summarize_pool(xml);
    if (!me.ok()) return 0;
    for (const auto &other : host::load_defined_pools(ctx.store)) {
        if (other.name == name || (only_active && !ctx.store.active(other.name))) continue;
        const auto &o = other.def;
        if (host::shares_portal(o, *me)) return ILVM_KEEP_SESSION;
    }
    return 0;
}

// What the guests see in all: the volumes' capacities, qcow2 ones at their virtual size
// (saturating: a sum past 2^64 bytes stays at the maximum), and how many are qcow2.
struct VirtualSize {
    uint64_t bytes = 0;
    size_t qcow2 = 0;
};
VirtualSize virtual_size(const std::vector<host::VolSummary> &vols) {
    VirtualSize s;
    for (const auto &v : vols) {
        s.bytes = v.capacity > UINT64_MAX - s.bytes ? UINT64_MAX : s.bytes + v.capacity;
        s.qcow2 += v.format == "qcow2";
    }
    return s;
}

// "120.00 GiB in 3 volumes, 2 of them qcow2: 12.00 times the pool's capacity" (qcow2 volumes
// hold less than they show, so the pool can promise more than it has).
std::string describe_virtual_size(const VirtualSize &s, size_t volumes, uint64_t pool_capacity, bool bytes) {
    std::string out = size_text(s.bytes, bytes) + " in " + std::to_string(volumes) + " volume(s), " +
                      std::to_string(s.qcow2) + " of them qcow2";
    if (pool_capacity > 0) {
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", static_cast<double>(s.bytes) / static_cast<double>(pool_capacity));
        out += std::string(": ") + ratio + " times the pool's capacity";
    }
    return out;
}

std::string lun_description(const host::PoolSummary &p) {
    return "LUN " + p.lun + " of " + p.target + " at " + join(p.portals, ", ");
}

Status build(Context &ctx, const Args &args, const std::string &name, const std::string &xml, unsigned extra_flags) {
    ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
    const bool overwrite = args.flag("overwrite");
    ILVM_TRY(ctx.confirm(args, name,
                         "This initialises " + lun_description(p) + " as volume group " + p.vg +
                             (overwrite ? ", DESTROYING any data found on it" : "")));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    unsigned flags = extra_flags | (overwrite ? ILVM_BUILD_OVERWRITE : 0u);
    ILVM_ASSIGN_OR_RETURN(auto built, be->build_pool(xml, flags));
    // The built pool is pinned to the new VG's UUID.
    return ctx.store.save(name, built);
}

// pool-define, pool-define-as and pool-edit: the module's checks, then the host's (a running
// pool's identity, one definition per LUN and per VG), then the store. The pool's name.
// `editing`: the pool being edited, whose name the XML must keep.
Result<std::string> define_pool(Context &ctx, const Args &args, const std::string &text, const std::string &editing = "") {
    ILVM_ASSIGN_OR_RETURN(std::string xml, canonical_pool(ctx, text));
    ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
    if (!editing.empty() && p.name != editing)
        return invalid_input("pool-edit cannot rename pool '" + editing + "' to '" + p.name + "'",
                             "define the new pool with pool-define (its own name, UUID, LUN and VG), then pool-undefine " +
                                 editing);
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, p.name, LockMode::exclusive));
    if (ctx.store.active(p.name)) {
        ILVM_ASSIGN_OR_RETURN(auto running_xml, ctx.store.load_runtime(p.name));
        ILVM_ASSIGN_OR_RETURN(auto running, host::summarize_pool(running_xml));
        if (auto changed = identity_changes(running, p); !changed.empty())
            return conflict("pool '" + p.name + "' is active: its " + join(changed, ", ") + " cannot change while it runs",
                            "destroy it first (ilvm pool-destroy " + p.name + "), then define and start it again");
    }

    // Two definitions over one LUN or one VG would defeat every check we make.
    for (const auto &other : host::load_defined_pools(ctx.store)) {
        if (other.name == p.name) continue;
        const auto &o = other.def;
        if (o.vg == p.vg)
            return conflict("pool '" + other.name + "' already uses volume group " + p.vg);
        if (o.lun == p.lun && host::shares_portal(o, p))
            return conflict("pool '" + other.name + "' already uses " + lun_description(p));
    }
    bool changed = false;
    if (p.uuid.empty()) {
        gchar *uuid = g_uuid_string_random();
        xml = insert_before(xml, "  <source>", "  <uuid>" + std::string(uuid) + "</uuid>\n");
        g_free(uuid);
        changed = true;
    }
    if (ctx.store.exists(p.name)) {
        ILVM_ASSIGN_OR_RETURN(auto old_xml, ctx.store.load(p.name));
        ILVM_ASSIGN_OR_RETURN(auto old, host::summarize_pool(old_xml));
        // Keep the VG UUID pin across redefinitions that do not mention it.
        if (p.vg_uuid.empty() && !old.vg_uuid.empty() && old.vg == p.vg) {
            xml = insert_before(xml, "  </source>", "    <vg uuid='" + old.vg_uuid + "'/>\n");
            changed = true;
            spdlog::info("keeping the pinned VG UUID {} of pool {}", old.vg_uuid, p.name);
        }
    }
    if (changed) {
        ILVM_ASSIGN_OR_RETURN(xml, canonical_pool(ctx, xml));
    }
    ILVM_TRY(ctx.store.save(p.name, xml));
    return p.name;
}

}  // namespace

Status pool_define(Context &ctx, const Args &args) {
    const std::string file = args.get("file");
    ILVM_ASSIGN_OR_RETURN(std::string text, read_xml_file(file));
    ILVM_ASSIGN_OR_RETURN(std::string name, define_pool(ctx, args, text));
    *ctx.out << "Pool " << name << " defined from " << file << "\n";
    return {};
}

Status pool_define_as(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml_from_args(args));
    ILVM_ASSIGN_OR_RETURN(std::string name, define_pool(ctx, args, xml));
    *ctx.out << "Pool " << name << " defined\n";
    return {};
}

Status pool_edit(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(const std::string stored, ctx.pool_xml(name));
    std::string text = stored;
    for (;;) {
        ILVM_ASSIGN_OR_RETURN(std::string edited, edit_text(text, "ilvm-pool-" + name));
        if (edited == stored) {
            *ctx.out << "Pool " << name << " XML configuration not changed.\n";
            return {};
        }
        auto defined = define_pool(ctx, args, edited, name);
        if (defined.ok()) {
            *ctx.out << "Pool " << name << " XML configuration edited.\n";
            return {};
        }
        // As virsh: on a terminal, offer to edit the same text again; else fail with the error.
        if (!ctx.interactive) return defined.take_error();
        *ctx.out << "error: " << defined.error().message << "\n";
        if (!defined.error().hint.empty()) *ctx.out << "hint: " << defined.error().hint << "\n";
        *ctx.out << "Failed. Try again? [y,n]: " << std::flush;
        std::string answer;
        if (!std::getline(*ctx.in, answer) || (answer != "y" && answer != "Y"))
            return invalid_input("pool " + name + " was not changed");
        text = edited;
    }
}

Status pool_undefine(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_TRY(require_inactive(ctx, name, "pool-undefine"));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    // Forget our node record (it holds the CHAP settings); the LUN's data is untouched.
    const unsigned flags = session_flags(ctx, name, xml, false);
    ILVM_TRY(be->forget_pool(xml, flags));
    if (auto p = host::summarize_pool(xml); p.ok()) continue_after(host::mirror_remove(ctx.mirror(), name, p->vg), host::kMirrorIsAView);
    ILVM_TRY(ctx.store.remove(name));
    *ctx.out << "Pool " << name << " has been undefined\n";
    return {};
}

Status pool_build(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_TRY(require_inactive(ctx, name, "pool-build"));
    ILVM_TRY(build(ctx, args, name, xml, 0));
    *ctx.out << "Pool " << name << " built\n";
    return {};
}

void forget_earlier_runs(const host::PoolStore &store, const std::string &name) {
    store.remove_runtime_file(name, "idle");
    store.remove_runtime_file(name, host::kFenceRecordExt);
}

Status start_pool_locked(Context &ctx, const std::string &name, const std::string &xml, Mirror mirror) {
    ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
    // Refuse before logging in: someone else's libvirt pool of this name is never touched.
    if (mirror == Mirror::sync) ILVM_TRY(host::mirror_check(ctx.mirror(), name, p.vg));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto started, be->start_pool(xml, 0));
    if (started != xml) ILVM_TRY(ctx.store.save(name, started));
    auto refreshed = refresh_and_record(ctx, name, started);
    if (!refreshed.ok()) {
        // A pool we cannot even list is not started: undo the login and lock-start.
        const unsigned flags = session_flags(ctx, name, started, true);
        continue_after(be->stop_pool(started, flags), "the start has failed and says why; what the stop left is pool-destroy's");
        return refreshed.take_error();
    }
    forget_earlier_runs(ctx.store, name);
    if (mirror == Mirror::sync) continue_after(host::mirror_bring_up(ctx.mirror(), name, p.vg), host::kMirrorIsAView);
    return {};
}

namespace {

// Runs `stop` (our pool's stop or delete) with the libvirt mirror stopped first: libvirt's
// stop runs `vgchange -aln VG`, which needs the VG, our session and lockspace, still there.
// That vgchange fails on a volume that is open, as our stop then refuses too. When `stop`
// fails the pool is still running, so a mirror that was up is started again.
Status with_mirror_down(Context &ctx, const std::string &name, const std::string &xml, Mirror mirror,
                        const std::function<Status()> &stop) {
    ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
    const bool was_up = mirror == Mirror::sync && ctx.mirror().inspect(name, p.vg).state == host::MirrorState::active;
    if (was_up) continue_after(host::mirror_bring_down(ctx.mirror(), name, p.vg), host::kMirrorIsAView);
    Status st = stop();
    if (!st.ok() && was_up) continue_after(host::mirror_bring_up(ctx.mirror(), name, p.vg), host::kMirrorIsAView);
    if (st.ok()) ctx.store.remove_runtime_file(name, "idle");
    return st;
}

}  // namespace

Status stop_pool_locked(Context &ctx, const std::string &name, const std::string &xml, Mirror mirror) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    const unsigned flags = session_flags(ctx, name, xml, true);
    ILVM_TRY(with_mirror_down(ctx, name, xml, mirror, [&]() -> Status {
        ILVM_TRY(be->stop_pool(xml, flags));
        return {};
    }));
    return ctx.store.clear_runtime(name);
}

Status pool_start(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    if (ctx.store.active(name)) return conflict("pool '" + name + "' is already active");
    if (args.flag("overwrite") && !args.flag("build"))
        return invalid_input("--overwrite only makes sense with --build");
    if (args.flag("build")) {
        ILVM_TRY(build(ctx, args, name, xml, ILVM_BUILD_KEEP_STARTED));
        ILVM_ASSIGN_OR_RETURN(xml, ctx.store.load(name));
    }
    ILVM_TRY(start_pool_locked(ctx, name, xml));
    *ctx.out << "Pool " << name << " started\n";
    return {};
}

Status pool_destroy(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_TRY(ctx.active_pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(name));  // still started, as it runs
    ILVM_TRY(stop_pool_locked(ctx, name, xml));
    *ctx.out << "Pool " << name << " destroyed\n";
    return {};
}

Status pool_delete(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_TRY(ctx.pool_xml(name));
    auto started_only = [&]() -> Result<std::string> {
        if (!ctx.store.active(name))
            return conflict("pool '" + name + "' must be started to delete its volume group",
                            "deleting needs the LUN and the lock manager: ilvm pool-start " + name + " first");
        return ctx.active_pool_xml(name);
    };
    ILVM_TRY(started_only());
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_ASSIGN_OR_RETURN(std::string xml, started_only());
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    const unsigned flags = session_flags(ctx, name, xml, true);
    ILVM_TRY(with_mirror_down(ctx, name, xml, Mirror::sync, [&]() -> Status {
        ILVM_TRY(be->delete_pool(xml, flags));
        return {};
    }));
    ILVM_TRY(ctx.store.clear_runtime(name));
    *ctx.out << "Pool " << name << " deleted\n";
    return {};
}

Status pool_refresh(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_TRY(ctx.active_pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::shared));
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.active_pool_xml(name));  // not stopped meanwhile
    ILVM_TRY(refresh_and_record(ctx, name, xml));
    *ctx.out << "Pool " << name << " refreshed\n";
    return {};
}

namespace {

// An active pool's definition and numbers now, as it runs.
Result<host::PoolSummary> live_summary(Context &ctx, const std::string &name) {
    ILVM_ASSIGN_OR_RETURN(std::string running, ctx.active_pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto live, refresh(ctx, running));
    return host::summarize_pool(live.pool_xml);
}

// What pool-list --details shows of a pool: virsh's columns, "-" for the numbers of a pool
// not started here.
std::vector<std::string> pool_details_row(Context &ctx, const std::string &name, bool active, bool autostart) {
    std::vector<std::string> row{name, pool_state_name(active), autostart ? "yes" : "no", "yes"};
    std::vector<std::string> numbers{"-", "-", "-"};
    if (active) {
        auto p = live_summary(ctx, name);
        // virsh prints "unknown" for a pool it cannot read, and lists the others.
        continue_after(p, "pool-list --details shows that pool's numbers as unknown");
        numbers = p.ok() ? std::vector<std::string>{human_size(p->capacity), human_size(p->allocation), human_size(p->available)}
                         : std::vector<std::string>{"unknown", "unknown", "unknown"};
    }
    row.insert(row.end(), numbers.begin(), numbers.end());
    return row;
}

}  // namespace

Status pool_list(Context &ctx, const Args &args) {
    const bool all = args.flag("all"), inactive = args.flag("inactive"), details = args.flag("details");
    const bool by_name = args.flag("name"), by_uuid = args.flag("uuid");
    if (int(args.flag("json")) + int(details) + int(by_name || by_uuid) > 1)
        return invalid_input("--json, --details and --name/--uuid are mutually exclusive", "give one of them");
    std::vector<std::vector<std::string>> rows;
    std::string lines;
    JsonArray arr;
    for (const auto &name : ctx.store.names()) {
        const bool active = ctx.store.active(name);
        if (!all && (inactive ? active : !active)) continue;
        const bool autostart = ctx.store.autostart(name);
        if (by_name || by_uuid) {
            ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
            ILVM_ASSIGN_OR_RETURN(auto p, host::summarize_pool(xml));
            // virsh's format: "%-36s " before the name with both, the name padded to 20.
            if (by_uuid) lines += by_name ? pad_right(p.uuid, 36) + " " : p.uuid + "\n";
            if (by_name) lines += pad_right(name, 20) + "\n";
            continue;
        }
        rows.push_back(details ? pool_details_row(ctx, name, active, autostart)
                               : std::vector<std::string>{name, active ? "active" : "inactive", autostart ? "yes" : "no"});
        arr.push_back(JsonObject{{"name", name}, {"state", pool_state_name(active)}, {"autostart", autostart},
                                 {"persistent", true}});
    }
    if (by_name || by_uuid) *ctx.out << lines;
    else if (args.flag("json")) *ctx.out << to_json(arr);
    else if (details)
        *ctx.out << format_table({"Name", "State", "Autostart", "Persistent", "Capacity", "Allocation", "Available"}, rows);
    else *ctx.out << format_table({"Name", "State", "Autostart"}, rows);
    return {};
}

// Every portal as {"host", "port"}: "host"/"port" beside it keep the first, as before.
JsonArray portals_json(const host::PoolSummary &p) {
    JsonArray out;
    for (const auto &portal : p.portals) {
        const auto colon = portal.rfind(':');
        out.push_back(JsonObject{{"host", portal.substr(0, colon)}, {"port", number_or_null(portal.substr(colon + 1))}});
    }
    return out;
}

Status pool_info(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
    const bool active = ctx.store.active(name);
    Placement placed;
    if (active) {
        // The live numbers and where each volume is, in one inspection (placement.hpp).
        ILVM_ASSIGN_OR_RETURN(std::string running, ctx.active_pool_xml(name));
        ILVM_ASSIGN_OR_RETURN(placed, placed_volumes(ctx, running));
    } else {
        ILVM_ASSIGN_OR_RETURN(placed.pool, host::summarize_pool(xml));
    }
    const host::PoolSummary &p = placed.pool;
    const std::vector<host::VolSummary> &vols = placed.volumes;
    const host::MetadataArea &area = placed.metadata_area;
    const bool autostart = ctx.store.autostart(name);
    const host::MirrorInfo mirror = inspect_mirror(ctx, name, p.vg);
    // The host's agent follows every pool here (events, hand-overs): its health is part of
    // the pool's, as the mirror's is.
    const host::AgentHealth agent = host::agent_health(ctx.store, unix_seconds());
    if (args.flag("json")) {
        JsonArray jv;
        for (const auto &v : vols) jv.push_back(placed_json_value(v));
        JsonObject o{{"name", p.name}, {"uuid", text_or_null(p.uuid)}, {"state", pool_state_name(active)},
                     {"persistent", true}, {"autostart", autostart},
                     {"source", JsonObject{{"host", p.host}, {"port", number_or_null(p.port)},
                                           {"portals", portals_json(p)}, {"target", p.target},
                                           {"lun", number_or_null(p.lun)}, {"initiator", text_or_null(p.initiator)},
                                           {"chap_username", text_or_null(p.auth_user)}}},
                     {"vg", JsonObject{{"name", p.vg}, {"uuid", text_or_null(p.vg_uuid)}}}, {"lock_type", p.lock_type},
                     {"on_lockfailure", p.on_lockfailure},
                     {"libvirt_mirror", JsonObject{{"state", host::mirror_state_name(mirror.state)},
                                                   {"detail", text_or_null(mirror.detail)}}},
                     {"agent", JsonObject{{"health", agent.severity}, {"detail", agent.what},
                                          {"fix", text_or_null(agent.fix)}}}};
        if (active) {
            o.emplace_back("capacity", p.capacity);
            o.emplace_back("allocation", p.allocation);
            o.emplace_back("available", p.available);
            const VirtualSize virt = virtual_size(vols);
            o.emplace_back("virtual_size", JsonObject{{"bytes", virt.bytes}, {"qcow2_volumes", virt.qcow2}});
            o.emplace_back("volumes", jv);
            if (area.known)
                o.emplace_back("metadata_area", JsonObject{{"size", area.size}, {"free", area.free}});
            if (!placed.paths.empty()) {
                JsonArray jp;
                for (const auto &path : placed.paths)
                    jp.push_back(JsonObject{{"portal", path.portal}, {"session", text_or_null(path.session)},
                                            {"disk", text_or_null(path.disk)}, {"state", text_or_null(path.dm_state)},
                                            {"checker", text_or_null(path.checker)}, {"usable", path.usable}});
                o.emplace_back("paths", jp);
            }
        }
        *ctx.out << to_json(o);
        return {};
    }
    std::vector<std::pair<std::string, std::string>> f{
        {"Name", p.name}, {"UUID", p.uuid}, {"State", pool_state_name(active)}, {"Persistent", "yes"},
        {"Autostart", autostart ? "yes" : "no"}};
    if (active) {
        const bool bytes = args.flag("bytes");
        f.emplace_back("Capacity", size_text(p.capacity, bytes));
        f.emplace_back("Allocation", size_text(p.allocation, bytes));
        f.emplace_back("Available", size_text(p.available, bytes));
        size_t here = 0, elsewhere = 0;
        for (const auto &v : vols) {
            const std::string state = host::placement_state(v);
            here += state == "active-here";
            elsewhere += state == "held-elsewhere";
        }
        f.emplace_back("Volumes", std::to_string(vols.size()) + " (" + std::to_string(here) + " active here, " +
                                      std::to_string(elsewhere) + " held elsewhere, " +
                                      std::to_string(vols.size() - here - elsewhere) + " free)");
        f.emplace_back("Virtual size", describe_virtual_size(virtual_size(vols), vols.size(), p.capacity, bytes));
        if (area.known) f.emplace_back("Metadata area", host::describe_metadata_area(area, vols.size()));
        if (!placed.paths.empty()) f.emplace_back("Paths", host::describe_paths(placed.paths));
    }
    f.emplace_back("Source", lun_description(p));
    f.emplace_back("Volume group", p.vg + (p.vg_uuid.empty() ? " (not pinned yet)" : " (" + p.vg_uuid + ")"));
    f.emplace_back("Lock type", p.lock_type);
    f.emplace_back("On lock failure", p.on_lockfailure);
    f.emplace_back("Libvirt mirror", std::string(host::mirror_state_name(mirror.state)) + (mirror.detail.empty() ? "" : " (" + mirror.detail + ")"));
    f.emplace_back("Host agent", agent_text(agent));
    *ctx.out << format_fields(f);
    return {};
}

Status pool_dumpxml(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_ASSIGN_OR_RETURN(std::string xml, ctx.pool_xml(name));
    if (ctx.store.active(name) && !args.flag("inactive")) {
        // The live XML: the definition the pool runs with, and its numbers now.
        ILVM_ASSIGN_OR_RETURN(std::string running, ctx.active_pool_xml(name));
        ILVM_ASSIGN_OR_RETURN(auto live, refresh(ctx, running));
        xml = live.pool_xml;
    }
    *ctx.out << xml;
    return {};
}

Status pool_autostart(Context &ctx, const Args &args) {
    const std::string name = args.get("pool");
    ILVM_TRY(ctx.pool_xml(name));
    ILVM_ASSIGN_OR_RETURN(auto lock, ctx.lock_pool(args, name, LockMode::exclusive));
    ILVM_TRY(ctx.pool_xml(name));  // not undefined meanwhile
    const bool on = !args.flag("disable");
    ILVM_TRY(ctx.store.set_autostart(name, on));
    *ctx.out << "Pool " << name << (on ? " marked as autostarted\n" : " unmarked as autostarted\n");
    return {};
}

}  // namespace ilvm::cli
