// SPDX-License-Identifier: LGPL-2.1-or-later
// vol-snapshot-* verbs (issue 18): snapshots of a qcow2 volume as a chain of LVs
// (plugin/src/backend/snapshots.cpp). Each change holds the volume's lock on this host
// (host/core/volume_lock.hpp: the qemu hook refuses to start a domain on it meanwhile).
// vol-snapshot-create of a volume a domain here is recorded to use goes through libvirt
// (host/libvirt/live_snapshot.hpp); revert and delete are refused for it; the backend takes
// the volume's LVM lock for every host.
#include <ctime>

#include "cli/context.hpp"
#include "cli/reconcile.hpp"
#include "cli/ui/output.hpp"
#include "cli/volume_work.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/snapshot_wire.hpp"
#include "host/core/volume_owners.hpp"
#include "host/libvirt/libvirt_domains.hpp"
#include "host/libvirt/live_snapshot.hpp"

namespace ilvm::cli {
namespace {

// UTC, to the second: "2026-01-01 00:00:00 UTC".
std::string utc_text(int64_t unix) {
    const std::time_t t = static_cast<std::time_t>(unix);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return std::to_string(unix);
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return std::to_string(unix);
    return buf;
}

JsonValue name_or_null(const std::optional<std::string> &name) { return name ? JsonValue(*name) : JsonValue(); }

// An offline change of the chain of the verb's volume, with the volume's lock held (`work`);
// the mirror pool is refreshed after it (the volume's LV, and so its key, may be another one
// now). `done`: the line printed after it.
Status apply_change(Context &ctx, const Args &args, const VolumeWork &work, unsigned action, const std::string &done) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->snapshot_vol(work.ref.pool_xml, args.get("vol"), action, args.get("snapshot"),
                              args.opt("description").value_or("")));
    after_volume_change(ctx, args.get("pool"), work.ref.pool_xml);
    *ctx.out << done << "\n";
    return {};
}

// The same, taking the volume's lock first: refused for a volume a domain here uses.
Status change(Context &ctx, const Args &args, const char *operation, unsigned action, const std::string &done) {
    ILVM_TRY(validate_lv_name(args.get("vol")));
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, args.get("pool"), {args.get("vol")}, operation, Owned::refuse));
    return apply_change(ctx, args, work, action, done);
}

// The module's steps of a running domain's snapshot, through its snapshot_vol callback.
class ModuleLiveSteps final : public host::LiveSnapshotSteps {
public:
    ModuleLiveSteps(const host::BackendClient &be, const std::string &pool_xml, const std::string &vol, const std::string &snapshot,
                    const std::string &description)
        : be_(be), pool_xml_(pool_xml), vol_(vol), snapshot_(snapshot), description_(description) {}
    Result<host::LiveSnapshotTop> begin() override {
        ILVM_ASSIGN_OR_RETURN(std::string xml, be_.snapshot_vol(pool_xml_, vol_, ILVM_SNAPSHOT_LIVE_BEGIN, snapshot_, description_));
        return host::parse_live_snapshot(xml);
    }
    Status commit() override {
        ILVM_TRY(be_.snapshot_vol(pool_xml_, vol_, ILVM_SNAPSHOT_LIVE_COMMIT, snapshot_, description_));
        return {};
    }
    Status abort() override {
        ILVM_TRY(be_.snapshot_vol(pool_xml_, vol_, ILVM_SNAPSHOT_LIVE_ABORT, snapshot_));
        return {};
    }

private:
    const host::BackendClient &be_;
    const std::string &pool_xml_, &vol_, &snapshot_, &description_;
};

}  // namespace

