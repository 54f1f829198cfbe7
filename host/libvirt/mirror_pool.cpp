// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/mirror_pool.hpp"

#include "common/xml_doc.hpp"

namespace ilvm::host {

const char *mirror_state_name(MirrorState s) {
    switch (s) {
    case MirrorState::unreachable: return "unknown";
    case MirrorState::absent: return "absent";
    case MirrorState::defined: return "defined";
    case MirrorState::active: return "active";
    case MirrorState::foreign: return "foreign";
    }
    return "unknown";
}

std::optional<MirrorState> mirror_state_from_name(std::string_view name) {
    for (MirrorState s : {MirrorState::unreachable, MirrorState::absent, MirrorState::defined, MirrorState::active,
                          MirrorState::foreign})
        if (name == mirror_state_name(s)) return s;
    return std::nullopt;
}

std::string mirror_pool_xml(const std::string &name, const std::string &vg) {
    return "<pool type='logical'>\n  <name>" + xml::escape(name) + "</name>\n  <source>\n    <name>" + xml::escape(vg) +
           "</name>\n    <format type='lvm2'/>\n  </source>\n  <target>\n    <path>/dev/" + xml::escape(vg) +
           "</path>\n  </target>\n</pool>\n";
}

}  // namespace ilvm::host
