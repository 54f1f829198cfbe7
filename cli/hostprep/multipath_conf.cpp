// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/multipath_conf.hpp"

#include <utility>
#include <vector>

#include "cli/hostprep/host_argv.hpp"
#include "cli/hostprep/kv_file.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "iscsi/session_timeouts.hpp"

namespace ilvm::cli {
namespace {

struct Wanted {
    const char *section;
    const char *key;
    std::string value;
};

std::vector<Wanted> wanted_settings() {
    const auto q = iscsi::multipath_queueing_for(iscsi::kSanlockIoTimeout);
    return {{"defaults", "user_friendly_names", "no"},
            {"defaults", "find_multipaths", "strict"},
            {"defaults", "polling_interval", std::to_string(q.polling_interval)},
            {"overrides", "no_path_retry", std::to_string(q.no_path_retry)}};
}

// A line without its comment ('#' or '!' to the end, multipath's two comment characters).
std::string_view uncommented(std::string_view line) { return trim(line.substr(0, line.find_first_of("#!"))); }

}  // namespace

std::optional<std::string> multipathd_binary(System &sys, const HostRoot &root) {
    for (const char *path : {"/sbin/multipathd", "/usr/sbin/multipathd"})
        if (sys.path_exists(root.at(path))) return std::string(path);
    return std::nullopt;
}

std::string multipath_drop_in() {
    const auto q = iscsi::multipath_queueing_for(iscsi::kSanlockIoTimeout);
    const uint32_t noop = q.session.noop_out_interval + q.session.noop_out_timeout;
    const uint32_t queued = q.no_path_retry * q.polling_interval;
    const uint32_t first = noop + q.session.replacement_timeout + queued;
    const uint32_t last = first + 2 * iscsi::kSanlockIoTimeout;   // a cut just before a renewal was due
    const std::string n = std::to_string(q.no_path_retry), p = std::to_string(q.polling_interval);
    return "# Written by `ilvm host-setup` (iscsi-lvm), which rewrites it: change it there, not here.\n"
           "# A pool with several iSCSI portals has one dm-multipath map per LUN, named by the LUN's\n"
           "# WWID on every host (user_friendly_names no), made only for the WWIDs in\n"
           "# /etc/multipath/wwids (find_multipaths strict: iscsi-lvm adds its pools' LUNs there).\n"
           "# Each path's iSCSI session gives up after " + std::to_string(q.session.replacement_timeout) +
           " s (plus " + std::to_string(noop) + " s for its NOP-Out to notice), so that\n"
           "# dm-multipath fails over to another path; with every path down the map queues I/O for\n"
           "# no_path_retry x polling_interval = " + n + " x " + p + " s. Queued I/O then fails " +
           std::to_string(first) + " to " + std::to_string(last) + " s after the\n"
           "# host's last sanlock lease renewal: not before the lease could fail (an outage the lease\n"
           "# survives stalls the guests, it does not fail their I/O), and within sanlock's " +
           std::to_string(iscsi::kSanlockKillGrace) + " s kill\n"
           "# path (`ilvm lease-lost` waits for that I/O).\n"
           "defaults {\n"
           "\tuser_friendly_names no\n"
           "\tfind_multipaths strict\n"
           "\tpolling_interval " + p + "\n"
           "}\n"
           "overrides {\n"
           "\tno_path_retry " + n + "\n"
           "}\n";
}

std::optional<std::string> multipath_conf_value(std::string_view text, std::string_view section, std::string_view key) {
    std::optional<std::string> value;
    std::vector<std::string> open;   // the sections we are in, outermost first
    for (auto raw : split_lines(text)) {
        const std::string_view line = uncommented(raw);
        if (line.empty()) continue;
        if (line == "}") {
            if (!open.empty()) open.pop_back();
            continue;
        }
        if (line.back() == '{') {
            open.emplace_back(trim(line.substr(0, line.size() - 1)));
            continue;
        }
        if (open.size() != 1 || open.front() != section) continue;
        const auto space = line.find_first_of(" \t");
        if (space == std::string_view::npos || line.substr(0, space) != key) continue;
        value = kv_unquote(trim(line.substr(space)));
    }
    return value;
}

Command multipathd_reconfigure() { return Command{"multipathd", "reconfigure"}; }

HostCheck multipath_check(System &sys, const HostRoot &root) {
    const std::string check = "multipath";
    if (!multipathd_binary(sys, root))
        return HostCheck{check, true, {}, {},
                         "multipath-tools not installed: pools with one portal only (apt install multipath-tools "
                         "for pools with several)"};
    std::vector<std::pair<std::string, std::string>> problems;   // problem, fix
    const std::string setup = "ilvm host-setup --host-id N";
    auto text = read_if_exists(sys, root.at(kMultipathDropIn));
    if (!text.ok()) problems.emplace_back(text.error().message, "check " + std::string(kMultipathDropIn));
    else if (!*text) problems.emplace_back(std::string(kMultipathDropIn) + " is missing", setup);
    else
        for (const auto &w : wanted_settings())
            if (auto v = multipath_conf_value(**text, w.section, w.key); v != w.value)
                problems.emplace_back(std::string(kMultipathDropIn) + " sets " + w.section + "/" + w.key + " to " +
                                          (v ? *v : std::string("nothing")) + ", not " + w.value,
                                      setup);
    auto active = sys.run(systemctl_is_active({kMultipathd}));
    const auto states = active.ok() ? nonblank_lines(active->out) : std::vector<std::string>{};
    if (states.size() != 1 || states.front() != "active")
        problems.emplace_back(std::string("multipathd is ") +
                                  (states.size() == 1 ? states.front()
                                                      : active.ok() ? "in no state systemctl reports"
                                                                    : "unknown: " + active.error().message),
                              "systemctl enable --now multipathd");
    // Asked of lvmconfig on its own: the merged value (lvm2's default is 1).
    auto lvm = sys.run(lvmconfig_full({std::string("devices/") + kComponentDetection}));
    if (!lvm.ok() || !lvm->succeeded())
        spdlog::debug("multipath check: lvmconfig did not report devices/{} ({}): the lvm checks report lvmconfig",
                      kComponentDetection, lvm.ok() ? lvm->first_error_line() : lvm.error().message);
    else
        for (const auto &line : nonblank_lines(lvm->out))
            if (line == std::string(kComponentDetection) + "=0")
                problems.emplace_back(std::string("devices/") + kComponentDetection +
                                          " is 0: LVM would take a multipath map's paths for PVs as well",
                                      std::string("set ") + kComponentDetection + " = 1 in the devices section of " +
                                          kLvmConf);
    if (problems.empty())
        return HostCheck{check, true, {}, {}, std::string(kMultipathDropIn) + ", multipathd active"};
    std::string all;
    for (const auto &p : problems) all += (all.empty() ? "" : "; ") + p.first;
    return HostCheck{check, false, all, problems.front().second};
}

}  // namespace ilvm::cli