// Offline when no domain here is recorded to use the volume; else through libvirt, the
// volume taking its new top's name (host/libvirt/live_snapshot.hpp).
Status vol_snapshot_create(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool"), vol = args.get("vol"), snapshot = args.get("snapshot");
    const std::string description = args.opt("description").value_or("");
    ILVM_TRY(validate_lv_name(vol));
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, pool, {vol}, "vol-snapshot-create", Owned::allow));
    ILVM_ASSIGN_OR_RETURN(const auto owners, host::read_volume_owners(ctx.store, {pool, vol}));
    if (owners.empty())
        return apply_change(ctx, args, work, ILVM_SNAPSHOT_CREATE, "Snapshot " + snapshot + " of volume " + vol + " created");
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    if (owners.size() > 1)
        return conflict("volume '" + vol + "' of pool " + pool + " is used by domains " + host::owner_names(owners) +
                            " here (a shareable disk)",
                        "a snapshot of a shared disk is taken with every domain on it stopped");
    ILVM_TRY(be->require_live_snapshots());
    auto domains = host::make_libvirt_domains(ctx.libvirt_uri());
    ModuleLiveSteps steps(*be, work.ref.pool_xml, vol, snapshot, description);
    ILVM_ASSIGN_OR_RETURN(const auto pools, host::load_pool_bindings_or_fail(ctx.store));
    const host::LiveSnapshotRequest req{pool, vol, snapshot, owners.front()};
    auto taken = host::take_live_snapshot(*domains, steps, ctx.store, pools, req);
    // The agent registers the write threshold on the new top (thin growth: no libvirt event
    // tells it the disk moved); without an agent there is no growth to arm.
    after_volume_change(ctx, pool, work.ref.pool_xml, req.owner.domain);
    if (!taken.ok()) return taken.error();
    *ctx.out << "Snapshot " << snapshot << " of volume " << vol << " created while domain " << req.owner.domain
             << " runs: its disk " << taken->target << " is volume " << taken->top << " now (" << vol
             << " holds the snapshot)\n";
    return {};
}

Status vol_snapshot_revert(Context &ctx, const Args &args) {
    return change(ctx, args, "vol-snapshot-revert", ILVM_SNAPSHOT_REVERT,
                  "Volume " + args.get("vol") + " reverted to snapshot " + args.get("snapshot"));
}

Status vol_snapshot_delete(Context &ctx, const Args &args) {
    return change(ctx, args, "vol-snapshot-delete", ILVM_SNAPSHOT_DELETE,
                  "Snapshot " + args.get("snapshot") + " of volume " + args.get("vol") + " deleted");
}

Status vol_snapshot_list(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool"), vol = args.get("vol");
    ILVM_TRY(validate_lv_name(vol));
    ILVM_ASSIGN_OR_RETURN(std::string pool_xml, ctx.active_pool_xml(pool));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(std::string xml, be->snapshot_vol(pool_xml, vol, ILVM_SNAPSHOT_LIST));
    ILVM_ASSIGN_OR_RETURN(auto chain, host::parse_snapshots(xml));
    if (args.flag("json")) {
        JsonArray snaps;
        for (const auto &s : chain.snapshots)
            snaps.push_back(JsonObject{{"name", s.name},
                                       {"lv", s.lv},
                                       {"capacity", s.capacity},
                                       {"allocation", s.allocation},
                                       {"created", s.created ? JsonValue(*s.created) : JsonValue()},
                                       {"backing", name_or_null(s.backing)},
                                       {"current", s.current},
                                       {"description", text_or_null(s.description)}});
        *ctx.out << to_json(JsonObject{{"pool", pool},
                                       {"volume", chain.volume},
                                       {"capacity", chain.capacity},
                                       {"allocation", chain.allocation},
                                       {"backing", name_or_null(chain.backing)},
                                       {"snapshots", std::move(snaps)}});
        return {};
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto &s : chain.snapshots)
        rows.push_back({s.name, s.created ? utc_text(*s.created) : "-", human_size(s.capacity), human_size(s.allocation),
                        s.backing.value_or("-"), s.current ? "yes" : "no", s.description});
    // The volume itself, the chain's top: what its domain writes.
    rows.push_back({"(" + chain.volume + ")", "-", human_size(chain.capacity), human_size(chain.allocation),
                    chain.backing.value_or("-"), "top", ""});
    *ctx.out << format_table({"Name", "Created", "Size", "Allocation", "Backing", "Current", "Description"}, rows);
    return {};
}

}  // namespace ilvm::cli
