// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/command.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/strings.hpp"

namespace ilvm {
namespace {

// Lines that report a warning or progress while the command goes on: never what failed.
// A failing LVM command on a shared VG often prints one of lvmlockd's notes first, e.g.
// vgchange --lock-start (lab, lvm2 2.03.16):
//   Skipping global lock: lockspace not found or started
//   VG vg_san start failed: invalid parameters for sanlock
struct Note {
    std::string_view text;    // lower case when where == prefix_any_case
    enum { prefix, prefix_any_case, anywhere } where;
    std::string_view source;  // the tool, and where the text comes from
};

constexpr std::array kNotes{
    // log_warn("WARNING: …") all over lvm2; "iscsiadm: warning: …", "wipefs: warning: …" are
    // handled by the program-name rule in is_note().
    Note{"warning:", Note::prefix_any_case, "lvm2 2.03.16 log_warn(\"WARNING: ...\"); util-linux 'wipefs: warning: ...'"},
    Note{"Skipping global lock:", Note::prefix,
         "lvm2 2.03.16 lib/locking/lvmlockd.c lockd_global(): 'Skipping global lock: lockspace not found or "
         "started' (also: lockspace is starting, storage errors/failed for sanlock leases, VG with global lock was "
         "removed); the command goes on without the global lock"},
    Note{"Retrying ", Note::prefix,
         "lvm2 2.03.16 lockd_global()/lockd_vg(): 'Retrying sh global lock', 'Retrying ex lock on VG vg'; "
         "lvm2 2.03.2x: 'Retrying global lock: held by other host'"},
    Note{" lock skipped:", Note::anywhere, "lvm2 2.03.16 lockd_vg(): 'VG vg lock skipped: lock start in progress' (and others)"},
    Note{"Reading without shared global lock.", Note::prefix, "lvm2 2.03.16 lockd_global()"},
    Note{"Duplicate sanlock global lock", Note::prefix, "lvm2 2.03.16 lockd_global()/lockd_vg()"},
    Note{"Starting locking.", Note::prefix,
         "lvm2 2.03.16 tools/vgchange.c: 'Starting locking.  Waiting for sanlock may take 20 sec to 3 min...' (stdout)"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "iscsiadm: warning: …": the text after a leading program name, if there is one.
std::string_view without_program(std::string_view line) {
    auto colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) return line;
    auto prog = line.substr(0, colon);
    bool word = std::all_of(prog.begin(), prog.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
    return word ? line.substr(colon + 2) : line;
}

bool matches(const Note &n, std::string_view text) {
    switch (n.where) {
    case Note::prefix: return text.substr(0, n.text.size()) == n.text;
    case Note::prefix_any_case: return lower(text.substr(0, n.text.size())) == n.text;
    case Note::anywhere: return text.find(n.text) != std::string_view::npos;
    }
    return false;
}

// dd's statistics, printed during (status=progress) and after a copy, also after a failed
// one (coreutils 9.1): "1+0 records in", "1+0 records out", "1048576 bytes (1.0 MB, 1.0 MiB)
// copied, 0.01 s, 105 MB/s".
bool is_dd_statistics(std::string_view line) {
    size_t digits = 0;
    while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
    if (digits == 0) return false;
    const std::string_view rest = line.substr(digits);
    if (rest.rfind("+", 0) == 0)
        return rest.find(" records in") != std::string_view::npos || rest.find(" records out") != std::string_view::npos;
    return rest.rfind(" bytes ", 0) == 0 && rest.find(" copied, ") != std::string_view::npos;
}

bool is_note(std::string_view line) {
    if (is_dd_statistics(line)) return true;
    for (std::string_view text : {line, without_program(line)})
        for (const auto &n : kNotes)
            if (matches(n, text)) return true;
    return false;
}

std::string error_line_of(const std::string &text) {
    // dd's progress lines end in \r, not \n (status=progress): each is a line of its own.
    std::string unfolded = text;
    std::replace(unfolded.begin(), unfolded.end(), '\r', '\n');
    auto lines = nonblank_lines(unfolded);
    for (const auto &l : lines)
        if (!is_note(l)) return l;
    return lines.empty() ? std::string() : lines.front();
}

}  // namespace

std::string Command::display() const {
    std::string s;
    for (const auto &a : argv) {
        if (!s.empty()) s += ' ';
        bool needs_quotes = a.empty() || a.find_first_of(" \t\n'\"\\") != std::string::npos;
        if (!needs_quotes) {
            s += a;
            continue;
        }
        s += '\'';
        for (char c : a) {
            if (c == '\'') s += "'\\''";
            else s += c;
        }
        s += '\'';
    }
    return s;
}

std::string CommandOutput::first_error_line() const {
    auto line = error_line_of(err);
    if (line.empty()) line = error_line_of(out);
    return line;
}

std::string CommandOutput::loggable_stderr() const {
    std::string s;
    for (const auto &l : nonblank_lines(err)) {
        if (!s.empty()) s += '\n';
        s += lower(l).find("password") == std::string::npos ? l : "(a line mentioning a password, not logged)";
    }
    return s;
}

}  // namespace ilvm
