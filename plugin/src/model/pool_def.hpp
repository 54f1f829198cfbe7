// SPDX-License-Identifier: LGPL-2.1-or-later
// The pool definition: what the administrator wrote in pool XML, after validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ilvm {

// How hosts coordinate LV activation. sanlock/dlm go through lvmlockd (shared VG);
// none is a local VG: only safe when exactly one host ever uses the LUN.
enum class LockType { sanlock, dlm, none };
const char *lock_type_name(LockType t);

// What `ilvm lease-lost` does to each domain here using the pool's volumes once this host has
// lost the VG's sanlock lease and their I/O is stopped (<on_lockfailure>, named after
// libvirt's domain element of that name): pause it (virsh suspend; it may be resumed only if
// no other host took its volumes meanwhile), or power it off (virsh destroy).
enum class LockFailurePolicy { pause, poweroff };
const char *lock_failure_policy_name(LockFailurePolicy p);

// A reference into libvirt's secret store: exactly one of usage / uuid is set.
struct SecretRef {
    std::string usage;
    std::string uuid;
};

struct ChapAuth {
    std::string username;
    SecretRef secret;
};

// How long open-iscsi tries to log in before it gives up: each attempt may take `timeout`
// seconds (node.conn[0].timeo.login_timeout), and iscsid stops retrying once `retries` ×
// `timeout` seconds have passed since the first attempt (node.session.initial_login_retry_max;
// open-iscsi usr/initiator.c iscsi_retry_initial_login()). open-iscsi's own defaults (15 s,
// 8) make 120 s; ours make a dead portal fail within about 20-25 s.
struct LoginSettings {
    static constexpr uint32_t kDefaultTimeout = 5;
    static constexpr uint32_t kDefaultRetries = 4;
    uint32_t timeout = kDefaultTimeout;  // <source><login timeout=…>, seconds
    uint32_t retries = kDefaultRetries;  // <source><login retries=…>
    uint32_t window() const { return timeout * retries; }
};

// One iSCSI portal of the pool's target (<source><host>): a pool names one to kMaxPortals,
// each a path to the same LUN (several: multipath, issue 19).
struct Portal {
    std::string host;     // <host name=…>: canonical (common/names.hpp canonical_host)
    uint16_t port = 3260; // <host port=…>

    // "10.0.0.50:3260", "[fe80::1]:3260": the form iscsiadm -p and /dev/disk/by-path use.
    std::string address() const;
    // Whether host:port is this portal, however its address is written (iscsiadm prints a
    // record's address as it was given; common/names.hpp same_host).
    bool is(std::string_view other_host, uint16_t other_port) const;
    // /dev/disk/by-path/ip-<host>:<port>-iscsi-<iqn>-lun-<n>, the host unbracketed
    std::string by_path_device(const std::string &target_iqn, uint32_t lun) const;
};

struct PoolDef {
    std::string name;
    std::string uuid;              // libvirt-style pool UUID (generated at define if absent)
    // <source><host>, in the order written; never empty once parsed. More than one: each
    // logged in, a path of the same LUN (multipath()).
    std::vector<Portal> portals;
    static constexpr size_t kMaxPortals = 8;
    LoginSettings login;           // <source><login …/>
    std::string target_iqn;        // <source><device path=…>
    uint32_t lun = 0;              // <source><device lun=…>
    std::string initiator_iqn;     // empty: the host's /etc/iscsi/initiatorname.iscsi
    std::optional<ChapAuth> auth;
    std::string vg_name;           // <source><name>
    std::string vg_uuid;           // <source><vg uuid=…/>: pinned at build / first start
    LockType lock_type = LockType::sanlock;
    // <wipe_on_create>no</wipe_on_create>: a new volume is cleared only at both ends instead of
    // zeroed whole, so it may show an earlier volume's data (single-tenant clusters).
    bool wipe_on_create = true;
    bool wipe_on_delete = false;   // <wipe_on_delete>yes</wipe_on_delete>: default of vol-delete --wipe
    // <metadata_size unit='MiB'>: the LVM metadata area pool-build makes (vgcreate
    // --metadatasize). LVM's default area holds ~1,470 volumes with their lock args; a volume
    // takes ~355 bytes and LVM uses at most half the area, so the default holds ~96,000
    // (measured, docs/xml-reference.md). Fixed once the VG exists.
    uint64_t metadata_size = kDefaultMetadataSize;
    static constexpr uint64_t kDefaultMetadataSize = 64ULL << 20;
    LockFailurePolicy on_lockfailure = LockFailurePolicy::pause;   // <on_lockfailure>

    // The portal's by-path device of the pool's LUN.
    std::string by_path_device(const Portal &portal) const { return portal.by_path_device(target_iqn, lun); }
    bool multipath() const { return portals.size() > 1; }
    // /dev/<vg>: <target><path>
    std::string target_path() const { return "/dev/" + vg_name; }
    bool shared() const { return lock_type != LockType::none; }
};

// Runtime numbers reported for an active pool (libvirt's capacity/allocation/available).
struct PoolStatus {
    uint64_t capacity = 0;
    uint64_t allocation = 0;
    uint64_t available = 0;
    uint64_t extent_size = 0;
    std::string vg_uuid;
};

}  // namespace ilvm
