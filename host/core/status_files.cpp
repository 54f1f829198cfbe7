// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/status_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/env.hpp"
#include "common/log.hpp"

namespace ilvm::host {
namespace {

Result<LocalDomain> read_status_file(const std::filesystem::path &path, const std::vector<PoolBinding> &pools) {
    std::ifstream in(path);
    if (!in) return system_error("cannot read " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(ss.str(), "libvirt status file"));
    ILVM_ASSIGN_OR_RETURN(auto disks, domain_disks(doc, pools));
    LocalDomain d{path.stem().string(), DomainRun::active, std::move(disks)};
    const xmlNode *root = doc.root();
    const auto state = xml::is_element(root, "domstatus") ? xml::attribute(root, "state") : std::nullopt;
    if (state && !state->empty()) d.run = classify_domain_state(*state, xml::attribute(root, "reason").value_or(""));
    return d;
}

}  // namespace

std::vector<LocalDomain> read_status_dir(const std::string &dir, const std::vector<PoolBinding> &pools) {
    namespace fs = std::filesystem;
    std::vector<LocalDomain> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() != ".xml") continue;
        auto d = read_status_file(e.path(), pools);
        if (!d.ok()) {
            spdlog::warn("ignoring unreadable libvirt status file {}: {}", e.path().string(), d.error().message);
            continue;
        }
        out.push_back(std::move(*d));
    }
    std::sort(out.begin(), out.end(), [](const LocalDomain &a, const LocalDomain &b) { return a.name < b.name; });
    return out;
}

std::string status_dir() { return env_or("ILVM_LIBVIRT_STATUS_DIR", "/run/libvirt/qemu"); }

std::vector<DiskRef> disks_of_others(const std::vector<LocalDomain> &domains, const std::string &self) {
    std::vector<DiskRef> out;
    for (const auto &d : domains)
        if (d.name != self) out.insert(out.end(), d.disks.begin(), d.disks.end());
    return out;
}

}  // namespace ilvm::host
