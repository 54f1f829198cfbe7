// SPDX-License-Identifier: LGPL-2.1-or-later
// A command is data: an argv vector (never a shell string), optional stdin and a timeout.
// Builders in lvm/ and iscsi/ return Commands; one System runs them, so every decision
// can be asserted in tests without root.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ilvm {

struct Command {
    std::vector<std::string> argv;
    // Fed to the child's stdin. May carry secrets: never logged, never on argv.
    std::string stdin_data;
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    // Its stderr is also its progress (dd status=progress): the runner passes it on, as it
    // comes, to whoever asked for progress (HostSystem's progress descriptor).
    bool reports_progress = false;

    Command() = default;
    Command(std::initializer_list<std::string> args) : argv(args) {}
    explicit Command(std::vector<std::string> args) : argv(std::move(args)) {}

    // argv joined with single spaces, arguments containing spaces quoted: for logs and
    // golden files only, never executed.
    std::string display() const;
};

struct CommandOutput {
    int exit_code = 0;
    std::string out;
    std::string err;

    bool succeeded() const { return exit_code == 0; }
    // The line that says what failed, trimmed: what we show the user. The first non-blank
    // line of stderr (of stdout when stderr is blank) that is not a warning or a progress
    // note: LVM prints "WARNING: …" and lvmlockd's "Skipping global lock: …" before the
    // real error (the texts skipped are listed in command.cpp, with the version each was
    // seen in). When every line is such a note, the first one.
    std::string first_error_line() const;
    // stderr for a debug log: every line, but a line that mentions a password is replaced
    // by a note (no tool we run prints one there; this keeps it so if one ever did).
    std::string loggable_stderr() const;
};

}  // namespace ilvm
