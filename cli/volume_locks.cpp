#include "volume_locks.hpp"

namespace ilvm::cli {
namespace {

class ModuleVolumeLocks final : public VolumeLocks {
public:
    ModuleVolumeLocks(BackendModule &module, const PoolStore &store) : module_(module), store_(store) {}

    Result<VolSummary> inspect(const VolumeRef &v, InspectOptions how) override {
        ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(v.pool));
        const unsigned flags = (how.find_holder ? ILVM_REFRESH_VOL_FIND_HOLDER : 0u) |
                               (how.polling ? ILVM_REFRESH_VOL_NO_VG_LOCK : 0u);
        ILVM_ASSIGN_OR_RETURN(auto r, module_.call([&](ilvm_reply *rep) {
            return module_.ops().refresh_vol(module_.instance(), xml.c_str(), v.volume.c_str(), flags, rep);
        }));
        return summarize_vol(r.xml);
    }

    Status activate(const VolumeRef &v, bool shared) override {
        ILVM_ASSIGN_OR_RETURN(std::string xml, pool_xml(v.pool));
        ILVM_TRY(module_.call([&](ilvm_reply *rep) {
            return module_.ops().activate_vol(module_.instance(), xml.c_str(), v.volume.c_str(),
                                              shared ? ILVM_ACTIVATE_SHARED : 0u, rep);
        }));
        return {};
    }

private:
    Result<std::string> pool_xml(const std::string &pool) {
        if (auto it = cache_.find(pool); it != cache_.end()) return it->second;
        if (!store_.active(pool))
            return conflict("pool " + pool + " is not started on this host", "ilvm pool-start " + pool);
        ILVM_ASSIGN_OR_RETURN(std::string xml, store_.load(pool));
        cache_[pool] = xml;
        return xml;
    }

    BackendModule &module_;
    const PoolStore &store_;
    std::map<std::string, std::string> cache_;
};

}  // namespace

std::unique_ptr<VolumeLocks> make_module_volume_locks(BackendModule &module, const PoolStore &store) {
    return std::make_unique<ModuleVolumeLocks>(module, store);
}

}  // namespace ilvm::cli
