// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm COMMAND --help` and `ilvm help COMMAND`: the usage line, the summary, one line per
// argument and option with what it does, then the verb's details.
#pragma once

#include <string>

#include "cli/ui/args.hpp"

namespace ilvm::cli {

// What an argument or option does: the verb's own text (VerbSpec::option_help), else the
// text most verbs share; "" when neither has one (a test keeps that from happening).
std::string option_description(const VerbSpec &spec, const std::string &name);

std::string verb_help(const VerbSpec &spec);

}  // namespace ilvm::cli
