#include "handover_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.hpp"
#include "handover.hpp"

namespace fs = std::filesystem;

namespace ilvm::cli {
namespace {

constexpr const char *kLockExt = ".lock";
constexpr const char *kMarkerExt = ".incoming";

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status make_private_dir(const std::string &dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return system_error("cannot create " + dir + ": " + std::strerror(errno));
    return {};
}

enum class Attempt { locked, busy };

// One non-blocking flock of the path; `fd` is set when locked. The inode check makes
// removing the file under the lock safe (see the header).
Result<Attempt> try_lock_once(const std::string &path, int &fd) {
    for (;;) {
        int f = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (f < 0) return system_error("cannot open " + path + ": " + std::strerror(errno));
        if (::flock(f, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            ::close(f);
            if (e == EWOULDBLOCK) return Attempt::busy;
            return system_error("cannot lock " + path + ": " + std::strerror(e));
        }
        struct stat held{}, named{};
        if (::fstat(f, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            fd = f;
            return Attempt::locked;
        }
        ::close(f);   // removed (or replaced) by the previous holder: lock the current file
    }
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

std::string HandoverFiles::marker_path(const std::string &domain) const {
    return hook::incoming_marker_path(run_dir_, domain);   // the hook's own definition
}

HandoverFiles::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);
}

void HandoverFiles::Lock::release_clean() {
    if (fd_ < 0) return;
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) spdlog::warn("cannot remove {}: {}", path_, std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
}

Result<HandoverFiles::Lock> HandoverFiles::lock(const std::string &domain, Clock &clock, std::chrono::milliseconds wait) const {
    ILVM_TRY(validate_domain_file_name(domain));
    ILVM_TRY(make_private_dir(run_dir_));
    ILVM_TRY(make_private_dir(dir_));
    const std::string path = lock_path(domain);
    const auto deadline = clock.now() + wait;
    for (;;) {
        int fd = -1;
        ILVM_ASSIGN_OR_RETURN(Attempt a, try_lock_once(path, fd));
        if (a == Attempt::locked) return Lock(fd, path);
        if (clock.now() >= deadline)
            return conflict("another ilvm migrate, migrate-finish or reconcile is handling domain " + domain +
                                " on this host right now",
                            "wait for it (journalctl -u 'iscsi-lvm-migrate-finish@*' on a destination) and retry");
        clock.sleep_for(std::chrono::milliseconds(250));
    }
}

bool HandoverFiles::lock_held(const std::string &domain) const {
    int fd = ::open(lock_path(domain).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);   // also drops our shared probe lock
    return held;
}

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

std::vector<std::string> HandoverFiles::domains() const {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir_, ec)) {
        const std::string f = e.path().filename().string();
        for (const std::string ext : {kLockExt, kMarkerExt})
            if (ends_with(f, ext)) names.insert(f.substr(0, f.size() - ext.size()));
    }
    return {names.begin(), names.end()};
}

}  // namespace ilvm::cli
