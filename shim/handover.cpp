// SPDX-License-Identifier: LGPL-2.1-or-later
#include "shim/handover.hpp"

#include <glib.h>


#include "common/log.hpp"

namespace ilvm::hook {

std::string systemd_escape(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const bool plain = g_ascii_isalnum(c) || c == ':' || c == '_' || (c == '.' && i != 0);
        if (c == '/') out += '-';
        else if (plain) out += static_cast<char>(c);
        else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

bool RunDirHandover::incoming(const std::string &domain) { return files_.marker_time(domain).has_value(); }

Status RunDirHandover::mark_incoming(const std::string &domain) { return files_.write_marker(domain); }

void RunDirHandover::clear_incoming(const std::string &domain) { files_.remove_marker(domain); }

Status RunDirHandover::start_finisher(const std::string &domain) {
    const std::string unit = "iscsi-lvm-migrate-finish@" + systemd_escape(domain) + ".service";
    // --no-block: queue the job and return; systemd, not libvirt, runs it. The runner captures
    // the child's stdout: ours is libvirt's, and for `migrate begin` anything printed there
    // would be taken as a new domain XML.
    Command start{systemctl_, "start", "--no-block", unit};
    start.timeout = std::chrono::seconds(30);
    ILVM_TRY(run_status(sys_, start, "cannot start " + unit));
    spdlog::info("domain {}: started {}", domain, unit);
    return {};
}

}  // namespace ilvm::hook
