// SPDX-License-Identifier: LGPL-2.1-or-later
// The C ABI of iscsi-lvm.so: a thin layer that turns XML strings into definitions, calls
// the C++ Backend and turns results and Errors back into ilvm_reply. No exception and no
// C++ type crosses this boundary.
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "backend/backend.hpp"
#include "backend/lock_io_retry.hpp"
#include "common/command_runner.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/xml_doc.hpp"
#include "ilvm-config.h"
#include "iscsi-lvm/backend.h"
#include "xml/fencing_xml.hpp"
#include "xml/pool_xml.hpp"
#include "xml/reconcile_xml.hpp"
#include "xml/rejoin_xml.hpp"
#include "xml/snapshot_xml.hpp"
#include "xml/vol_xml.hpp"

struct ilvm_backend {
    std::unique_ptr<ilvm::CommandRunner> runner;
    std::unique_ptr<ilvm::System> lock_retry;   // what the backend runs on (backend/lock_io_retry.hpp)
    std::unique_ptr<ilvm::SecretProvider> secrets;
    std::unique_ptr<ilvm::Backend> backend;
};

namespace {

using namespace ilvm;

// Every error class crosses the ABI as the ilvm_status of the same value.
static_assert(static_cast<int>(ErrorCode::ok) == ILVM_OK);
static_assert(static_cast<int>(ErrorCode::invalid_input) == ILVM_ERR_INVALID);
static_assert(static_cast<int>(ErrorCode::not_found) == ILVM_ERR_NOT_FOUND);
static_assert(static_cast<int>(ErrorCode::conflict) == ILVM_ERR_CONFLICT);
static_assert(static_cast<int>(ErrorCode::system) == ILVM_ERR_SYSTEM);
static_assert(static_cast<int>(ErrorCode::internal) == ILVM_ERR_INTERNAL);

char *dup(const std::string &s) { return s.empty() ? nullptr : strdup(s.c_str()); }

int fail(ilvm_reply *reply, const Error &e) {
    if (reply) {
        reply->code = static_cast<int>(e.code);
        reply->message = dup(e.message);
        reply->hint = dup(e.hint);
    }
    return static_cast<int>(e.code);
}

int ok(ilvm_reply *reply, const std::string &xml = {}, const std::string &extra = {}) {
    if (reply) {
        reply->code = ILVM_OK;
        reply->xml = dup(xml);
        reply->extra_xml = dup(extra);
    }
    return ILVM_OK;
}

int ok_status(ilvm_reply *reply, const Status &s) { return s.ok() ? ok(reply) : fail(reply, s.error()); }

// Every entry point: argument checks, pool XML parsing, and a catch-all so a bug becomes
// an "internal" error instead of unwinding into a C caller.
// Every callback but parse_pool reads a definition the host stored (PoolXmlOrigin::stored).
template <typename F>
int guarded(ilvm_backend *b, ilvm_reply *reply, const char *pool_xml, F &&body,
            PoolXmlOrigin origin = PoolXmlOrigin::stored) {
    if (reply) *reply = ilvm_reply{};
    try {
        if (!b || !pool_xml) return fail(reply, internal_error("NULL backend or pool XML passed to iscsi-lvm.so"));
        auto pool = parse_pool_xml(pool_xml, origin);
        if (!pool.ok()) return fail(reply, pool.error());
        return body(*b->backend, *pool);
    } catch (const std::exception &e) {
        return fail(reply, internal_error(std::string("unexpected error in iscsi-lvm.so: ") + e.what()));
    } catch (...) {
        return fail(reply, internal_error("unexpected error in iscsi-lvm.so"));
    }
}

Result<std::string> name_arg(const char *name) {
    if (!name || !*name) return invalid_input("no volume name given");
    return std::string(name);
}

std::string volume_xml(const VolInfo &v) { return format_vol_xml(v.def, &v.status); }

int reply_vol(ilvm_reply *reply, const Result<VolInfo> &r) {
    return r.ok() ? ok(reply, volume_xml(*r)) : fail(reply, r.error());
}

ilvm_backend *op_open(const ilvm_option *options, size_t n, ilvm_reply *reply) {
    if (reply) *reply = ilvm_reply{};
    try {
        auto b = std::make_unique<ilvm_backend>();
        BackendConfig cfg;
        std::string uri = "qemu:///system", wrapper;
        int interrupt_fd = -1, progress_fd = -1;
        for (size_t i = 0; i < n; ++i) {
            std::string key = options[i].key ? options[i].key : "", value = options[i].value ? options[i].value : "";
            if (key == "libvirt_uri") uri = value;
            else if (key == "iscsi_nodes_dir") cfg.iscsi_nodes_dirs = {value};
            else if (key == "device_timeout_ms") {
                auto ms = parse_number(value, 0, 3'600'000, "backend option device_timeout_ms");
                if (!ms.ok()) {
                    fail(reply, ms.error());
                    return nullptr;
                }
                cfg.device_timeout = std::chrono::milliseconds(*ms);
            }
            else if (key == "command_wrapper") wrapper = value;
            else if (key == "interrupt_fd" || key == "progress_fd") {
                auto fd = parse_number(value, 0, 1 << 20, "backend option " + key);
                if (!fd.ok()) {
                    fail(reply, fd.error());
                    return nullptr;
                }
                (key == "interrupt_fd" ? interrupt_fd : progress_fd) = static_cast<int>(*fd);
            }
            else {
                fail(reply, invalid_input("unknown iscsi-lvm backend option '" + key + "'"));
                return nullptr;
            }
        }
        b->runner = std::make_unique<CommandRunner>(wrapper, interrupt_fd, progress_fd);
        b->lock_retry = std::make_unique<LockIoRetry>(b->runner->system());
        b->secrets = make_libvirt_secret_provider(uri);
        b->backend = std::make_unique<Backend>(*b->lock_retry, *b->secrets, cfg);
        ok(reply);
        return b.release();
    } catch (const std::exception &e) {
        fail(reply, internal_error(std::string("cannot initialise iscsi-lvm.so: ") + e.what()));
        return nullptr;
    }
}

void op_close(ilvm_backend *b) { delete b; }

void op_reply_clear(ilvm_reply *r) {
    if (!r) return;
    free(r->message);
    free(r->hint);
    free(r->xml);
    free(r->extra_xml);
    *r = ilvm_reply{};
}

// The host calls it to define a pool (pool-define): the canonical XML it returns is what is stored.
int op_parse_pool(ilvm_backend *b, const char *xml, ilvm_reply *reply) {
    return guarded(
        b, reply, xml, [&](Backend &, const PoolDef &pool) { return ok(reply, format_pool_xml(pool)); },
        PoolXmlOrigin::definition);
}

int op_parse_vol(ilvm_backend *b, const char *xml, ilvm_reply *reply) {
    if (reply) *reply = ilvm_reply{};
    if (!b || !xml) return fail(reply, internal_error("NULL backend or volume XML passed to iscsi-lvm.so"));
    try {
        auto vol = parse_vol_xml(xml);
        return vol.ok() ? ok(reply, format_vol_xml(*vol)) : fail(reply, vol.error());
    } catch (...) {
        return fail(reply, internal_error("unexpected error in iscsi-lvm.so"));
    }
}

int op_check_pool(ilvm_backend *b, const char *pool_xml, int *is_active, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto r = be.check_pool(pool);
        if (!r.ok()) return fail(reply, r.error());
        if (is_active) *is_active = *r ? 1 : 0;
        return ok(reply);
    });
}

