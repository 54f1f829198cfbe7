// SPDX-License-Identifier: LGPL-2.1-or-later
// Pool definitions written without a file, as virsh offers for its pools: pool-define-as
// builds the XML from arguments, pool-edit hands the stored XML to an editor. Either way the
// result goes through the same checks as `ilvm pool-define FILE` (the module's parser, then
// the host's conflicts).
#pragma once

#include <string>

#include "cli/ui/args.hpp"
#include "common/result.hpp"

namespace ilvm::cli {

// The pool XML `ilvm pool-define-as NAME [iscsi-lvm] --source-host HOST --source-dev IQN
// --source-name VG [--source-port P] [--lun N] [--source-initiator IQN] [--auth-username U
// (--secret-usage S | --secret-uuid UUID)] [--target /dev/VG] [--locking TYPE]` describes.
// virsh's option names where virsh has them; every value XML-escaped, none judged here
// beyond what is needed to build the document (the module validates the rest).
Result<std::string> pool_xml_from_args(const Args &args);

// Runs $VISUAL, else $EDITOR, else vi, on a private copy of `text` (a 0600 file in the
// temporary directory, removed afterwards) and returns what the editor left there. The
// editor variable is split into words as a shell would (g_shell_parse_argv), not run by a
// shell. An editor that fails or is killed is an error; the text is then unchanged.
Result<std::string> edit_text(const std::string &text, const std::string &file_prefix);

}  // namespace ilvm::cli
