// SPDX-License-Identifier: LGPL-2.1-or-later
// The backend module as host programs call it: iscsi-lvm.so loaded and opened once, and one
// typed method per callback of its C ABI (plugin/include/iscsi-lvm/backend.h). Each method
// owns the module's reply for the length of the call (released by RAII, whatever happens)
// and turns it into a Result: the XML documents on success, an Error of the same class
// otherwise. No host program calls the ops table itself.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.hpp"
#include "iscsi-lvm/backend.h"

namespace ilvm::host {

// refresh_pool's two documents: the pool with live numbers, and <volumes>.
struct PoolRefresh {
    std::string pool_xml;
    std::string volumes_xml;
};

// What the host reads of a module's table before it calls anything (backend.h's
// compatibility rule): ok for a table of this ABI version up to rejoin_pool at least.
Status check_module_table(const ilvm_backend_ops &ops, const std::string &path);
// The build_vol_from flags the module knows: none for a module from before the field.
uint32_t linked_clone_flags(const ilvm_backend_ops &ops);
// ok when the module has snapshot_vol; else a system error naming its version.
Status require_snapshots(const ilvm_backend_ops &ops);
// ok when the module's snapshot_vol knows the running domain's snapshot (the LIVE_* actions);
// else a system error naming its version.
Status require_live_snapshots(const ilvm_backend_ops &ops);

class BackendClient {
public:
    // Looks in $ILVM_BACKEND_DIR, else the configured backend directory.
    static Result<BackendClient> load(const std::map<std::string, std::string> &options);
    static std::string module_path();

    BackendClient(BackendClient &&o) noexcept;
    BackendClient &operator=(BackendClient &&) = delete;
    BackendClient(const BackendClient &) = delete;
    ~BackendClient();

    // Validation: the canonical XML (defaults filled in).
    Result<std::string> parse_pool(const std::string &xml) const;
    Result<std::string> parse_vol(const std::string &xml) const;

    // Pools: each takes the pool's XML; start and build return the (possibly re-pinned) pool XML.
    Result<bool> check_pool(const std::string &pool_xml) const;
    Result<std::string> start_pool(const std::string &pool_xml, unsigned flags = 0) const;
    Result<std::string> build_pool(const std::string &pool_xml, unsigned flags) const;
    Result<PoolRefresh> refresh_pool(const std::string &pool_xml) const;
    // refresh_pool, each volume also saying where it is (this host's lock mode, another
    // host's lease): pool-info's one call, at most four commands at any size.
    Result<PoolRefresh> inspect_pool(const std::string &pool_xml) const;
    Status stop_pool(const std::string &pool_xml, unsigned flags) const;
    Status delete_pool(const std::string &pool_xml, unsigned flags) const;
    Status forget_pool(const std::string &pool_xml, unsigned flags) const;

    // Volumes: those returning a string return the volume's XML.
    Result<std::string> create_vol(const std::string &pool_xml, const std::string &vol_xml, unsigned flags = 0) const;
    Result<std::string> build_vol(const std::string &pool_xml, const std::string &name, unsigned flags = 0) const;
    Result<std::string> build_vol_from(const std::string &pool_xml, const std::string &vol_xml, const std::string &source,
                                       unsigned flags = 0) const;
    Result<std::string> refresh_vol(const std::string &pool_xml, const std::string &name, unsigned flags = 0) const;
    Status delete_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const;
    Result<std::string> resize_vol(const std::string &pool_xml, const std::string &name, uint64_t capacity,
                                   unsigned flags) const;
    Status wipe_vol(const std::string &pool_xml, const std::string &name, unsigned algorithm, unsigned flags = 0) const;
    Status upload_vol(const std::string &pool_xml, const std::string &name, const std::string &src_path, uint64_t offset,
                      uint64_t length, unsigned flags = 0) const;
    Status download_vol(const std::string &pool_xml, const std::string &name, const std::string &dst_path,
                        uint64_t offset, uint64_t length, unsigned flags = 0) const;
    // The volume as found before the call (what a rollback must undo).
    Result<std::string> activate_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const;
    Result<std::string> deactivate_vol(const std::string &pool_xml, const std::string &name, unsigned flags = 0) const;

    // The reconciler's pass; state_xml and the result as in backend.h.
    Result<std::string> reconcile_pool(const std::string &pool_xml, const std::string &state_xml, unsigned flags) const;
    // `ilvm doctor`'s checks; state_xml as reconcile_pool's, the result as in backend.h.
    Result<std::string> diagnose_pool(const std::string &pool_xml, const std::string &state_xml, unsigned flags) const;
    // Storage-loss fencing (`ilvm lease-lost`): the <fencing> document of backend.h, which
    // host/core/fencing_wire.hpp reads.
    Result<std::string> fence_pool(const std::string &pool_xml) const;
    // The way back after a lost lease (`ilvm pool-rejoin`): request and answer are the
    // <rejoin> documents of backend.h, which host/core/rejoin_wire.hpp writes and reads.
    Result<std::string> rejoin_pool(const std::string &pool_xml, const std::string &request_xml) const;
    // `ilvm vol-snapshot-*`: action ILVM_SNAPSHOT_LIST answers the <snapshots> document
    // (host/core/snapshot_wire.hpp reads it); the others answer "".
    Result<std::string> snapshot_vol(const std::string &pool_xml, const std::string &name, unsigned action,
                                     const std::string &snapshot = {}, const std::string &description = {}) const;
    // Whether the module takes a running domain's snapshot (require_live_snapshots).
    Status require_live_snapshots() const { return host::require_live_snapshots(*ops_); }

private:
    BackendClient() = default;

    void *handle_ = nullptr;
    const ilvm_backend_ops *ops_ = nullptr;
    ilvm_backend *backend_ = nullptr;
};

}  // namespace ilvm::host
