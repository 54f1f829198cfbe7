// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/libvirt_domains.hpp"

#include <cstdlib>


#include "common/log.hpp"
#include "host/libvirt/libvirt_conn.hpp"

namespace ilvm::host {
namespace {

// libvirt's names for its states, so that the API and the status files are judged by one
// function (classify_domain_state).
const char *state_name(int state) {
    switch (state) {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_SHUTOFF: return "shutoff";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
    default: return "nostate";
    }
}

const char *paused_reason_name(int reason) {
    switch (reason) {
    case VIR_DOMAIN_PAUSED_MIGRATION: return "migration";
    case VIR_DOMAIN_PAUSED_STARTING_UP: return "starting up";
    default: return "other";
    }
}

class LibvirtDomains final : public Domains {
public:
    explicit LibvirtDomains(std::string uri) : uri_(std::move(uri)) {}

    Result<DomainRun> state(const std::string &name) override {
        ILVM_TRY(connect());
        DomainHandle dom(loaded_libvirt().virDomainLookupByName(conn_.get(), name.c_str()));
        if (!dom) {
            virErrorPtr e = loaded_libvirt().virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) return DomainRun::absent;
            return system_error("cannot look up domain " + name + ": " + libvirt_error());
        }
        int state = 0, reason = 0;
        if (loaded_libvirt().virDomainGetState(dom.get(), &state, &reason, 0) < 0) {
            virErrorPtr e = loaded_libvirt().virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) return DomainRun::absent;  // went away meanwhile
            return system_error("cannot read the state of domain " + name + ": " + libvirt_error());
        }
        return classify_domain_state(state_name(state), state == VIR_DOMAIN_PAUSED ? paused_reason_name(reason) : "");
    }

    Result<std::string> live_xml(const std::string &name) override {
        ILVM_TRY(connect());
        DomainHandle dom(loaded_libvirt().virDomainLookupByName(conn_.get(), name.c_str()));
        if (!dom) return not_found("no domain " + name + " on this host: " + libvirt_error());
        char *raw = loaded_libvirt().virDomainGetXMLDesc(dom.get(), 0);
        if (!raw) return system_error("cannot read the XML of domain " + name + ": " + libvirt_error());
        std::string xml(raw);
        std::free(raw);
        return xml;
    }

    Status open_destination(const std::string &dest_uri) override {
        auto conn = open_libvirt(dest_uri);
        if (!conn.ok())
            return system_error(conn.error().message, "is libvirtd reachable at " + dest_uri +
                                                          " from here (virsh -c " + dest_uri + " list)?");
        dest_ = std::move(*conn);
        return {};
    }

    Status migrate(const std::string &name, const MigrateRequest &req) override {
        ILVM_TRY(connect());
        if (!dest_) return internal_error("migrate called before open_destination");
        DomainHandle dom(loaded_libvirt().virDomainLookupByName(conn_.get(), name.c_str()));
        if (!dom) return not_found("no domain " + name + " on this host: " + libvirt_error());
        virTypedParameterPtr params = nullptr;
        int nparams = 0, maxparams = 0;
        if (req.migrate_uri &&
            loaded_libvirt().virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI, req.migrate_uri->c_str()) < 0)
            return internal_error("cannot build the migration parameters: " + libvirt_error());
        unsigned int flags = VIR_MIGRATE_LIVE;
        if (req.persistent) flags |= VIR_MIGRATE_PERSIST_DEST;
        if (req.undefine_source) flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
        spdlog::info("virDomainMigrate3 {} -> {} (flags {:#x})", name, req.dest_uri, flags);
        DomainHandle moved(loaded_libvirt().virDomainMigrate3(dom.get(), dest_.get(), params, static_cast<unsigned>(nparams), flags));
        const std::string error = moved ? "" : libvirt_error();
        loaded_libvirt().virTypedParamsFree(params, nparams);
        if (!moved) return system_error(error);
        return {};
    }

    Result<DomainJob> job(const std::string &name) override {
        ILVM_TRY(connect());
        DomainHandle dom(loaded_libvirt().virDomainLookupByName(conn_.get(), name.c_str()));
        if (!dom) return not_found("no domain " + name + " on this host: " + libvirt_error());
        int type = VIR_DOMAIN_JOB_NONE;
        virTypedParameterPtr params = nullptr;
        int nparams = 0;
        if (loaded_libvirt().virDomainGetJobStats(dom.get(), &type, &params, &nparams, 0) < 0)
            return system_error("cannot read the job of domain " + name + ": " + libvirt_error());
        int operation = VIR_DOMAIN_JOB_OPERATION_UNKNOWN;
        const int found = loaded_libvirt().virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION, &operation);
        loaded_libvirt().virTypedParamsFree(params, nparams);
        if (type == VIR_DOMAIN_JOB_NONE) return DomainJob::none;
        if (found == 1 && operation == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT) return DomainJob::outgoing_migration;
        return DomainJob::other;
    }

    Status snapshot_disks(const std::string &name, const std::string &snapshot_xml) override {
        ILVM_TRY(connect());
        DomainHandle dom(loaded_libvirt().virDomainLookupByName(conn_.get(), name.c_str()));
        if (!dom) return not_found("no domain " + name + " on this host: " + libvirt_error());
        // ATOMIC: every disk switched or none. NO_METADATA: libvirt keeps no snapshot object
        // (our chain is recorded in LVM tags, which every host reads).
        const unsigned int flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT |
                                   VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
        spdlog::info("virDomainSnapshotCreateXML {} (flags {:#x})", name, flags);
        SnapshotHandle snap(loaded_libvirt().virDomainSnapshotCreateXML(dom.get(), snapshot_xml.c_str(), flags));
        if (!snap) return system_error("libvirt did not take the disk snapshot of domain " + name + ": " + libvirt_error());
        return {};
    }

private:
    Status connect() {
        // A libvirtd restarted under us (during a migration, say) leaves a dead connection:
        // open a new one rather than fail every later call on the old.
        if (conn_ && loaded_libvirt().virConnectIsAlive(conn_.get()) == 1) return {};
        if (conn_) spdlog::info("connection to {} lost; opening a new one", uri_);
        conn_.reset();
        auto conn = open_libvirt(uri_);
        if (!conn.ok())
            return system_error(conn.error().message, "is libvirtd running? ILVM_LIBVIRT_URI selects another URI");
        conn_ = std::move(*conn);
        return {};
    }

    std::string uri_;
    ConnHandle conn_;
    ConnHandle dest_;
};

}  // namespace

std::unique_ptr<Domains> make_libvirt_domains(std::string uri) { return std::make_unique<LibvirtDomains>(std::move(uri)); }

}  // namespace ilvm::host
