// A volume's lock on this host, as the live-migration hand-over and the reconciler need it:
// read it (refresh_vol, optionally naming another host's lease) and set it (activate_vol,
// exclusive or shared, which converts an activation here in the other mode). An interface
// so the hand-over's state machines are tested with a fake; the real one calls the module.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <string>

#include "backend_module.hpp"
#include "core/result.hpp"
#include "pool_store.hpp"
#include "summaries.hpp"

namespace ilvm::cli {

struct VolumeRef {
    std::string pool;
    std::string volume;
    std::string display() const { return pool + "/" + volume; }
    auto operator<=>(const VolumeRef &) const = default;
};

// What inspect() reads besides this host's activation.
struct InspectOptions {
    bool find_holder = false;  // a volume inactive here: the other host's lease (<holder mode=…>)
    // For loops that look every fraction of a second: no VG lock (lvs --nolocking). With it,
    // the source's poll starved the destination's lvchange of the VG lock for 17 s (lab).
    bool polling = false;
};

class VolumeLocks {
public:
    virtual ~VolumeLocks() = default;
    // activation: inactive | exclusive | shared (this host's lock, from lvmlockd).
    virtual Result<VolSummary> inspect(const VolumeRef &v, InspectOptions how) = 0;
    // Exclusive, or shared. Another host's incompatible lock is an ErrorCode::conflict
    // ("locked by other host"); the volume then stays as it was here.
    virtual Status activate(const VolumeRef &v, bool shared) = 0;
};

// Through the module, on pools started on this host (else a conflict naming pool-start).
std::unique_ptr<VolumeLocks> make_module_volume_locks(BackendModule &module, const PoolStore &store);

}  // namespace ilvm::cli
