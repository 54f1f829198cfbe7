// SPDX-License-Identifier: LGPL-2.1-or-later
// Logging goes through spdlog's default logger, which the host (CLI: stderr by verbosity;
// hook: syslog) configures. The module never installs sinks of its own. Never log secrets.
#pragma once

#include <spdlog/spdlog.h>