int op_start_pool(ilvm_backend *b, const char *pool_xml, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto r = be.start_pool(pool);
        return r.ok() ? ok(reply, format_pool_xml(*r)) : fail(reply, r.error());
    });
}

int op_build_pool(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        BuildOptions opts{(flags & ILVM_BUILD_OVERWRITE) != 0, (flags & ILVM_BUILD_KEEP_STARTED) != 0};
        auto r = be.build_pool(pool, opts);
        return r.ok() ? ok(reply, format_pool_xml(*r)) : fail(reply, r.error());
    });
}

// The pool with its numbers, and <volumes>: refresh_pool's and inspect_pool's reply.
int reply_snapshot(ilvm_reply *reply, const PoolDef &pool, const Result<PoolSnapshot> &r) {
    if (!r.ok()) return fail(reply, r.error());
    std::string vols = "<volumes>\n";
    if (r->metadata_area)
        vols = "<volumes metadata_size='" + std::to_string(r->metadata_area->mda_size) + "' metadata_free='" +
               std::to_string(r->metadata_area->mda_free) + "'>\n";
    for (const auto &p : r->paths)
        vols += "<path portal='" + xml::escape(p.portal) + "' session='" + xml::escape(p.session_state) + "' disk='" +
                xml::escape(p.disk) + "' state='" + xml::escape(p.dm_state) + "' checker='" + xml::escape(p.checker) +
                "' usable='" + (p.usable ? "yes" : "no") + "'/>\n";
    // Read by a program, not a person: compact (parsing it is most of a vol-list of a large pool).
    for (const auto &v : r->volumes) vols += format_vol_xml(v.def, &v.status, XmlLayout::compact);
    vols += "</volumes>\n";
    return ok(reply, format_pool_xml(pool, &r->status), vols);
}

