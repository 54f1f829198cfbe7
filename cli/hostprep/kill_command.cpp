// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/kill_command.hpp"

#include <sstream>
#include <vector>

namespace ilvm::cli {
namespace {

constexpr const char *kVerb = "lease-lost";
constexpr size_t kMaxKillCommand = 256;   // lvmlockctl's sscanf("%256[^\n\"]")

}  // namespace

Result<std::string> lease_lost_kill_command(const std::string &cli_path) {
    const std::string command = cli_path + " " + kVerb;
    if (cli_path.empty() || cli_path.front() != '/' || cli_path.find_first_of(" \t\n\"\\") != std::string::npos ||
        command.size() > kMaxKillCommand)
        // A build whose meson prefix and sbindir make such a path.
        return internal_error("this build's ilvm path '" + cli_path +
                              "' cannot be lvmlockctl's kill command: it needs a full path without blanks or quotes, "
                              "of at most 256 characters with ' lease-lost'");
    return command;
}

std::optional<std::string> ilvm_of_kill_command(std::string_view command) {
    std::istringstream in{std::string(command)};
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    if (words.size() != 2 || words[1] != kVerb || words[0].front() != '/') return std::nullopt;
    const std::string &path = words[0];
    if (path.size() < 5 || path.compare(path.size() - 5, 5, "/ilvm") != 0) return std::nullopt;
    return path;
}

}  // namespace ilvm::cli
