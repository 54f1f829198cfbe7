// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/backend_client.hpp"

#include <dlfcn.h>
#include <cstddef>
#include <vector>

#include "common/env.hpp"
#include "ilvm-config.h"

namespace ilvm::host {
namespace {

// The module reports an ErrorCode as the ilvm_status of the same value (the static_asserts
// in plugin/src/abi/module.cpp tie the two enums, class by class); anything else is a bug.
ErrorCode error_code_of(int status) {
    return status >= ILVM_ERR_INVALID && status <= ILVM_ERR_INTERNAL ? static_cast<ErrorCode>(status) : ErrorCode::internal;
}

// One callback's reply, released by the module's reply_clear on every way out.
class Reply {
public:
    explicit Reply(const ilvm_backend_ops &ops) : ops_(ops) {}
    Reply(const Reply &) = delete;
    ~Reply() { ops_.reply_clear(&raw_); }

    ilvm_reply *get() { return &raw_; }

    // The callback's status and this reply as an Error (a failure), or nothing (success).
    std::optional<Error> error(int status) const {
        if (status == ILVM_OK) return std::nullopt;
        return Error(error_code_of(status), raw_.message ? raw_.message : "the backend reported an error without a message",
                     raw_.hint ? raw_.hint : "");
    }
    std::string xml() const { return raw_.xml ? raw_.xml : ""; }
    std::string extra_xml() const { return raw_.extra_xml ? raw_.extra_xml : ""; }

private:
    const ilvm_backend_ops &ops_;
    ilvm_reply raw_{};
};

// The three shapes of a callback's result.
template <typename Call>
Status status_of(const ilvm_backend_ops &ops, Call &&call) {
    Reply r(ops);
    if (auto e = r.error(call(r.get()))) return *e;
    return {};
}

template <typename Call>
Result<std::string> xml_of(const ilvm_backend_ops &ops, Call &&call) {
    Reply r(ops);
    if (auto e = r.error(call(r.get()))) return *e;
    return r.xml();
}

}  // namespace

Status check_module_table(const ilvm_backend_ops &ops, const std::string &path) {
    // The table up to rejoin_pool is what every verb and the hook call; fields appended after
    // it (issue 18 on) are checked where they are used (ILVM_BACKEND_OPS_HAS).
    if (ops.abi_version != ILVM_BACKEND_ABI_VERSION || !ILVM_BACKEND_OPS_HAS(ops, rejoin_pool))
        return internal_error("backend module " + path + " has ABI version " + std::to_string(ops.abi_version) +
                                  " with a table of " + std::to_string(ops.size) + " bytes, this program speaks " +
                                  std::to_string(ILVM_BACKEND_ABI_VERSION) + " with at least " +
                                  std::to_string(offsetof(ilvm_backend_ops, rejoin_pool) + sizeof(ops.rejoin_pool)) +
                                  "; reinstall matching versions");
    return {};
}

uint32_t linked_clone_flags(const ilvm_backend_ops &ops) {
    // A module from before the field ignored build_vol_from's flags: it knows none.
    return ILVM_BACKEND_OPS_HAS(ops, build_vol_from_flags) ? ops.build_vol_from_flags : 0;
}

Status require_live_snapshots(const ilvm_backend_ops &ops) {
    ILVM_TRY(require_snapshots(ops));
    constexpr uint32_t live = (1u << ILVM_SNAPSHOT_LIVE_BEGIN) | (1u << ILVM_SNAPSHOT_LIVE_COMMIT) | (1u << ILVM_SNAPSHOT_LIVE_ABORT);
    // A module from before the field knows only the offline actions.
    if (ILVM_BACKEND_OPS_HAS(ops, snapshot_actions) && (ops.snapshot_actions & live) == live) return {};
    return system_error("the installed iscsi-lvm module (" + std::string(ops.module_version ? ops.module_version : "?") +
                            ") cannot snapshot a running domain's volume: it is older than this program",
                        "install the module matching this program, or stop the domain and take the snapshot offline");
}

Status require_snapshots(const ilvm_backend_ops &ops) {
    if (ILVM_BACKEND_OPS_HAS(ops, snapshot_vol) && ops.snapshot_vol) return {};
    return system_error("the installed iscsi-lvm module (" + std::string(ops.module_version ? ops.module_version : "?") +
                            ") has no snapshots: it is older than this program",
                        "install the module matching this program (the iscsi-lvm package installs both)");
}

std::string BackendClient::module_path() {
    return env_or("ILVM_BACKEND_DIR", ILVM_BACKEND_DIR) + "/" + ILVM_BACKEND_MODULE_NAME;
}

Result<BackendClient> BackendClient::load(const std::map<std::string, std::string> &options) {
    BackendClient m;
    const std::string path = module_path();
    // RTLD_LOCAL: the module's symbols stay private; only the register entry point is used.
    m.handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m.handle_) {
        const char *why = dlerror();
        return system_error("cannot load the iscsi-lvm backend module " + path + ": " + (why ? why : "unknown error"),
                            "is iscsi-lvm installed? ILVM_BACKEND_DIR overrides the module directory");
    }
    auto reg = reinterpret_cast<ilvm_backend_register_fn>(dlsym(m.handle_, ILVM_BACKEND_REGISTER_SYMBOL));
    if (!reg)
        return internal_error(path + " is not an iscsi-lvm backend module (no " ILVM_BACKEND_REGISTER_SYMBOL ")");
    m.ops_ = reg(ILVM_BACKEND_ABI_VERSION);
    if (!m.ops_)
        return internal_error("backend module " + path + " does not support ABI version " +
                              std::to_string(ILVM_BACKEND_ABI_VERSION) + " that this program speaks; reinstall matching versions");
    ILVM_TRY(check_module_table(*m.ops_, path));
    std::vector<ilvm_option> opts;
    for (const auto &[k, v] : options) opts.push_back({k.c_str(), v.c_str()});
    Reply r(*m.ops_);
    m.backend_ = m.ops_->open(opts.data(), opts.size(), r.get());
    if (!m.backend_) {
        if (auto e = r.error(r.get()->code ? r.get()->code : ILVM_ERR_INTERNAL)) return *e;
    }
    return m;
}

