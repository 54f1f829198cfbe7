#include "pool_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/names.hpp"

namespace fs = std::filesystem;

namespace ilvm {
namespace {

Status write_atomically(const std::string &path, const std::string &content, mode_t mode) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) return system_error("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
    std::string tmp = path + ".tmp.XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0) return system_error("cannot create " + tmp + ": " + std::strerror(errno));
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
              ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
    int e = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        if (ok) e = errno;
        ::unlink(tmp.c_str());
        return system_error("cannot write " + path + ": " + std::strerror(e));
    }
    return {};
}

Result<std::string> read_whole(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string env_or(const char *var, const std::string &dflt) {
    const char *v = std::getenv(var);
    return v && *v ? v : dflt;
}

}  // namespace

PoolStore::PoolStore(std::string config_dir, std::string run_dir)
    : config_dir_(std::move(config_dir)), run_dir_(std::move(run_dir)) {}

PoolStore PoolStore::from_environment() {
    return PoolStore(env_or("ILVM_CONFIG_DIR", "/etc/iscsi-lvm") + "/pools", env_or("ILVM_RUN_DIR", "/run/iscsi-lvm") + "/pools");
}

std::string PoolStore::definition_path(const std::string &name) const { return config_dir_ + "/" + name + ".xml"; }
std::string PoolStore::runtime_path(const std::string &name) const { return run_dir_ + "/" + name + ".xml"; }
std::string PoolStore::autostart_path(const std::string &name) const { return config_dir_ + "/autostart/" + name + ".xml"; }

std::vector<std::string> PoolStore::names() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(config_dir_, ec)) {
        if (!e.is_regular_file()) continue;
        auto p = e.path();
        if (p.extension() != ".xml") continue;
        auto stem = p.stem().string();
        if (validate_pool_name(stem).ok()) out.push_back(stem);
    }
    std::sort(out.begin(), out.end());
    return out;
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
    auto text = read_whole(run_dir_ + "/" + name + "." + ext);
    return text.ok() ? *text : std::string();
}

Status PoolStore::save_runtime_file(const std::string &name, const std::string &ext, const std::string &content) const {
    return write_atomically(run_dir_ + "/" + name + "." + ext, content, 0600);
}

void PoolStore::remove_runtime_file(const std::string &name, const std::string &ext) const {
    std::error_code ec;
    fs::remove(run_dir_ + "/" + name + "." + ext, ec);
}

bool PoolStore::autostart(const std::string &name) const { return fs::is_symlink(autostart_path(name)); }

Status PoolStore::set_autostart(const std::string &name, bool on) const {
    std::error_code ec;
    fs::remove(autostart_path(name), ec);
    if (!on) return {};
    fs::create_directories(config_dir_ + "/autostart", ec);
    fs::create_symlink(definition_path(name), autostart_path(name), ec);
    if (ec) return system_error("cannot create " + autostart_path(name) + ": " + ec.message());
    return {};
}

PoolStore::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<PoolStore::Lock> PoolStore::lock(const std::string &name) const {
    std::error_code ec;
    fs::create_directories(run_dir_, ec);
    const std::string path = run_dir_ + "/" + name + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return system_error("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return conflict("another ilvm command is changing pool '" + name + "' right now", "wait for it and retry");
    }
    return Lock(fd);
}

}  // namespace ilvm
