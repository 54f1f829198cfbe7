#include "module_control.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.hpp"
#include "summaries.hpp"

namespace ilvm::hook {

Result<std::string> ModuleControl::pool_xml(const std::string &pool) {
    if (auto it = cache_.find(pool); it != cache_.end()) return it->second;
    ILVM_ASSIGN_OR_RETURN(std::string xml, store_.load(pool));
    cache_[pool] = xml;
    return xml;
}

Result<bool> ModuleControl::active_here(const std::string &pool, const std::string &volume) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(pool));
    ILVM_ASSIGN_OR_RETURN(auto r, module_.call([&](ilvm_reply *rep) {
        return module_.ops().refresh_vol(module_.instance(), xml.c_str(), volume.c_str(), 0, rep);
    }));
    ILVM_ASSIGN_OR_RETURN(auto v, cli::summarize_vol(r.xml));
    return v.activation != "inactive";
}

Result<bool> ModuleControl::activate(const std::string &pool, const std::string &volume, bool shared) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(pool));
    ILVM_ASSIGN_OR_RETURN(auto r, module_.call([&](ilvm_reply *rep) {
        return module_.ops().activate_vol(module_.instance(), xml.c_str(), volume.c_str(), shared ? ILVM_ACTIVATE_SHARED : 0u, rep);
    }));
    // The reply is the volume as found before activation (one lvs, not two).
    ILVM_ASSIGN_OR_RETURN(auto before, cli::summarize_vol(r.xml));
    return before.activation == "inactive";
}

Status ModuleControl::deactivate(const std::string &pool, const std::string &volume) {
    ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(pool));
    ILVM_TRY(module_.call([&](ilvm_reply *rep) {
        return module_.ops().deactivate_vol(module_.instance(), xml.c_str(), volume.c_str(), 0, rep);
    }));
    return {};
}

std::vector<PoolBinding> load_pool_bindings(const PoolStore &store) {
    std::vector<PoolBinding> out;
    for (const auto &name : store.names()) {
        auto xml = store.load(name);
        if (!xml.ok()) continue;
        auto p = cli::summarize_pool(*xml);
        if (p.ok()) out.push_back({p->name, p->vg});
    }
    return out;
}

std::vector<DiskRef> disks_of_running_domains(const std::string &status_dir, const std::string &self,
                                              const std::vector<PoolBinding> &pools) {
    namespace fs = std::filesystem;
    std::vector<DiskRef> out;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(status_dir, ec)) {
        if (e.path().extension() != ".xml" || e.path().stem() == self) continue;
        std::ifstream in(e.path());
        std::ostringstream ss;
        ss << in.rdbuf();
        auto disks = domain_disks(ss.str(), pools);
        if (!disks.ok()) {
            spdlog::warn("ignoring unreadable libvirt status file {}: {}", e.path().string(), disks.error().message);
            continue;
        }
        out.insert(out.end(), disks->begin(), disks->end());
    }
    return out;
}

}  // namespace ilvm::hook
