// SPDX-License-Identifier: LGPL-2.1-or-later
// `dmsetup info -c --noheadings --separator : -o name,uuid,open` output (plugin/src/dm), the
// list `ilvm lease-lost` wipes devices from: parse_dm_info() never throws, keeps no line break
// in a field, and lv_of() calls a device one of vg_san's volumes only when its dm UUID is
// LVM's and its name is exactly vg_san's dm name of that LV.
#include "common/dm_name.hpp"
#include "dm/dm_report.hpp"
#include "fuzz_check.hpp"

namespace {

// LVM's dm name of VG/LV: every '-' doubled, one '-' between.
std::string dm_name(const std::string &vg, const std::string &lv) {
    std::string out;
    for (const std::string *part : {&vg, &lv}) {
        if (!out.empty()) out += '-';
        for (char c : *part) out += c == '-' ? std::string("--") : std::string(1, c);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view text = ilvm::fuzz::as_text(data, size);
    auto devices = ilvm::dm::parse_dm_info(text);
    if (!devices.ok()) {
        FUZZ_CHECK(devices.error().code == ilvm::ErrorCode::system, devices.error().message);
        return 0;
    }
    for (const auto &d : *devices) {
        for (const std::string *field : {&d.name, &d.uuid})
            FUZZ_CHECK(field->find('\n') == std::string::npos, "a field holds a line break: " + *field);
        FUZZ_CHECK(d.name.find(':') == std::string::npos, "a name holds the separator: " + d.name);
        for (const char *vg : {"vg_san", "my-vg"}) {
            auto lv = ilvm::dm::lv_of(d, vg);
            if (!lv) continue;
            FUZZ_CHECK(d.uuid.rfind("LVM-", 0) == 0 && d.uuid.find(':') == std::string::npos, "not LVM's: " + d.uuid);
            FUZZ_CHECK(!lv->empty() && d.name == dm_name(vg, *lv), d.name + " is not " + vg + "/" + *lv);
        }
    }
    return 0;
}