int op_refresh_pool(ilvm_backend *b, const char *pool_xml, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml,
                   [&](Backend &be, const PoolDef &pool) { return reply_snapshot(reply, pool, be.refresh_pool(pool)); });
}

int op_inspect_pool(ilvm_backend *b, const char *pool_xml, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml,
                   [&](Backend &be, const PoolDef &pool) { return reply_snapshot(reply, pool, be.inspect_pool(pool)); });
}

SessionUse session_use(unsigned int flags) {
    return (flags & ILVM_KEEP_SESSION) ? SessionUse::shared : SessionUse::exclusive;
}

int op_stop_pool(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml,
                   [&](Backend &be, const PoolDef &pool) { return ok_status(reply, be.stop_pool(pool, session_use(flags))); });
}

int op_delete_pool(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml,
                   [&](Backend &be, const PoolDef &pool) { return ok_status(reply, be.delete_pool(pool, session_use(flags))); });
}

int op_forget_pool(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml,
                   [&](Backend &be, const PoolDef &pool) { return ok_status(reply, be.forget_pool(pool, session_use(flags))); });
}

int op_create_vol(ilvm_backend *b, const char *pool_xml, const char *vol_xml, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        if (!vol_xml) return fail(reply, internal_error("NULL volume XML"));
        auto vol = parse_vol_xml(vol_xml);
        if (!vol.ok()) return fail(reply, vol.error());
        return reply_vol(reply, be.create_vol(pool, *vol));
    });
}

int op_build_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        return name.ok() ? reply_vol(reply, be.build_vol(pool, *name)) : fail(reply, name.error());
    });
}

constexpr uint32_t kBuildVolFromFlags = ILVM_BUILD_FROM_LINKED;
constexpr uint32_t kSnapshotActions = (1u << ILVM_SNAPSHOT_LIST) | (1u << ILVM_SNAPSHOT_CREATE) | (1u << ILVM_SNAPSHOT_REVERT) |
                                      (1u << ILVM_SNAPSHOT_DELETE) | (1u << ILVM_SNAPSHOT_LIVE_BEGIN) |
                                      (1u << ILVM_SNAPSHOT_LIVE_COMMIT) | (1u << ILVM_SNAPSHOT_LIVE_ABORT);

int op_build_vol_from(ilvm_backend *b, const char *pool_xml, const char *vol_xml, const char *source, unsigned int flags,
                      ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        if (!vol_xml) return fail(reply, internal_error("NULL volume XML"));
        // A flag a later host knows and this module not: refused, never ignored (a linked
        // clone made as a full copy would be a silent surprise).
        if (flags & ~kBuildVolFromFlags)
            return fail(reply, invalid_input("build_vol_from flags " + std::to_string(flags & ~kBuildVolFromFlags) +
                                                 " are not known to this module (" ILVM_VERSION ")",
                                             "install the iscsi-lvm module matching this host program"));
        auto vol = parse_vol_xml(vol_xml);
        if (!vol.ok()) return fail(reply, vol.error());
        auto src = name_arg(source);
        if (!src.ok()) return fail(reply, src.error());
        if (flags & ILVM_BUILD_FROM_LINKED) return reply_vol(reply, be.build_linked_clone(pool, *vol, *src));
        return reply_vol(reply, be.build_vol_from(pool, *vol, *src));
    });
}

