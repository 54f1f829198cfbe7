// SPDX-License-Identifier: LGPL-2.1-or-later
// Domain disks (host/core/domain_disks): the qemu hook locks and activates exactly the disks
// domain_disks() returns, so it must never return one outside a defined pool's VG. For any
// domain XML, every returned disk names one of the bindings passed in, a volume name that
// validate_lv_name accepts, and a source that really is that volume of that pool's VG:
//   <disk type='block'>  /dev/<vg>/<lv> or /dev/mapper/<vg with -- >-<lv with -- >
//   <disk type='volume'> <pool>/<lv>
//
// Input: the domain XML, optionally after a first line "#pools NAME:VG NAME:VG ..." giving
// the defined pools (only valid names, each pool name once, as in a pool store); without it the pools
// below, which include dashes (device-mapper doubles them) and a pool named like another's VG.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/names.hpp"
#include "fuzz_check.hpp"
#include "host/core/domain_disks.hpp"

namespace {

using ilvm::host::DiskRef;
using ilvm::host::PoolBinding;

const std::vector<PoolBinding> kDefaultPools{
    {"san", "vg_san"}, {"lab", "vg-lab"}, {"vg_san", "other-vg"}, {"trail", "t-"}, {"m", "mapper"}};

std::vector<PoolBinding> pools_from_header(std::string_view &text) {
    constexpr std::string_view kHeader = "#pools ";
    if (text.substr(0, kHeader.size()) != kHeader) return kDefaultPools;
    const size_t eol = text.find('\n');
    std::istringstream line{std::string(text.substr(kHeader.size(), eol == std::string_view::npos ? eol : eol - kHeader.size()))};
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::vector<PoolBinding> pools;
    for (std::string word; line >> word && pools.size() < 8;) {
        const size_t colon = word.find(':');
        if (colon == std::string::npos) continue;
        PoolBinding p{word.substr(0, colon), word.substr(colon + 1)};
        // Pool names are unique (file names in the store); two pools may name one VG.
        const bool taken = std::any_of(pools.begin(), pools.end(), [&](const PoolBinding &q) { return q.name == p.name; });
        if (!taken && ilvm::validate_pool_name(p.name).ok() && ilvm::validate_vg_name(p.vg).ok()) pools.push_back(p);
    }
    return pools;
}

// device-mapper's name of vg/lv: every '-' doubled, one '-' between.
std::string dm_name(const std::string &vg, const std::string &lv) {
    std::string out;
    for (char c : vg) out += c == '-' ? std::string("--") : std::string(1, c);
    out += '-';
    for (char c : lv) out += c == '-' ? std::string("--") : std::string(1, c);
    return out;
}

std::string describe(const DiskRef &d) {
    return "target '" + d.target + "' source '" + d.source + "' pool '" + d.pool + "' volume '" + d.volume + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view xml = ilvm::fuzz::as_text(data, size);
    const std::vector<PoolBinding> pools = pools_from_header(xml);

    auto disks = ilvm::host::domain_disks(xml, pools);
    auto name = ilvm::host::domain_name(xml);
    if (name.ok()) FUZZ_CHECK(name->find_first_of(" \t\n") != 0, "an untrimmed domain name");
    if (!disks.ok()) {
        FUZZ_CHECK(disks.error().code == ilvm::ErrorCode::invalid_input, "error class of: " + disks.error().message);
        return 0;
    }
    for (const DiskRef &d : *disks) {
        auto binding = std::find_if(pools.begin(), pools.end(), [&](const PoolBinding &p) { return p.name == d.pool; });
        FUZZ_CHECK(binding != pools.end(), "a disk outside every defined pool: " + describe(d));
        FUZZ_CHECK(ilvm::validate_lv_name(d.volume).ok(), "an invalid volume name: " + describe(d));
        // A path counts after "//", "/./" and ".." are resolved, as domain_disks() resolves
        // it: /dev/vg_san/../vg_san/vm1 *is* vm1, and the hook must lock it as vm1.
        const std::string source =
            d.source.starts_with('/') ? std::filesystem::path(d.source).lexically_normal().string() : d.source;
        const bool as_volume = source == d.pool + "/" + d.volume;
        const bool as_path = source == "/dev/" + binding->vg + "/" + d.volume;
        const bool as_dm = source == "/dev/mapper/" + dm_name(binding->vg, d.volume);
        FUZZ_CHECK(as_volume || as_path || as_dm, "the source is not that volume of the pool's VG '" + binding->vg + "': " + describe(d));
    }

    // The volumes the hook locks exclusively: each once, none of them a shared disk's.
    const auto exclusive = ilvm::host::exclusive_volumes(*disks);
    for (size_t i = 0; i < exclusive.size(); ++i) {
        FUZZ_CHECK(std::count(exclusive.begin(), exclusive.end(), exclusive[i]) == 1, "a volume listed twice");
        const bool from_exclusive_disk = std::any_of(disks->begin(), disks->end(), [&](const DiskRef &d) {
            return !d.shared && d.pool == exclusive[i].pool && d.volume == exclusive[i].volume;
        });
        FUZZ_CHECK(from_exclusive_disk, "an exclusive volume no exclusive disk names");
    }
    return 0;
}
