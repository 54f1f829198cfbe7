// SPDX-License-Identifier: LGPL-2.1-or-later
// The files and directories we own, with modes that do not depend on the umask (the one
// place that decides them):
// * Replacing a file so that readers and a crash see either the old content or the new, never
//   a mix: a temporary file in the same directory, created private (0600) and given `mode`
//   with fchmod() before anything is written (a secret is never readable by others, not even
//   briefly), written in full, fsync()ed and renamed over `path`; we then fsync the directory
//   so the rename itself survives a crash.
// * `mkdir -p` whose new directories get exactly `mode`.
// * The check of a directory whose files we act on (pool definitions, run state).
#pragma once

#include <string>
#include <string_view>
#include <optional>
#include <string>

#include <sys/types.h>

#include "common/result.hpp"

namespace ilvm {

Status write_file_atomically(const std::string &path, std::string_view content, mode_t mode);

// Appends `block` to a state file kept as a log (O_APPEND, never through a symbolic link),
// creating it with exactly `mode`: processes appending at the same moment never mix their
// blocks, as one read-modify-rename by each would lose one of them. Synced before it returns.
Status append_state_file(const std::string &path, std::string_view block, mode_t mode);

// A small state file's content, never through a symbolic link (O_NOFOLLOW); nullopt when it
// does not exist.
Result<std::optional<std::string>> read_state_file(const std::string &path);

// Creates the missing directories of `path`, each with exactly `mode` (mkdir, then chmod: the
// umask does not decide). Directories that exist are left as they are.
Status make_directory_tree(const std::string &path, mode_t mode);

// A directory whose files we trust: a directory (symbolic links followed), owned by root or by
// the effective uid (tests and trial runs use a private directory), not writable by group or
// others. A missing directory is fine (nothing in it yet). Refusals are conflicts: the host's
// files are in a state we do not act on, the command was fine.
Status check_trusted_directory(const std::string &path);

}  // namespace ilvm
