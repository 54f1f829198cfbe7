// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/host_root.hpp"

#include "common/env.hpp"

namespace ilvm::cli {

HostRoot::HostRoot(std::string root) : prefix_(std::move(root)) {
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

HostRoot HostRoot::from_environment() { return HostRoot(env_or("ILVM_HOST_ROOT", "/")); }

std::string HostRoot::at(std::string_view host_path) const { return prefix_ + std::string(host_path); }

Result<std::optional<std::string>> read_if_exists(System &sys, const std::string &path) {
    auto r = sys.read_file(path);
    if (r.ok()) return std::optional<std::string>(std::move(r).value());
    if (r.error().code == ErrorCode::not_found) return std::optional<std::string>();
    return r.take_error();
}

std::string parent_directory(const std::string &path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace ilvm::cli
