// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session_details.hpp"

#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::iscsi {
std::optional<PortalAddress> parse_portal(std::string_view portal_tpgt) {
    std::string_view portal = portal_tpgt.substr(0, portal_tpgt.rfind(','));
    const auto colon = portal.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view h = portal.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    const auto p = parse_digits(portal.substr(colon + 1));
    if (h.empty() || !p || *p == 0 || *p > UINT16_MAX) return std::nullopt;
    return PortalAddress{std::string(h), static_cast<uint16_t>(*p)};
}

bool portal_is(std::string_view portal_tpgt, const std::string &host, uint16_t port) {
    const auto p = parse_portal(portal_tpgt);
    return p && p->port == port && same_host(p->host, host);
}

namespace {

std::string_view after(std::string_view line, std::string_view key) {
    return line.substr(0, key.size()) == key ? trim(line.substr(key.size())) : std::string_view();
}

// The words of "Attached scsi disk sdb\t\tState: running": the disk and its state.
std::optional<AttachedDisk> attached_disk(std::string_view line) {
    const auto rest = after(line, "Attached scsi disk");
    if (rest.empty()) return std::nullopt;
    const auto end = rest.find_first_of(" \t");
    AttachedDisk d{std::string(rest.substr(0, end)), {}, {}};
    if (end != std::string_view::npos) d.state = std::string(after(trim(rest.substr(end)), "State:"));
    return d;
}

// The N of "scsi3 Channel 00 Id 0 Lun: N" (open-iscsi usr/session_info.c), the LUN of the
// "Attached scsi disk" line that follows it.
std::optional<uint32_t> scsi_lun(std::string_view line) {
    if (line.substr(0, 4) != "scsi") return std::nullopt;
    const auto at = line.find("Lun:");
    if (at == std::string_view::npos) return std::nullopt;
    const auto n = parse_digits(trim(line.substr(at + 4)));
    if (!n || *n > UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(*n);
}

}  // namespace

std::vector<SessionDetails> target_sessions(std::string_view details, const std::string &target_iqn) {
    std::vector<SessionDetails> out;
    bool target = false;
    std::optional<PortalAddress> portal;
    SessionDetails *session = nullptr;   // the session whose lines these are, when it is one of ours
    std::optional<uint32_t> lun;         // the last "Lun:" line's, for the disk line below it
    for (const auto &line : nonblank_lines(details)) {
        if (auto t = after(line, "Target:"); !t.empty()) {
            target = t.substr(0, t.find(' ')) == target_iqn;
            portal.reset();
            session = nullptr;
        } else if (auto p = after(line, "Current Portal:"); !p.empty()) {
            portal = parse_portal(p);
            session = nullptr;
        } else if (!after(line, "SID:").empty()) {
            session = nullptr;
            if (target && portal) session = &out.emplace_back(SessionDetails{*portal, {}, {}, {}});
        } else if (!session) {
            continue;
        } else if (auto s = after(line, "iSCSI Session State:"); !s.empty()) {
            session->session_state = std::string(s);
        } else if (auto c = after(line, "iSCSI Connection State:"); !c.empty()) {
            session->connection_state = std::string(c);
        } else if (auto n = scsi_lun(line)) {
            lun = n;
        } else if (auto d = attached_disk(line)) {
            d->lun = lun;
            lun.reset();
            session->disks.push_back(std::move(*d));
        }
    }
    return out;
}

const AttachedDisk *disk_of_lun(const SessionDetails &session, uint32_t lun) {
    for (const auto &d : session.disks)
        if (d.lun == lun) return &d;
    return nullptr;
}

std::optional<uint32_t> session_recovery_timeout(std::string_view details, const std::string &target_iqn,
                                                 const std::string &host, uint16_t port) {
    // Targets at the left margin, then per session its portal and, further down, its timeouts.
    bool target = false, portal = false;
    for (const auto &line : nonblank_lines(details)) {
        if (auto t = after(line, "Target:"); !t.empty()) {
            target = t.substr(0, t.find(' ')) == target_iqn;
            portal = false;
        } else if (auto p = after(line, "Current Portal:"); !p.empty()) {
            portal = target && portal_is(p, host, port);
        } else if (auto r = after(line, "Recovery Timeout:"); !r.empty() && portal) {
            const auto n = parse_digits(r);
            if (n && *n <= UINT32_MAX) return static_cast<uint32_t>(*n);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace ilvm::iscsi
