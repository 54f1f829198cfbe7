#include "local_domains.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.hpp"
#include "xml_query.hpp"

namespace ilvm::cli {

std::vector<LocalDomain> read_status_dir(const std::string &dir, const std::vector<hook::PoolBinding> &pools) {
    namespace fs = std::filesystem;
    std::vector<LocalDomain> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() != ".xml") continue;
        std::ifstream in(e.path());
        std::ostringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        auto disks = hook::domain_disks(text, pools);
        auto q = XmlQuery::parse(text);
        if (!disks.ok() || !q.ok()) {
            spdlog::warn("ignoring unreadable libvirt status file {}: {}", e.path().string(),
                         disks.ok() ? q.error().message : disks.error().message);
            continue;
        }
        // A <domain> without <domstatus> (never written by libvirt here) counts as running.
        const std::string state = q->str("string(/domstatus/@state)");
        out.push_back({e.path().stem().string(),
                       state.empty() ? DomainRun::active : classify_domain_state(state, q->str("string(/domstatus/@reason)")),
                       std::move(*disks)});
    }
    std::sort(out.begin(), out.end(), [](const LocalDomain &a, const LocalDomain &b) { return a.name < b.name; });
    return out;
}

std::vector<VolumeRef> exclusive_volumes(const std::vector<hook::DiskRef> &disks) {
    std::vector<VolumeRef> out;
    for (const auto &d : disks) {
        if (d.shared) continue;
        VolumeRef v{d.pool, d.volume};
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
}

}  // namespace ilvm::cli
