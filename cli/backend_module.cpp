#include "backend_module.hpp"

#include <cstdlib>
#include <dlfcn.h>

#include "ilvm-config.h"

namespace ilvm {

std::string BackendModule::module_path() {
    const char *dir = std::getenv("ILVM_BACKEND_DIR");
    return std::string(dir && *dir ? dir : ILVM_BACKEND_DIR) + "/" + ILVM_BACKEND_MODULE_NAME;
}

Result<BackendModule> BackendModule::load(const std::map<std::string, std::string> &options) {
    BackendModule m;
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
    if (m.ops_->abi_version != ILVM_BACKEND_ABI_VERSION || m.ops_->size < sizeof(ilvm_backend_ops))
        return internal_error("backend module " + path + " has ABI version " + std::to_string(m.ops_->abi_version) +
                              ", this program speaks " + std::to_string(ILVM_BACKEND_ABI_VERSION) +
                              "; reinstall matching versions");
    std::vector<ilvm_option> opts;
    for (const auto &[k, v] : options) opts.push_back({k.c_str(), v.c_str()});
    ilvm_reply r{};
    m.backend_ = m.ops_->open(opts.data(), opts.size(), &r);
    if (!m.backend_) {
        auto res = m.finish(r.code ? r.code : ILVM_ERR_INTERNAL, r);
        return res.take_error();
    }
    m.ops_->reply_clear(&r);
    return m;
}

BackendModule::BackendModule(BackendModule &&o) noexcept
    : handle_(o.handle_), ops_(o.ops_), backend_(o.backend_) {
    o.handle_ = nullptr;
    o.ops_ = nullptr;
    o.backend_ = nullptr;
}

BackendModule::~BackendModule() {
    if (backend_ && ops_) ops_->close(backend_);
    if (handle_) dlclose(handle_);
}

Result<Reply> BackendModule::finish(int code, ilvm_reply &r) const {
    Reply out;
    Error err;
    if (code != ILVM_OK) {
        err.code = (code >= ILVM_ERR_INVALID && code <= ILVM_ERR_INTERNAL) ? static_cast<ErrorCode>(code) : ErrorCode::internal;
        err.message = r.message ? r.message : "the backend reported an error without a message";
        if (r.hint) err.hint = r.hint;
    } else {
        if (r.xml) out.xml = r.xml;
        if (r.extra_xml) out.extra_xml = r.extra_xml;
    }
    ops_->reply_clear(&r);
    if (code != ILVM_OK) return err;
    return out;
}

}  // namespace ilvm
