// SPDX-License-Identifier: LGPL-2.1-or-later
// One line over a GIO stream, the unit of ilvmd's protocols (host/core/agent_wire.hpp): the
// hook's unix socket and the agents' TLS channel. A read never buffers more than `max_bytes`
// (a peer cannot make us allocate more by never sending a newline); the stream's socket
// timeout bounds the wait.
#pragma once

#include <cstddef>
#include <string>

#include <gio/gio.h>

#include "common/result.hpp"

namespace ilvm {

// The bytes up to the first '\n' (without it). `who` names the other side in errors.
Result<std::string> read_line(GInputStream *in, size_t max_bytes, const std::string &who);

// `line` (which must not contain '\n') and a newline.
Status write_line(GOutputStream *out, const std::string &line, const std::string &who);

}  // namespace ilvm
