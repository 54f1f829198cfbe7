// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt domains as the live-migration hand-over sees them: is a domain running here, its
// live XML, and the migration call itself. An interface so that the hand-over's decisions
// (migrate_out.hpp, migrate_in.hpp) are tested with a fake; libvirt_domains.hpp is the
// real one. Only `ilvm` and ilvmd use it: the qemu hook must never call libvirt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "host/core/domain_state.hpp"

namespace ilvm::host {

struct MigrateRequest {
    std::string dest_uri;                   // the destination's libvirt, e.g. qemu+tcp://hostb/system
    std::optional<std::string> migrate_uri; // VIR_MIGRATE_PARAM_URI (virsh --migrateuri)
    bool persistent = false;                // VIR_MIGRATE_PERSIST_DEST
    bool undefine_source = false;           // VIR_MIGRATE_UNDEFINE_SOURCE
};

// libvirt's job on a domain, as ilvmd's peer hand-over needs it (share_out.hpp): a source
// shares a domain's volumes only while libvirt migrates that domain away.
enum class DomainJob { none, outgoing_migration, other };
inline const char *domain_job_name(DomainJob job) {
    switch (job) {
    case DomainJob::none: return "no job";
    case DomainJob::outgoing_migration: return "an outgoing migration";
    case DomainJob::other: return "a job other than an outgoing migration";
    }
    return "an unknown job";
}

class Domains {
public:
    virtual ~Domains() = default;
    // Errors only when libvirt cannot be asked; an unknown domain is DomainRun::absent.
    virtual Result<DomainRun> state(const std::string &name) = 0;
    // The running domain's live XML (no secrets: VIR_DOMAIN_XML_SECURE is never asked).
    virtual Result<std::string> live_xml(const std::string &name) = 0;
    // Connects to the destination, before anything is changed for the migration.
    virtual Status open_destination(const std::string &dest_uri) = 0;
    // A live migration to the destination opened above, as `virsh migrate --live` does it
    // (client-managed: virDomainMigrate3 with a destination connection). Blocks until
    // libvirt is done; the error carries libvirt's message.
    virtual Status migrate(const std::string &name, const MigrateRequest &req) = 0;
    // The domain's current job (virDomainGetJobStats: its type and VIR_DOMAIN_JOB_OPERATION).
    // An unknown domain is not_found.
    virtual Result<DomainJob> job(const std::string &name) = 0;
    // A disk-only external snapshot of the running domain into images that exist already
    // (`snapshot_xml`: a <domainsnapshot>, host/libvirt/snapshot_xml.hpp), as `virsh
    // snapshot-create --disk-only --reuse-external --no-metadata --atomic` does it: libvirt
    // switches each disk named external to its new image and keeps no snapshot metadata of
    // its own (the chain is ours, in LVM tags). The error carries libvirt's message.
    virtual Status snapshot_disks(const std::string &name, const std::string &snapshot_xml) = 0;
};

}  // namespace ilvm::host
