// SPDX-License-Identifier: LGPL-2.1-or-later
#include "iscsi/session_details.hpp"

#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::iscsi {
bool portal_is(std::string_view portal_tpgt, const std::string &host, uint16_t port) {
    std::string_view portal = portal_tpgt.substr(0, portal_tpgt.rfind(','));
    const auto colon = portal.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view h = portal.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    const auto p = parse_digits(portal.substr(colon + 1));
    return p && *p == port && same_host(h, host);
}

namespace {

std::string_view after(std::string_view line, std::string_view key) {
    return line.substr(0, key.size()) == key ? trim(line.substr(key.size())) : std::string_view();
}

}  // namespace

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
