// SPDX-License-Identifier: LGPL-2.1-or-later
// One external command as a child process, for HostSystem::run: started with posix_spawn
// (glibc's clone(CLONE_VFORK) path: no copy of the parent's page tables, which made each
// GSubprocess fork ~12 ms in a process that has libvirt and the module loaded; issue 16),
// stdin fed, stdout and stderr collected in one poll loop, bounded by a timeout and by an
// interrupt pipe.
//
// The child starts clean whatever its parent inherited: every signal at its default action
// and none blocked (libvirtd starts hooks with some of them ignored), no descriptor but 0-2,
// LC_ALL=C (parseable messages whatever the locale). It stays in our process group, which
// the hook's timeout signals as a whole (shim/main.cpp).
#pragma once

#include <chrono>

#include "common/command.hpp"
#include "common/result.hpp"

namespace ilvm {

struct ChildRun {
    // exited: `output.exit_code` is the command's (128 + N when signal N ended it).
    // timed_out / interrupted: the command was killed; `output` holds what it had written
    // until then.
    enum class Ending { exited, timed_out, interrupted };
    Ending ending = Ending::exited;
    CommandOutput output;
};

// Runs `cmd.argv` (searched in PATH) until it exits, `cmd.timeout` passes or a byte arrives
// on `interrupt_fd` (-1: none; the byte is consumed). A command that reports progress has
// its stderr also written, as it comes, to `progress_fd` (-1: nowhere; a full or closed
// descriptor loses that piece, never the command). An Error only when it could not be
// started at all (no such program, no pipes).
Result<ChildRun> run_child_process(const Command &cmd, int interrupt_fd, int progress_fd = -1);

}  // namespace ilvm
