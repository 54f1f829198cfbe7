// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/status_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/env.hpp"
#include "common/log.hpp"

namespace ilvm::host {
namespace {

Result<LocalDomain> read_status_file(const std::filesystem::path &path, const std::vector<PoolBinding> &pools) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return system_error("cannot read it: " + std::string(std::strerror(errno)));
    std::string text(kMaxStatusFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(text, "libvirt status file", kMaxStatusFileBytes));
    ILVM_ASSIGN_OR_RETURN(auto disks, domain_disks(doc, pools));
    LocalDomain d{path.stem().string(), DomainRun::active, std::move(disks)};
    const xmlNode *root = doc.root();
    const auto state = xml::is_element(root, "domstatus") ? xml::attribute(root, "state") : std::nullopt;
    if (state && !state->empty()) d.run = classify_domain_state(*state, xml::attribute(root, "reason").value_or(""));
    d.paused = state && *state == "paused";
    return d;
}

}  // namespace

StatusDir read_status_dir(const std::string &dir, const std::vector<PoolBinding> &pools) {
    namespace fs = std::filesystem;
    StatusDir out;
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
        if (ec != std::errc::no_such_file_or_directory) out.unreadable.push_back({dir, "", ec.message()});
        return out;
    }
    for (; it != end; it.increment(ec)) {
        if (it->path().extension() != ".xml") continue;
        auto d = read_status_file(it->path(), pools);
        if (!d.ok()) {
            spdlog::warn("cannot read libvirt status file {}: {}", it->path().string(), d.error().message);
            out.unreadable.push_back({it->path().string(), it->path().stem().string(), d.error().message});
            continue;
        }
        out.domains.push_back(std::move(*d));
    }
    if (ec) out.unreadable.push_back({dir, "", ec.message()});
    std::sort(out.domains.begin(), out.domains.end(), [](const LocalDomain &a, const LocalDomain &b) { return a.name < b.name; });
    return out;
}

std::string status_dir() { return env_or("ILVM_LIBVIRT_STATUS_DIR", "/run/libvirt/qemu"); }

Result<std::vector<DiskRef>> disks_of_others(const StatusDir &status, const std::string &self) {
    for (const auto &u : status.unreadable)
        if (u.domain != self)
            return system_error("cannot tell which volumes the other domains here use: " + u.path + ": " + u.why,
                                "repair or remove that libvirt status file (is libvirtd healthy?)");
    std::vector<DiskRef> out;
    for (const auto &d : status.domains)
        if (d.name != self) out.insert(out.end(), d.disks.begin(), d.disks.end());
    return out;
}

}  // namespace ilvm::host
