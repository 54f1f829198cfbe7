// Loading iscsi-lvm.so and calling it: the C ABI wrapped in RAII, replies turned back into
// Result values. Shared by the CLI and the qemu hook.
#pragma once

#include <cstdint>
#include <map>
#include <vector>
#include <string>

#include "core/result.hpp"
#include "iscsi-lvm/backend.h"

namespace ilvm {

struct Reply {
    std::string xml;
    std::string extra_xml;
};

class BackendModule {
public:
    // Looks in $ILVM_BACKEND_DIR, else the configured backend directory.
    static Result<BackendModule> load(const std::map<std::string, std::string> &options);
    static std::string module_path();

    BackendModule(BackendModule &&o) noexcept;
    BackendModule &operator=(BackendModule &&) = delete;
    BackendModule(const BackendModule &) = delete;
    ~BackendModule();

    const ilvm_backend_ops &ops() const { return *ops_; }
    ilvm_backend *instance() const { return backend_; }

    // Calls `fn(reply)` (which invokes one callback) and converts the reply.
    template <typename F>
    Result<Reply> call(F &&fn) const {
        ilvm_reply r{};
        int code = fn(&r);
        return finish(code, r);
    }

private:
    BackendModule() = default;
    Result<Reply> finish(int code, ilvm_reply &r) const;

    void *handle_ = nullptr;
    const ilvm_backend_ops *ops_ = nullptr;
    ilvm_backend *backend_ = nullptr;
};

}  // namespace ilvm
