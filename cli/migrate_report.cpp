// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/migrate_report.hpp"

#include "cli/ui/output.hpp"

namespace ilvm::cli {

std::string format_migrate_report(const host::MigrateOutOptions &opt, const host::MigrateOutReport &r, bool json) {
    if (json) {
        JsonArray vols;
        for (const auto &v : r.volumes) {
            JsonObject o{{"pool", v.volume.pool}, {"volume", v.volume.volume}, {"exclusive_elsewhere", v.window_ms.has_value()}};
            o.emplace_back("window_ms", v.window_ms ? JsonValue(*v.window_ms) : JsonValue());
            o.emplace_back("holder", v.window_ms ? JsonValue(JsonObject{{"host_id", v.holder_id}, {"host_name", v.holder_name}})
                                                 : JsonValue());
            o.emplace_back("last_seen", v.window_ms ? JsonValue() : JsonValue(v.last_seen));
            vols.push_back(std::move(o));
        }
        return to_json(JsonObject{{"domain", opt.domain},
                                  {"destination", opt.request.dest_uri},
                                  {"migrated", true},
                                  {"confirmed", r.confirmed()},
                                  {"migration_ms", r.migration_ms},
                                  {"share_ms", r.share_ms},
                                  {"volumes", vols}});
    }
    std::string out = "Domain " + opt.domain + " migrated to " + opt.request.dest_uri +
                      (r.volumes.empty() ? " (no iscsi-lvm volumes)" : "") + "\n";
    for (const auto &v : r.volumes) {
        if (v.window_ms)
            out += v.volume.display() + ": exclusive on host " + std::to_string(v.holder_id) +
                   (v.holder_name.empty() ? "" : " (" + v.holder_name + ")") + ", non-exclusive window " +
                   std::to_string(*v.window_ms) + " ms (libvirt's migration took " + std::to_string(r.migration_ms) +
                   " ms of it)\n";
        else
            out += v.volume.display() + ": exclusive lock not seen on the destination (last seen: " + v.last_seen + ")\n";
    }
    return out;
}

std::string unconfirmed_warning(const host::MigrateOutOptions &opt, const host::MigrateOutReport &r) {
    std::string names;
    for (const auto &v : r.volumes)
        if (!v.window_ms) names += (names.empty() ? "" : ", ") + v.volume.display();
    if (names.empty()) return "";
    return "the destination has not taken the exclusive lock of " + names + " within " +
           std::to_string(opt.poll_timeout.count() / 1000) +
           " s; check journalctl -u 'iscsi-lvm-migrate-finish@*' on the destination";
}

}  // namespace ilvm::cli