BackendClient::BackendClient(BackendClient &&o) noexcept : handle_(o.handle_), ops_(o.ops_), backend_(o.backend_) {
    o.handle_ = nullptr;
    o.ops_ = nullptr;
    o.backend_ = nullptr;
}

BackendClient::~BackendClient() {
    if (backend_ && ops_) ops_->close(backend_);
    if (handle_) dlclose(handle_);
}

Result<std::string> BackendClient::parse_pool(const std::string &xml) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->parse_pool(backend_, xml.c_str(), r); });
}

Result<std::string> BackendClient::parse_vol(const std::string &xml) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->parse_vol(backend_, xml.c_str(), r); });
}

Result<bool> BackendClient::check_pool(const std::string &pool_xml) const {
    int active = 0;
    ILVM_TRY(status_of(*ops_, [&](ilvm_reply *r) { return ops_->check_pool(backend_, pool_xml.c_str(), &active, r); }));
    return active != 0;
}

Result<std::string> BackendClient::start_pool(const std::string &pool_xml, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->start_pool(backend_, pool_xml.c_str(), flags, r); });
}

Result<std::string> BackendClient::build_pool(const std::string &pool_xml, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->build_pool(backend_, pool_xml.c_str(), flags, r); });
}

Result<PoolRefresh> BackendClient::refresh_pool(const std::string &pool_xml) const {
    Reply r(*ops_);
    if (auto e = r.error(ops_->refresh_pool(backend_, pool_xml.c_str(), r.get()))) return *e;
    return PoolRefresh{r.xml(), r.extra_xml()};
}

Result<PoolRefresh> BackendClient::inspect_pool(const std::string &pool_xml) const {
    Reply r(*ops_);
    if (auto e = r.error(ops_->inspect_pool(backend_, pool_xml.c_str(), 0, r.get()))) return *e;
    return PoolRefresh{r.xml(), r.extra_xml()};
}

Status BackendClient::stop_pool(const std::string &pool_xml, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) { return ops_->stop_pool(backend_, pool_xml.c_str(), flags, r); });
}

Status BackendClient::delete_pool(const std::string &pool_xml, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) { return ops_->delete_pool(backend_, pool_xml.c_str(), flags, r); });
}

Status BackendClient::forget_pool(const std::string &pool_xml, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) { return ops_->forget_pool(backend_, pool_xml.c_str(), flags, r); });
}

