// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/names.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <optional>
#include <string>

namespace ilvm {
namespace {

std::string shown(std::string_view v) {
    // Keep error messages one line and bounded even for hostile input.
    std::string s;
    for (char c : v.substr(0, 80)) s += (std::isprint(static_cast<unsigned char>(c)) ? c : '?');
    if (v.size() > 80) s += "...";
    return "'" + s + "'";
}

bool lvm_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '_' || c == '.' || c == '-';
}

Status lvm_name(std::string_view name, std::string_view what) {
    if (name.empty()) return invalid_input(std::string(what) + " name is empty");
    if (name.size() > 127) return invalid_input(std::string(what) + " name " + shown(name) + " is longer than 127 characters");
    if (name == "." || name == "..") return invalid_input(std::string(what) + " name " + shown(name) + " is reserved");
    if (name.front() == '-') return invalid_input(std::string(what) + " name " + shown(name) + " must not start with '-'");
    if (!std::all_of(name.begin(), name.end(), lvm_name_char))
        return invalid_input(std::string(what) + " name " + shown(name) + " may contain only letters, digits and + _ . -");
    return {};
}

bool all_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Status validate_pool_name(std::string_view name) {
    if (name.empty()) return invalid_input("pool name is empty");
    if (name.size() > 64) return invalid_input("pool name " + shown(name) + " is longer than 64 characters");
    if (name.front() == '.' || name.front() == '-')
        return invalid_input("pool name " + shown(name) + " must not start with '.' or '-'");
    if (!std::all_of(name.begin(), name.end(), lvm_name_char))
        return invalid_input("pool name " + shown(name) + " may contain only letters, digits and + _ . -");
    return {};
}

namespace {

// vgcreate refuses a VG whose /dev/<name> already exists (lvm2 2.03.16
// lib/metadata/metadata.c validate_new_vg_name(): "%s: already exists in filesystem"), and
// /dev/<vg> is where the VG's volumes appear. Entries every Linux host with udev has in
// /dev: directories and single devices by name, device families by prefix + number. Disks
// named by letters (sda, vdb) exist only where such a disk does: pool-build checks /dev
// on the host itself.
constexpr std::string_view k_dev_entries[]{
    "autofs", "block", "bsg", "btrfs-control", "bus", "cdrom", "char", "console", "core", "cpu", "cpu_dma_latency",
    "cuse", "disk", "dma_heap", "dri", "fd", "full", "fuse", "hpet", "hugepages", "hwrng", "initctl", "input",
    "kmsg", "kvm", "log", "loop-control", "mapper", "mcelog", "mem", "mqueue", "net", "null", "nvram", "port",
    "ppp", "ptmx", "pts", "random", "rfkill", "rtc", "sgx_provision", "shm", "snapshot", "snd", "stderr", "stdin",
    "stdout", "tty", "uhid", "uinput", "urandom", "userfaultfd", "usb", "vfio", "vga_arbiter", "vhost-net",
    "vhost-vsock", "virtio-ports", "zero"};
// Followed by digits only: loop0, dm-3, md127, nbd0, sr0, sg1, tty1, ttyS0, vcs1, nvme0, …
constexpr std::string_view k_dev_numbered[]{
    "dm-", "fb", "gpiochip", "hidraw", "loop", "md", "mtd", "nbd", "nvme", "ram", "rtc", "sg", "sr", "tpm", "tty",
    "ttyS", "ttyUSB", "ttyACM", "vcs", "vcsa", "vcsu", "watchdog", "zram"};

bool is_dev_entry(std::string_view name) {
    for (auto e : k_dev_entries)
        if (name == e) return true;
    for (auto p : k_dev_numbered)
        if (name.size() > p.size() && name.substr(0, p.size()) == p && all_digits(name.substr(p.size()))) return true;
    return false;
}

}  // namespace

Status validate_vg_name(std::string_view name) {
    ILVM_TRY(lvm_name(name, "volume group"));
    if (is_dev_entry(name))
        return invalid_input("volume group name " + shown(name) + " is taken: /dev/" + std::string(name) +
                                 " exists on Linux hosts, and the VG's volumes appear under /dev/<VG name>",
                             "choose another <source><name> (it defaults to the pool name)");
    return {};
}

Status validate_lv_name(std::string_view name) {
    ILVM_TRY(lvm_name(name, "volume"));
    // lvm2 lib/misc/lvm-string.c (2.03.16, unchanged in 2.03.2x): apply_lvname_restrictions()
    // refuses these prefixes (_lvname_has_reserved_prefix) and substrings
    // (_lvname_has_reserved_component_string, _lvname_has_reserved_string): names LVM gives
    // to the hidden sub-volumes of snapshots, pvmove, cache, raid, thin, VDO, integrity and
    // writecache volumes.
    static constexpr std::array<std::string_view, 2> prefixes{"pvmove", "snapshot"};
    for (auto p : prefixes)
        if (name.substr(0, p.size()) == p)
            return invalid_input("volume name " + shown(name) + " must not start with '" + std::string(p) + "' (reserved by LVM)");
    static constexpr std::array<std::string_view, 17> reserved{
        "_cdata", "_cmeta", "_corig", "_cpool", "_cvol",  "_wcorig", "_mimage", "_mlog",    "_rimage",
        "_rmeta", "_tdata", "_tmeta", "_vdata", "_imeta", "_iorig",  "_pmspare", "_vorigin"};
    for (auto r : reserved)
        if (name.find(r) != std::string_view::npos)
            return invalid_input("volume name " + shown(name) + " must not contain '" + std::string(r) + "' (reserved by LVM)");
    if (name == "lvmlock")
        return invalid_input("volume name 'lvmlock' is reserved for lvmlockd's sanlock leases");
    return {};
}

Status validate_iscsi_name(std::string_view name, std::string_view what) {
    const std::string w(what);
    if (name.empty()) return invalid_input(w + " is empty");
    if (name.size() > 223) return invalid_input(w + " " + shown(name) + " is longer than 223 bytes (RFC 3720)");
    if (name.substr(0, 4) == "eui.") {
        if (name.size() == 20 && all_hex(name.substr(4))) return {};
        return invalid_input(w + " " + shown(name) + " is not a valid EUI name", "expected eui. followed by 16 hex digits");
    }
    if (name.substr(0, 4) == "naa.") {
        auto rest = name.substr(4);
        if ((rest.size() == 16 || rest.size() == 32) && all_hex(rest)) return {};
        return invalid_input(w + " " + shown(name) + " is not a valid NAA name", "expected naa. followed by 16 or 32 hex digits");
    }
    const std::string hint = "expected iqn.YYYY-MM.reversed.domain[:identifier], e.g. iqn.2024-04.com.example:vms";
    if (name.substr(0, 4) != "iqn.") return invalid_input(w + " " + shown(name) + " is not an iSCSI name", hint);
    // iqn.YYYY-MM.
    if (name.size() < 13 || !all_digits(name.substr(4, 4)) || name[8] != '-' || !all_digits(name.substr(9, 2)) ||
        name[11] != '.')
        return invalid_input(w + " " + shown(name) + " lacks the iqn.YYYY-MM. date", hint);
    int month = (name[9] - '0') * 10 + (name[10] - '0');
    if (month < 1 || month > 12) return invalid_input(w + " " + shown(name) + " has an invalid month", hint);
    auto rest = name.substr(12);
    auto colon = rest.find(':');
    auto authority = rest.substr(0, colon);
    if (authority.empty() || authority.front() == '.' || authority.back() == '.')
        return invalid_input(w + " " + shown(name) + " lacks a naming authority (reversed domain)", hint);
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
        if (!ok) return invalid_input(w + " " + shown(name) + " may contain only lower-case letters, digits and - . :", hint);
    }
    if (colon != std::string_view::npos && colon + 1 == rest.size())
        return invalid_input(w + " " + shown(name) + " ends with an empty identifier after ':'", hint);
    return {};
}

