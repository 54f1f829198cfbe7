// SPDX-License-Identifier: LGPL-2.1-or-later
// Volume XML (libvirt style, <volume type='block'>) <-> VolDef. docs/xml-reference.md
// describes every element.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "model/vol_def.hpp"

namespace ilvm {

// Parses and validates volume XML from an untrusted source. Accepts what
// `virsh vol-dumpxml` prints for an LVM volume and what format_vol_xml prints; <key>,
// <source>, <physical>, <target> contents but <format>, <activation> and <holder> are
// ignored. Requires <name> (an LV name) and <capacity> > 0 (libvirt units, default bytes);
// <target><format type='raw|qcow2'/> (raw when absent); <allocation>, when given, must equal
// the capacity for raw volumes (thick), and is the LV's size for qcow2. Every error is
// invalid_input with a one-line message.
Result<VolDef> parse_vol_xml(std::string_view xml);

// Formats a volume the way virsh vol-dumpxml prints one, sizes in bytes. Without
// `status`: name, capacity, allocation (only when def.allocation is set) and
// <target><format type='raw|qcow2'/></target>. With `status`: also <key>, the actual
// capacity/allocation, <target><path>, and <activation …/> plus <holder …/> when another
// host's lock is known. parse_vol_xml(format_vol_xml(def)) gives back `def`. Compact: the
// same elements without line breaks or indentation (the module's list of a pool's volumes).
enum class XmlLayout { indented, compact };
std::string format_vol_xml(const VolDef &def, const VolStatus *status = nullptr, XmlLayout layout = XmlLayout::indented);

}  // namespace ilvm