Result<std::string> BackendClient::create_vol(const std::string &pool_xml, const std::string &vol_xml, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->create_vol(backend_, pool_xml.c_str(), vol_xml.c_str(), flags, r); });
}

Result<std::string> BackendClient::build_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->build_vol(backend_, pool_xml.c_str(), name.c_str(), flags, r); });
}

Result<std::string> BackendClient::build_vol_from(const std::string &pool_xml, const std::string &vol_xml,
                                                  const std::string &source, unsigned flags) const {
    // Asked only of a module that says it knows the flag (an older one made a full copy).
    if (flags & ~linked_clone_flags(*ops_))
        return invalid_input("the installed iscsi-lvm module (" + std::string(ops_->module_version) +
                                 ") cannot make linked clones",
                             "install the module matching this program, or clone without --linked (a full copy)");
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->build_vol_from(backend_, pool_xml.c_str(), vol_xml.c_str(), source.c_str(), flags, r);
    });
}

Result<std::string> BackendClient::refresh_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->refresh_vol(backend_, pool_xml.c_str(), name.c_str(), flags, r); });
}

Status BackendClient::delete_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) { return ops_->delete_vol(backend_, pool_xml.c_str(), name.c_str(), flags, r); });
}

Result<std::string> BackendClient::resize_vol(const std::string &pool_xml, const std::string &name, uint64_t capacity,
                                              unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->resize_vol(backend_, pool_xml.c_str(), name.c_str(), capacity, flags, r);
    });
}

Status BackendClient::wipe_vol(const std::string &pool_xml, const std::string &name, unsigned algorithm,
                               unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) {
        return ops_->wipe_vol(backend_, pool_xml.c_str(), name.c_str(), algorithm, flags, r);
    });
}

Status BackendClient::upload_vol(const std::string &pool_xml, const std::string &name, const std::string &src_path,
                                 uint64_t offset, uint64_t length, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) {
        return ops_->upload_vol(backend_, pool_xml.c_str(), name.c_str(), src_path.c_str(), offset, length, flags, r);
    });
}

Status BackendClient::download_vol(const std::string &pool_xml, const std::string &name, const std::string &dst_path,
                                   uint64_t offset, uint64_t length, unsigned flags) const {
    return status_of(*ops_, [&](ilvm_reply *r) {
        return ops_->download_vol(backend_, pool_xml.c_str(), name.c_str(), dst_path.c_str(), offset, length, flags, r);
    });
}

Result<std::string> BackendClient::activate_vol(const std::string &pool_xml, const std::string &name, unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->activate_vol(backend_, pool_xml.c_str(), name.c_str(), flags, r); });
}

Result<std::string> BackendClient::deactivate_vol(const std::string &pool_xml, const std::string &name,
                                                  unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->deactivate_vol(backend_, pool_xml.c_str(), name.c_str(), flags, r); });
}

Result<std::string> BackendClient::reconcile_pool(const std::string &pool_xml, const std::string &state_xml,
                                                  unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->reconcile_pool(backend_, pool_xml.c_str(), state_xml.c_str(), flags, r);
    });
}

Result<std::string> BackendClient::diagnose_pool(const std::string &pool_xml, const std::string &state_xml,
                                                 unsigned flags) const {
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->diagnose_pool(backend_, pool_xml.c_str(), state_xml.c_str(), flags, r);
    });
}

Result<std::string> BackendClient::fence_pool(const std::string &pool_xml) const {
    return xml_of(*ops_, [&](ilvm_reply *r) { return ops_->fence_pool(backend_, pool_xml.c_str(), 0, r); });
}

Result<std::string> BackendClient::snapshot_vol(const std::string &pool_xml, const std::string &name, unsigned action,
                                                const std::string &snapshot, const std::string &description) const {
    ILVM_TRY(require_snapshots(*ops_));
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->snapshot_vol(backend_, pool_xml.c_str(), name.c_str(), action, snapshot.c_str(), description.c_str(), 0, r);
    });
}

Result<std::string> BackendClient::rejoin_pool(const std::string &pool_xml, const std::string &request_xml) const {
    return xml_of(*ops_, [&](ilvm_reply *r) {
        return ops_->rejoin_pool(backend_, pool_xml.c_str(), request_xml.c_str(), 0, r);
    });
}

}  // namespace ilvm::host
