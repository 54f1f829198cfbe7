// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/watchdog.hpp"

#include <algorithm>
#include <sstream>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace ilvm::cli {
namespace {

// modules-load.d(5): one module name per line; '#' and ';' start comments.
bool lists_module(const std::string &text, const std::string &name) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const std::string word(trim(line.substr(0, line.find_first_of("#;"))));
        if (word == name) return true;
    }
    return false;
}

// The files systemd-modules-load reads at boot, in the directories a host admin uses
// (/usr/lib/modules-load.d belongs to packages, which do not ship softdog).
std::optional<std::string> file_loading(System &sys, const HostRoot &root, const std::string &module) {
    std::vector<std::string> candidates = {"/etc/modules"};
    if (auto names = sys.list_dir(root.at("/etc/modules-load.d")); names.ok()) {
        std::vector<std::string> sorted = *names;
        std::sort(sorted.begin(), sorted.end());
        for (const auto &n : sorted)
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0) candidates.push_back("/etc/modules-load.d/" + n);
    } else if (names.error().code != ErrorCode::not_found) {
        spdlog::warn("cannot list /etc/modules-load.d ({}): softdog counts as not loaded at boot", names.error().message);
    }
    for (const auto &path : candidates) {
        auto text = read_if_exists(sys, root.at(path));
        if (!text.ok()) {
            spdlog::warn("cannot read {} ({}): it counts as not loading {}", path, text.error().message, module);
            continue;
        }
        if (*text && lists_module(**text, module)) return path;
    }
    return std::nullopt;
}

}  // namespace

KernelModules::KernelModules(System &sys, const HostRoot &root) : sys_(sys), root_(root) {
    auto text = read_if_exists(sys, root.at("/proc/modules"));
    if (!text.ok() || !*text) return;
    std::istringstream in(**text);
    for (std::string line; std::getline(in, line);) loaded_.insert(line.substr(0, line.find(' ')));
}

bool KernelModules::present(const std::string &name) const {
    return loaded_.count(name) != 0 || sys_.path_exists(root_.at("/sys/module/" + name));
}

WatchdogState read_watchdog_state(System &sys, const HostRoot &root, const KernelModules &modules) {
    WatchdogState w;
    if (auto id = read_if_exists(sys, root.at("/sys/class/watchdog/watchdog0/identity")); id.ok() && *id)
        w.identity = std::string(trim(**id));
    w.device = sys.path_exists(root.at("/dev/watchdog"));
    w.softdog_loaded = modules.present("softdog");
    w.softdog_at_boot = file_loading(sys, root, "softdog");
    return w;
}

std::string softdog_boot_file_content() {
    return "# Written by ilvm host-setup: wdmd (sanlock's watchdog) needs a watchdog device and this\n"
           "# host has no hardware watchdog. Remove it only with a hardware watchdog driver in place.\n"
           "softdog\n";
}

}  // namespace ilvm::cli
