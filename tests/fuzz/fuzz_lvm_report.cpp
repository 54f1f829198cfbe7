// SPDX-License-Identifier: LGPL-2.1-or-later
// LVM's JSON reports (plugin/src/lvm/lvm_report): `vgs/lvs/pvs --reportformat json` output
// and the sanlock lease offset in lock_args. The input goes to all three parsers; what they
// accept must hold what the backend relies on (named rows, no lvmlockd lease LV among the
// volumes), and every lock_args they return gives an offset or an error, never a crash.
#include "common/numbers.hpp"
#include "fuzz_check.hpp"
#include "lvm/lvm_report.hpp"

namespace {

void check_offset(std::string_view lock_args) {
    auto offset = ilvm::lvm::sanlock_offset_from_lock_args(lock_args);
    if (!offset.ok()) return;
    const size_t colon = lock_args.rfind(':');
    FUZZ_CHECK(colon != std::string_view::npos, "an offset from lock_args without ':'");
    FUZZ_CHECK(ilvm::parse_digits(lock_args.substr(colon + 1)) == *offset, "an offset that is not the digits after the last ':'");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view json = ilvm::fuzz::as_text(data, size);
    if (auto vgs = ilvm::lvm::parse_vgs_json(json); vgs.ok()) {
        for (const auto &vg : *vgs) {
            FUZZ_CHECK(!vg.name.empty(), "a VG without a name");
            check_offset(vg.lock_args);
        }
    }
    if (auto lvs = ilvm::lvm::parse_lvs_json(json); lvs.ok()) {
        for (const auto &lv : *lvs) {
            FUZZ_CHECK(!lv.name.empty(), "an LV without a name");
            FUZZ_CHECK(lv.name != "lvmlock" && lv.name != "[lvmlock]", "lvmlockd's lease LV listed as a volume");
            check_offset(lv.lock_args);
        }
    }
    if (auto pvs = ilvm::lvm::parse_pvs_json(json); pvs.ok()) {
        for (const auto &pv : *pvs) check_offset(pv.vg_uuid);
    }
    check_offset(json);
    return 0;
}
