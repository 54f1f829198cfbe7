// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/pool_store.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "common/atomic_file.hpp"
#include "common/env.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/strings.hpp"

namespace fs = std::filesystem;

namespace ilvm::host {
namespace {

// Directories we create: 0755 whatever the umask (their files are 0600).
constexpr mode_t kDirMode = 0755;

Status write_atomically(const std::string &path, const std::string &content, mode_t mode) {
    ILVM_TRY(make_directory_tree(fs::path(path).parent_path().string(), kDirMode));
    return write_file_atomically(path, content, mode);
}

Result<std::string> read_whole(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

PoolStore::PoolStore(std::string config_dir, std::string run_dir)
    : config_dir_(std::move(config_dir)), run_dir_(std::move(run_dir)) {}

PoolStore PoolStore::from_environment() {
    return PoolStore(env_or("ILVM_CONFIG_DIR", "/etc/iscsi-lvm") + "/pools", env_or("ILVM_RUN_DIR", "/run/iscsi-lvm") + "/pools");
}

Status PoolStore::check_directories() const {
    for (const auto &dir : {fs::path(config_dir_).parent_path().string(), config_dir_, config_dir_ + "/autostart",
                            fs::path(run_dir_).parent_path().string(), run_dir_})
        ILVM_TRY(check_trusted_directory(dir));
    return {};
}

std::string PoolStore::definition_path(const std::string &name) const { return config_dir_ + "/" + name + ".xml"; }
std::string PoolStore::runtime_path(const std::string &name) const { return run_dir_ + "/" + name + ".xml"; }
std::string PoolStore::autostart_path(const std::string &name) const { return config_dir_ + "/autostart/" + name + ".xml"; }

Result<std::vector<std::string>> PoolStore::list() const {
    std::vector<std::string> out;
    std::error_code ec;
    fs::directory_iterator it(config_dir_, ec), end;
    if (ec == std::errc::no_such_file_or_directory) return out;   // nothing defined on this host yet
    for (; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        auto p = it->path();
        if (p.extension() != ".xml") continue;
        auto stem = p.stem().string();
        if (validate_pool_name(stem).ok()) out.push_back(stem);
    }
    if (ec) return system_error("cannot list the pool definitions in " + config_dir_ + ": " + ec.message(),
                                "it must be a directory root can read (ILVM_CONFIG_DIR moves it)");
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> PoolStore::names() const {
    auto names = list();
    if (names.ok()) return std::move(*names);
    spdlog::error("{}", names.error().message);
    return {};
}

bool PoolStore::exists(const std::string &name) const { return fs::exists(definition_path(name)); }

Result<std::string> PoolStore::load(const std::string &name) const {
    if (!exists(name))
        return not_found("pool '" + name + "' is not defined", "list pools with ilvm pool-list --all");
    return read_whole(definition_path(name));
}

Status PoolStore::save(const std::string &name, const std::string &xml) const {
    return write_atomically(definition_path(name), xml, 0600);
}

Status PoolStore::remove(const std::string &name) const {
    std::error_code ec;
    fs::remove(autostart_path(name), ec);
    if (!fs::remove(definition_path(name), ec) && ec)
        return system_error("cannot remove " + definition_path(name) + ": " + ec.message());
    return {};
}

bool PoolStore::active(const std::string &name) const { return fs::exists(runtime_path(name)); }

Result<std::string> PoolStore::load_runtime(const std::string &name) const { return read_whole(runtime_path(name)); }

Status PoolStore::save_runtime(const std::string &name, const std::string &xml) const {
    return write_atomically(runtime_path(name), xml, 0600);
}

Status PoolStore::clear_runtime(const std::string &name) const {
    std::error_code ec;
    fs::remove(runtime_path(name), ec);
    if (ec) return system_error("cannot remove " + runtime_path(name) + ": " + ec.message());
    return {};
}

std::string PoolStore::load_runtime_file(const std::string &name, const std::string &ext) const {
    auto text = read_whole(runtime_file_path(name, ext));
    return text.ok() ? *text : std::string();
}

Status PoolStore::save_runtime_file(const std::string &name, const std::string &ext, const std::string &content) const {
    return write_atomically(runtime_file_path(name, ext), content, 0600);
}

Status PoolStore::append_runtime_file(const std::string &name, const std::string &ext, const std::string &block) const {
    ILVM_TRY(make_directory_tree(run_dir_, kDirMode));
    return append_state_file(runtime_file_path(name, ext), block, 0600);
}

std::string PoolStore::runtime_file_path(const std::string &name, const std::string &ext) const {
    return run_dir_ + "/" + name + "." + ext;
}

void PoolStore::remove_runtime_file(const std::string &name, const std::string &ext) const {
    std::error_code ec;
    fs::remove(runtime_file_path(name, ext), ec);
}

bool PoolStore::autostart(const std::string &name) const { return fs::is_symlink(autostart_path(name)); }

Status PoolStore::set_autostart(const std::string &name, bool on) const {
    std::error_code ec;
    fs::remove(autostart_path(name), ec);
    if (!on) return {};
    ILVM_TRY(make_directory_tree(config_dir_ + "/autostart", kDirMode));
    fs::create_symlink(definition_path(name), autostart_path(name), ec);
    if (ec) return system_error("cannot create " + autostart_path(name) + ": " + ec.message());
    return {};
}

Result<FileLock> PoolStore::lock(const std::string &name, LockMode mode, Clock &clock, std::chrono::milliseconds wait,
                                 const std::function<void()> &on_wait) const {
    ILVM_TRY(make_directory_tree(run_dir_, kDirMode));
    ILVM_ASSIGN_OR_RETURN(auto held, FileLock::acquire(run_dir_ + "/" + name + ".lock", mode, clock, wait, on_wait));
    if (!held)
        return conflict("pool '" + name + "' is busy: another ilvm command on this host is " +
                            (mode == LockMode::exclusive ? "using it" : "changing it"),
                        "wait for it to finish, or give the command more time with --wait SECONDS");
    return std::move(*held);
}

Result<FileLock> PoolStore::lock(const std::string &name) const {
    SystemClock clock;
    return lock(name, LockMode::exclusive, clock, std::chrono::milliseconds(0));
}

}  // namespace ilvm::host
