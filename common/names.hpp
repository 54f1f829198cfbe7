// SPDX-License-Identifier: LGPL-2.1-or-later
// Validation of every name that reaches a command line or a file path. Each returns a
// Status whose invalid_input message names the offending value and the rule it broke.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm {

// Our pool names become file names under /etc/iscsi-lvm/pools and libvirt mirror pool
// names: [A-Za-z0-9_.+-], 1..64 chars, not starting with '.' or '-'.
Status validate_pool_name(std::string_view name);
// lvm(8) VALID NAMES: [A-Za-z0-9+_.-], not starting with '-', not "." or "..", ≤127; and
// not the name of an entry every Linux host has in /dev (mapper, disk, dm-0, sda, …):
// vgcreate refuses a VG whose /dev/<name> exists.
Status validate_vg_name(std::string_view name);
// The VG's character rules plus LVM's reserved LV prefixes (pvmove, snapshot) and
// substrings (_cdata, _cmeta, _corig, _cpool, _cvol, _wcorig, _mimage, _mlog, _rimage,
// _rmeta, _tdata, _tmeta, _vdata, _imeta, _iorig, _pmspare, _vorigin: lvm2
// lib/misc/lvm-string.c), and "lvmlock" (lvmlockd's internal lease LV).
Status validate_lv_name(std::string_view name);
// RFC 3720 iSCSI names: iqn.YYYY-MM.reversed.domain[:unique], eui.<16 hex>, naa.<16|32 hex>.
// Lower case only (iSCSI names compare case-insensitively; we insist on the canonical form).
Status validate_iscsi_name(std::string_view name, std::string_view what);
// The portal host in the one spelling iscsiadm, the session list and /dev/disk/by-path
// all use for it (open-iscsi names sessions and by-path links after the record's address
// as written): an IPv4 dotted quad as inet_pton() reads it (four decimal numbers 0-255,
// no leading zeros; inet_aton()'s octal, hex and short forms, which getaddrinfo() and so
// iscsid read as other addresses, are refused), or an IPv6 address as inet_ntop() writes it
// (lower case, longest run of zeros compressed). Refused: IPv4-mapped IPv6 (the same portal
// under a second spelling), brackets, zone indexes. An RFC 1123 host name is refused with
// HostNames::refuse (defining a pool) and returned as written with HostNames::keep (a
// definition stored by an older version).
enum class HostNames { refuse, keep };
Result<std::string> canonical_host(std::string_view host, HostNames names);
// Whether two portal hosts are the same: the same address (an IPv4-mapped IPv6 address is
// its IPv4 address), or names equal but for case.
bool same_host(std::string_view a, std::string_view b);
// CHAP user names go into open-iscsi node records: printable ASCII, no spaces, ≤ 255.
Status validate_chap_username(std::string_view user);
// libvirt secret usage strings and UUIDs.
Status validate_secret_usage(std::string_view usage);
Status validate_uuid(std::string_view uuid);
// LVM's 32-character UUIDs, shown with dashes (6-4-4-4-4-4-6).
Status validate_lvm_uuid(std::string_view uuid);

bool is_ipv6_literal(std::string_view host);

}  // namespace ilvm
