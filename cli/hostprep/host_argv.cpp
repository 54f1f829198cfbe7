// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/host_argv.hpp"


namespace ilvm::cli {
namespace {

Command systemctl(const std::vector<std::string> &verb, const std::vector<std::string> &units) {
    Command c;
    c.argv = {"systemctl"};
    c.argv.insert(c.argv.end(), verb.begin(), verb.end());
    c.argv.insert(c.argv.end(), units.begin(), units.end());
    return c;
}

}  // namespace

const std::vector<std::string> &host_daemons() {
    static const std::vector<std::string> units = {"wdmd", "sanlock", "lvmlockd", "iscsid"};
    return units;
}

const std::vector<std::string> &product_units() {
    static const std::vector<std::string> units = {"iscsi-lvm.service", "iscsi-lvm-reconcile.timer",
                                                   "iscsi-lvm-mirror.service", "ilvmd.service"};
    return units;
}

Command modprobe(const std::string &module) { return Command{"modprobe", module}; }

Command systemctl_is_active(const std::vector<std::string> &units) { return systemctl({"is-active"}, units); }
Command systemctl_is_enabled(const std::vector<std::string> &units) { return systemctl({"is-enabled"}, units); }
Command systemctl_enable_now(const std::vector<std::string> &units) { return systemctl({"enable", "--now"}, units); }
Command systemctl_daemon_reload() { return systemctl({"daemon-reload"}, {}); }

Command lvmconfig_full(const std::vector<std::string> &settings) {
    Command c{"lvmconfig", "--typeconfig", "full"};
    c.argv.insert(c.argv.end(), settings.begin(), settings.end());
    return c;
}

}  // namespace ilvm::cli
