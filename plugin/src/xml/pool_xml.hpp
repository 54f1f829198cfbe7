// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool XML (libvirt style, <pool type='iscsi-lvm'>) <-> PoolDef. docs/xml-reference.md
// describes every element.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "model/pool_def.hpp"

namespace ilvm {

// Parses and validates pool XML from an untrusted source: parse_untrusted_xml, then
// checks whose messages must not depend on the schema (root element, pool type, inline
// CHAP passwords), then validate_schema, then the value checks (names, host, port, IQNs,
// LUN, UUIDs, target path). Every error is invalid_input with a one-line message.
// Defaults: port 3260, login timeout 5 s with 4 retries, lun 0, VG name = pool name,
// locking sanlock, wipe_on_delete no, on_lockfailure pause.
// UUIDs are returned in libvirt's canonical form (lower case, 8-4-4-4-12). The output-
// only <capacity>, <allocation> and <available> are accepted and ignored.
// The portal host is returned in its one canonical spelling (common/names.hpp
// canonical_host): an IPv4 dotted quad, or an IPv6 address as inet_ntop() writes it.
// A host name is refused when a pool is being defined (PoolXmlOrigin::definition: the
// parse_pool callback, pool-define) and read as written from a definition an older
// version stored (PoolXmlOrigin::stored: every other callback), so that pool can still be
// stopped and undefined.
enum class PoolXmlOrigin { definition, stored };
Result<PoolDef> parse_pool_xml(std::string_view xml, PoolXmlOrigin origin = PoolXmlOrigin::stored);

// Formats a pool definition the way virsh pool-dumpxml prints pools: two-space indent,
// single-quoted attributes, every default spelt out. With `status` (an active pool),
// <capacity>, <allocation> and <available> in bytes follow <uuid>.
// parse_pool_xml(format_pool_xml(def, status)) gives back `def`.
std::string format_pool_xml(const PoolDef &def, const PoolStatus *status = nullptr);

}  // namespace ilvm
