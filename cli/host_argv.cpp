#include "host_argv.hpp"

#include <sstream>

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

Command systemctl_is_active(const std::vector<std::string> &units) { return systemctl({"is-active"}, units); }
Command systemctl_is_enabled(const std::vector<std::string> &units) { return systemctl({"is-enabled"}, units); }
Command systemctl_enable_now(const std::vector<std::string> &units) { return systemctl({"enable", "--now"}, units); }

Command lvmconfig_full(const std::vector<std::string> &settings) {
    Command c{"lvmconfig", "--typeconfig", "full"};
    c.argv.insert(c.argv.end(), settings.begin(), settings.end());
    return c;
}

std::vector<std::string> output_lines(const std::string &out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        const size_t b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos) continue;
        const size_t e = line.find_last_not_of(" \t\r");
        lines.push_back(line.substr(b, e - b + 1));
    }
    return lines;
}

}  // namespace ilvm::cli