bool is_ipv6_literal(std::string_view host) {
    if (host.find(':') == std::string_view::npos || host.size() >= INET6_ADDRSTRLEN) return false;
    in6_addr addr{};
    return ::inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

namespace {

// An address in binary: 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6.
std::optional<std::string> address_bytes(std::string_view host) {
    if (host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    const std::string h(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return std::string(reinterpret_cast<const char *>(&v4), sizeof v4);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, h.c_str(), &v6) != 1) return std::nullopt;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return std::string(reinterpret_cast<const char *>(&v6.s6_addr[12]), 4);
    return std::string(reinterpret_cast<const char *>(&v6), sizeof v6);
}

// What inet_aton() (and so getaddrinfo(), and iscsid connecting to the record's address)
// would read as an IPv4 address, or anything made of digits and dots.
bool looks_like_ipv4(std::string_view host) {
    if (std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))
        return true;
    in_addr a{};
    return ::inet_aton(std::string(host).c_str(), &a) != 0;
}

Status valid_host_name(std::string_view host) {
    // RFC 1123: labels of [A-Za-z0-9-], 1..63, not starting/ending with '-'; the last label
    // is not all digits (RFC 3696 2), so a name never reads as an address.
    size_t start = 0;
    std::string_view label;
    while (true) {
        auto dot = host.find('.', start);
        label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
                  std::all_of(label.begin(), label.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
        if (!ok) return invalid_input("portal host " + shown(host) + " is not a valid host name or IP address");
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (all_digits(label)) return invalid_input("portal host " + shown(host) + " is not a valid host name or IP address");
    return {};
}

Result<std::string> canonical_ipv6(std::string_view host) {
    if (host.front() == '[')
        return invalid_input("portal host " + shown(host) + ": write an IPv6 address without brackets",
                             "e.g. <host name='fd00::50' port='3260'/>");
    if (host.find('%') != std::string_view::npos)
        return invalid_input("portal host " + shown(host) + " has a zone index (%…), which iscsi-lvm cannot use",
                             "use the portal's global or unique-local IPv6 address, or its IPv4 address");
    in6_addr a{};
    if (host.size() >= INET6_ADDRSTRLEN || ::inet_pton(AF_INET6, std::string(host).c_str(), &a) != 1)
        return invalid_input("portal host " + shown(host) + " is not a valid IPv6 address");
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
        char v4[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &a.s6_addr[12], v4, sizeof v4);
        return invalid_input("portal host " + shown(host) + " is an IPv4-mapped IPv6 address: write the IPv4 address " + v4,
                             "one portal has one spelling, so that pool-define sees two pools on the same LUN");
    }
    char out[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(AF_INET6, &a, out, sizeof out) == nullptr)
        return invalid_input("portal host " + shown(host) + " is not a valid IPv6 address");
    return std::string(out);
}

}  // namespace

Result<std::string> canonical_host(std::string_view host, HostNames names) {
    if (host.empty()) return invalid_input("portal host is empty");
    if (host.size() > 253) return invalid_input("portal host " + shown(host) + " is longer than 253 characters");
    if (host.find_first_of(":[%") != std::string_view::npos) return canonical_ipv6(host);
    if (looks_like_ipv4(host)) {
        in_addr a{};
        if (::inet_pton(AF_INET, std::string(host).c_str(), &a) != 1)
            return invalid_input("portal host " + shown(host) + " is not a valid IPv4 address",
                                 "write four decimal numbers from 0 to 255, without leading zeros: other tools read "
                                 "010.0.0.1 as 8.0.0.1, 0x7f.0.0.1 and 127.1 as 127.0.0.1");
        return std::string(host);
    }
    ILVM_TRY(valid_host_name(host));
    if (names == HostNames::refuse)
        return invalid_input("portal host " + shown(host) + " is a host name: give the portal's IP address",
                             "getent ahosts " + std::string(host) +
                                 " lists its addresses; open-iscsi names sessions and /dev/disk/by-path links "
                                 "after the portal as written, and pool-define compares portals by address");
    return std::string(host);
}

bool same_host(std::string_view a, std::string_view b) {
    auto x = address_bytes(a), y = address_bytes(b);
    if (x || y) return x && y && *x == *y;
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

Status validate_chap_username(std::string_view user) {
    if (user.empty()) return invalid_input("CHAP username is empty");
    if (user.size() > 255) return invalid_input("CHAP username is longer than 255 characters");
    for (char c : user)
        if (c <= ' ' || c > '~' || c == '=' || c == '#')
            return invalid_input("CHAP username " + shown(user) + " may contain only printable ASCII without spaces, '=' or '#'");
    return {};
}

Status validate_secret_usage(std::string_view usage) {
    if (usage.empty()) return invalid_input("secret usage is empty");
    if (usage.size() > 255) return invalid_input("secret usage is longer than 255 characters");
    for (char c : usage)
        if (c < ' ' || c > '~')
            return invalid_input("secret usage " + shown(usage) + " may contain only printable ASCII");
    return {};
}

Status validate_uuid(std::string_view uuid) {
    // 8-4-4-4-12 hex, or 32 hex digits as libvirt also accepts.
    std::string hex;
    for (char c : uuid)
        if (c != '-') hex += c;
    bool dashed = uuid.size() == 36 && uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-';
    if ((uuid.size() == 32 || dashed) && hex.size() == 32 && all_hex(hex)) return {};
    return invalid_input("UUID " + shown(uuid) + " is not valid", "expected 8-4-4-4-12 hexadecimal digits");
}

Status validate_lvm_uuid(std::string_view uuid) {
    static constexpr std::array<size_t, 7> groups{6, 4, 4, 4, 4, 4, 6};
    size_t pos = 0;
    for (size_t i = 0; i < groups.size(); ++i) {
        for (size_t j = 0; j < groups[i]; ++j, ++pos)
            if (pos >= uuid.size() || !std::isalnum(static_cast<unsigned char>(uuid[pos])))
                return invalid_input("LVM UUID " + shown(uuid) + " is not valid", "expected 6-4-4-4-4-4-6 characters as vgs -o vg_uuid prints");
        if (i + 1 < groups.size()) {
            if (pos >= uuid.size() || uuid[pos] != '-')
                return invalid_input("LVM UUID " + shown(uuid) + " is not valid", "expected 6-4-4-4-4-4-6 characters as vgs -o vg_uuid prints");
            ++pos;
        }
    }
    if (pos != uuid.size()) return invalid_input("LVM UUID " + shown(uuid) + " is not valid");
    return {};
}

}  // namespace ilvm
