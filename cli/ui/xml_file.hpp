// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading an XML definition the user names on the command line (pool-define, vol-create,
// vol-create-from), bounded so that a disk image given by mistake is never slurped.
#pragma once

#include <string>

#include "common/result.hpp"

namespace ilvm::cli {

// The file's content; not_found when it cannot be read, invalid_input when it is empty-named
// or larger than 2 MiB (the XML parser refuses more than 1 MiB anyway).
Result<std::string> read_xml_file(const std::string &path);

}  // namespace ilvm::cli
