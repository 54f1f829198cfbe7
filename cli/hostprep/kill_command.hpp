// SPDX-License-Identifier: LGPL-2.1-or-later
// lvm.conf's global/lvmlockctl_kill_command (lvm2 2.03.12 and later): the program
// `lvmlockctl --kill VG` runs when a VG's sanlock lease is lost, the VG's name appended; the
// VG's locks are dropped only if it exits 0. lvmlockctl (lvm2 2.03.16
// daemons/lvmlockd/lvmlockctl.c) reads it from `lvm config --typeconfig full` as
// lvmlockctl_kill_command="…" (up to 256 characters, no '"'), refuses one that does not start
// with '/', splits it at blanks and execs the first word. `ilvm host-setup` sets it
// to `ilvm lease-lost` (cli/lease_lost_command.hpp) unless --no-fence-on-lease-loss;
// host-validate reports it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm::cli {

inline constexpr const char *kKillCommandSetting = "lvmlockctl_kill_command";

// "/usr/sbin/ilvm lease-lost" for `cli_path` /usr/sbin/ilvm: an internal error for a path
// lvmlockctl would refuse or split (not absolute, blanks or quotes in it, too long).
Result<std::string> lease_lost_kill_command(const std::string &cli_path);

// The ilvm binary a kill command runs when it is ours, "PATH lease-lost" with PATH absolute
// and naming a file called ilvm (not necessarily this build's: a moved installation is still
// ours); nullopt for anything else, "" included.
std::optional<std::string> ilvm_of_kill_command(std::string_view command);

}  // namespace ilvm::cli
