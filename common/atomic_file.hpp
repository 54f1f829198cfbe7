// SPDX-License-Identifier: LGPL-2.1-or-later
// Replacing a file so that readers and a crash see either the old content or the new, never
// a mix: GLib writes a temporary file in the same directory, created with `mode` from the
// start (a secret is never readable by others, not even briefly), in full, fsync()s it and
// renames it over `path`; we then fsync the directory so the rename itself survives a crash.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/result.hpp"

namespace ilvm {

Status write_file_atomically(const std::string &path, std::string_view content, mode_t mode);

}  // namespace ilvm