int op_refresh_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        const bool holder = (flags & ILVM_REFRESH_VOL_FIND_HOLDER) != 0;
        const bool unlocked = (flags & ILVM_REFRESH_VOL_NO_VG_LOCK) != 0;
        return name.ok() ? reply_vol(reply, be.refresh_vol(pool, *name, holder, unlocked)) : fail(reply, name.error());
    });
}

int op_delete_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if ((flags & ILVM_DELETE_VOL_WIPE) && (flags & ILVM_DELETE_VOL_NO_WIPE))
            return fail(reply, invalid_input("--wipe and --no-wipe are mutually exclusive"));
        DeleteVolOptions opts;
        if (flags & ILVM_DELETE_VOL_WIPE) opts.wipe = true;
        if (flags & ILVM_DELETE_VOL_NO_WIPE) opts.wipe = false;
        opts.snapshots = (flags & ILVM_DELETE_VOL_SNAPSHOTS) != 0;
        return ok_status(reply, be.delete_vol(pool, *name, opts));
    });
}

int op_resize_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, uint64_t capacity, unsigned int flags,
                  ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if (flags & ILVM_RESIZE_ALLOCATION) return reply_vol(reply, be.grow_allocation(pool, *name, capacity));
        return reply_vol(reply, be.resize_vol(pool, *name, capacity, {(flags & ILVM_RESIZE_ALLOW_SHRINK) != 0}));
    });
}

int op_wipe_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int algorithm, unsigned int,
                ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if (algorithm != 0) return fail(reply, invalid_input("only the 'zero' wipe algorithm is supported"));
        return ok_status(reply, be.wipe_vol(pool, *name, WipeAlgorithm::zero));
    });
}

int op_upload_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, const char *src, uint64_t offset,
                  uint64_t length, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if (!src || !*src) return fail(reply, invalid_input("no source file given"));
        return ok_status(reply, be.upload_vol(pool, *name, src, offset, length));
    });
}

int op_download_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, const char *dst, uint64_t offset,
                    uint64_t length, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if (!dst || !*dst) return fail(reply, invalid_input("no destination file given"));
        return ok_status(reply, be.download_vol(pool, *name, dst, offset, length));
    });
}

int op_activate_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        auto mode = (flags & ILVM_ACTIVATE_SHARED) ? lvm::ActivationMode::shared : lvm::ActivationMode::exclusive;
        return reply_vol(reply, be.activate_vol(pool, *name, mode, (flags & ILVM_REUSE_LVS_REPORT) != 0,
                                                (flags & ILVM_ACTIVATE_NO_LEASE_READ) != 0));
    });
}

int op_deactivate_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        const bool reuse = (flags & ILVM_REUSE_LVS_REPORT) != 0;
        // ILVM_DEACTIVATE_AFTER_USE is accepted and changes nothing: every deactivation now
        // waits out udev's probe of a volume found open (backend.h).
        return name.ok() ? reply_vol(reply, be.deactivate_vol(pool, *name, reuse)) : fail(reply, name.error());
    });
}

int op_reconcile_pool(ilvm_backend *b, const char *pool_xml, const char *state_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto input = parse_reconcile_input_xml(state_xml ? state_xml : "");
        if (!input.ok()) return fail(reply, input.error());
        input->remove_incomplete = (flags & ILVM_RECONCILE_REMOVE_INCOMPLETE) != 0;
        auto steps = be.reconcile_pool(pool, *input, (flags & ILVM_RECONCILE_DRY_RUN) != 0);
        return steps.ok() ? ok(reply, format_reconcile_result_xml(pool.name, *steps)) : fail(reply, steps.error());
    });
}

int op_diagnose_pool(ilvm_backend *b, const char *pool_xml, const char *state_xml, unsigned int flags, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto input = parse_reconcile_input_xml(state_xml ? state_xml : "");
        if (!input.ok()) return fail(reply, input.error());
        auto findings = be.diagnose_pool(pool, *input, (flags & ILVM_DIAGNOSE_FIX) != 0);
        return findings.ok() ? ok(reply, format_diagnosis_xml(pool.name, *findings)) : fail(reply, findings.error());
    });
}

int op_fence_pool(ilvm_backend *b, const char *pool_xml, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto fenced = be.fence_pool(pool);
        return fenced.ok() ? ok(reply, format_fencing_xml(pool, *fenced)) : fail(reply, fenced.error());
    });
}

