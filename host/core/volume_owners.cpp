// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/volume_owners.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "host/core/volume_lock.hpp"

namespace ilvm::host {
namespace {

std::string owners_path(const PoolStore &store, const VolumeRef &v) {
    return store.run_dir() + "/" + v.pool + ".volumes/" + v.volume + ".owners";
}

Status valid_domain_name(const std::string &domain) {
    // Names go into a tab-separated line: refuse what cannot be written back unchanged.
    if (domain.empty() || domain.size() > 200)
        return invalid_input("domain name '" + domain.substr(0, 40) + "' cannot be recorded as a volume owner");
    for (unsigned char c : domain)
        if (c < 0x20 || c == 0x7f) return invalid_input("domain name with a control character cannot be recorded");
    return {};
}

std::string format(const std::vector<VolumeOwner> &owners) {
    std::string out;
    for (const auto &o : owners)
        out += o.domain + "\t" + (o.shared ? "shared" : "exclusive") + "\t" + std::to_string(o.since) + "\n";
    return out;
}

Status write(const PoolStore &store, const VolumeRef &v, const std::vector<VolumeOwner> &owners) {
    const std::string path = owners_path(store, v);
    if (owners.empty()) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return system_error("cannot remove " + path + ": " + std::strerror(errno));
        return {};
    }
    ILVM_TRY(volume_state_dir(store, v.pool));
    return write_file_atomically(path, format(owners), 0600);
}

}  // namespace

Result<std::vector<VolumeOwner>> read_volume_owners(const PoolStore &store, const VolumeRef &v) {
    const std::string path = owners_path(store, v);
    ILVM_ASSIGN_OR_RETURN(auto content, read_state_file(path));
    if (!content) return std::vector<VolumeOwner>{};
    std::vector<VolumeOwner> out;
    for (std::string_view line : split_lines(*content)) {
        if (trim(line).empty()) continue;
        const auto t1 = line.find('\t'), t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
        const auto since = t2 == std::string_view::npos ? std::nullopt : parse_digits(line.substr(t2 + 1));
        const auto mode = t2 == std::string_view::npos ? std::string_view() : line.substr(t1 + 1, t2 - t1 - 1);
        if (!since || (mode != "shared" && mode != "exclusive"))
            return system_error(path + " is damaged: '" + std::string(line.substr(0, 80)) + "'",
                                "remove it if no domain on this host uses " + v.display());
        out.push_back({std::string(line.substr(0, t1)), mode == "shared", static_cast<int64_t>(*since)});
    }
    return out;
}

Status add_volume_owner(const PoolStore &store, const VolumeRef &v, const VolumeOwner &owner) {
    ILVM_TRY(valid_domain_name(owner.domain));
    ILVM_ASSIGN_OR_RETURN(auto owners, read_volume_owners(store, v));
    std::erase_if(owners, [&](const VolumeOwner &o) { return o.domain == owner.domain; });
    owners.push_back(owner);
    return write(store, v, owners);
}

Result<std::optional<std::vector<VolumeOwner>>> remove_volume_owner(const PoolStore &store, const VolumeRef &v,
                                                                    const std::string &domain) {
    ILVM_ASSIGN_OR_RETURN(auto owners, read_volume_owners(store, v));
    const auto before = owners.size();
    std::erase_if(owners, [&](const VolumeOwner &o) { return o.domain == domain; });
    if (owners.size() == before) return std::optional<std::vector<VolumeOwner>>();
    ILVM_TRY(write(store, v, owners));
    return std::optional<std::vector<VolumeOwner>>(std::move(owners));
}

std::vector<std::string> volumes_with_owners(const PoolStore &store, const std::string &pool) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(store.run_dir() + "/" + pool + ".volumes", ec))
        if (e.path().extension() == ".owners") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string owner_names(const std::vector<VolumeOwner> &owners) {
    std::vector<std::string> names;
    for (const auto &o : owners) names.push_back(o.domain);
    return join(names, ", ");
}

}  // namespace ilvm::host
