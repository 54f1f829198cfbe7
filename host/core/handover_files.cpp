// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/handover_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/log.hpp"

namespace fs = std::filesystem;

namespace ilvm::host {
namespace {

constexpr const char *kLockExt = ".lock";
constexpr const char *kMarkerExt = ".incoming";

Status make_private_dir(const std::string &dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return system_error("cannot create " + dir + ": " + std::strerror(errno));
    return {};
}

}  // namespace

Status validate_domain_file_name(const std::string &domain) {
    if (domain.empty() || domain == "." || domain == ".." || domain.find('/') != std::string::npos ||
        domain.find('\0') != std::string::npos || domain.size() > 200)
        return invalid_input("'" + domain + "' is not a usable domain name",
                             "libvirt domain names are 1-200 bytes without '/'");
    return {};
}

HandoverFiles::HandoverFiles(std::string run_dir) : run_dir_(std::move(run_dir)), dir_(run_dir_ + "/migrate") {}

HandoverFiles HandoverFiles::for_store(const PoolStore &store) {
    // The store keeps pools in $ILVM_RUN_DIR/pools; the hook writes markers under $ILVM_RUN_DIR.
    return HandoverFiles(fs::path(store.run_dir()).parent_path().string());
}

std::string HandoverFiles::lock_path(const std::string &domain) const { return dir_ + "/" + domain + kLockExt; }

std::string HandoverFiles::marker_path(const std::string &domain) const { return dir_ + "/" + domain + kMarkerExt; }

Result<FileLock> HandoverFiles::lock(const std::string &domain, Clock &clock, std::chrono::milliseconds wait) const {
    ILVM_TRY(validate_domain_file_name(domain));
    ILVM_TRY(make_private_dir(run_dir_));
    ILVM_TRY(make_private_dir(dir_));
    ILVM_ASSIGN_OR_RETURN(auto held, FileLock::acquire(lock_path(domain), LockMode::exclusive, clock, wait));
    if (!held)
        return conflict("another ilvm migrate, migrate-finish or reconcile is handling domain " + domain +
                            " on this host right now",
                        "wait for it (journalctl -u 'iscsi-lvm-migrate-finish@*' on a destination) and retry");
    return std::move(*held);
}

bool HandoverFiles::lock_held(const std::string &domain) const { return FileLock::held(lock_path(domain)); }

bool HandoverFiles::has_lock_file(const std::string &domain) const {
    struct stat st{};
    return ::stat(lock_path(domain).c_str(), &st) == 0;
}

std::optional<std::chrono::system_clock::time_point> HandoverFiles::marker_time(const std::string &domain) const {
    struct stat st{};
    if (::stat(marker_path(domain).c_str(), &st) != 0) return std::nullopt;
    auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

void HandoverFiles::remove_marker(const std::string &domain) const {
    const std::string path = marker_path(domain);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) spdlog::warn("cannot remove {}: {}", path, std::strerror(errno));
}

Status HandoverFiles::write_marker(const std::string &domain) const {
    ILVM_TRY(validate_domain_file_name(domain));
    ILVM_TRY(make_private_dir(run_dir_));
    ILVM_TRY(make_private_dir(dir_));
    return write_file_atomically(marker_path(domain), "incoming live migration accepted by the qemu hook\n", 0600);
}

std::vector<std::string> HandoverFiles::domains() const {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir_, ec)) {
        const std::string f = e.path().filename().string();
        for (const std::string ext : {kLockExt, kMarkerExt})
            if (f.size() > ext.size() && f.ends_with(ext)) names.insert(f.substr(0, f.size() - ext.size()));
    }
    return {names.begin(), names.end()};
}

}  // namespace ilvm::host