int op_rejoin_pool(ilvm_backend *b, const char *pool_xml, const char *request_xml, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto req = parse_rejoin_request_xml(request_xml ? request_xml : "");
        if (!req.ok()) return fail(reply, req.error());
        auto rejoined = be.rejoin_pool(pool, *req);
        return rejoined.ok() ? ok(reply, format_rejoin_xml(pool, *rejoined)) : fail(reply, rejoined.error());
    });
}

int op_snapshot_vol(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int action, const char *snapshot,
                    const char *description, unsigned int, ilvm_reply *reply) {
    return guarded(b, reply, pool_xml, [&](Backend &be, const PoolDef &pool) {
        auto name = name_arg(vol_name);
        if (!name.ok()) return fail(reply, name.error());
        if (action == ILVM_SNAPSHOT_LIST) {
            auto chain = be.list_snapshots(pool, *name);
            return chain.ok() ? ok(reply, format_snapshots_xml(pool, *chain)) : fail(reply, chain.error());
        }
        if (!snapshot || !*snapshot) return fail(reply, invalid_input("no snapshot name given"));
        switch (action) {
        case ILVM_SNAPSHOT_CREATE: return ok_status(reply, be.create_snapshot(pool, *name, snapshot, description ? description : ""));
        case ILVM_SNAPSHOT_REVERT: return ok_status(reply, be.revert_snapshot(pool, *name, snapshot));
        case ILVM_SNAPSHOT_DELETE: return ok_status(reply, be.delete_snapshot(pool, *name, snapshot));
        case ILVM_SNAPSHOT_LIVE_BEGIN: {
            auto top = be.begin_live_snapshot(pool, *name, snapshot, description ? description : "");
            return top.ok() ? ok(reply, format_live_snapshot_xml(pool, *name, snapshot, *top)) : fail(reply, top.error());
        }
        case ILVM_SNAPSHOT_LIVE_COMMIT:
            return ok_status(reply, be.commit_live_snapshot(pool, *name, snapshot, description ? description : ""));
        case ILVM_SNAPSHOT_LIVE_ABORT: return ok_status(reply, be.abort_live_snapshot(pool, *name, snapshot));
        default: return fail(reply, internal_error("unknown snapshot action " + std::to_string(action)));
        }
    });
}

// Filled by name: a callback added to backend.h cannot slide into another's slot.
const ilvm_backend_ops k_ops = {
    .abi_version = ILVM_BACKEND_ABI_VERSION,
    .size = sizeof(ilvm_backend_ops),
    .type = "iscsi-lvm",
    .module_version = ILVM_VERSION,
    .open = op_open,
    .close = op_close,
    .reply_clear = op_reply_clear,
    .parse_pool = op_parse_pool,
    .parse_vol = op_parse_vol,
    .check_pool = op_check_pool,
    .start_pool = op_start_pool,
    .build_pool = op_build_pool,
    .refresh_pool = op_refresh_pool,
    .stop_pool = op_stop_pool,
    .delete_pool = op_delete_pool,
    .forget_pool = op_forget_pool,
    .create_vol = op_create_vol,
    .build_vol = op_build_vol,
    .build_vol_from = op_build_vol_from,
    .refresh_vol = op_refresh_vol,
    .delete_vol = op_delete_vol,
    .resize_vol = op_resize_vol,
    .wipe_vol = op_wipe_vol,
    .upload_vol = op_upload_vol,
    .download_vol = op_download_vol,
    .activate_vol = op_activate_vol,
    .deactivate_vol = op_deactivate_vol,
    .reconcile_pool = op_reconcile_pool,
    .diagnose_pool = op_diagnose_pool,
    .inspect_pool = op_inspect_pool,
    .fence_pool = op_fence_pool,
    .rejoin_pool = op_rejoin_pool,
    .snapshot_vol = op_snapshot_vol,
    .build_vol_from_flags = kBuildVolFromFlags,
    .snapshot_actions = kSnapshotActions,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const ilvm_backend_ops *ilvm_backend_register(uint32_t host_abi_version) {
    return host_abi_version == ILVM_BACKEND_ABI_VERSION ? &k_ops : nullptr;
}
