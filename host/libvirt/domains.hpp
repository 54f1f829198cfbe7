// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt domains as the live-migration hand-over sees them: is a domain running here, its
// live XML, and the migration call itself. An interface so that the hand-over's decisions
// (migrate_out.hpp, migrate_in.hpp) are tested with a fake; libvirt_domains.hpp is the
// real one. Only `ilvm` uses it: the qemu hook must never call libvirt.
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
};

}  // namespace ilvm::host
