// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/command.hpp"

#include "common/strings.hpp"

namespace ilvm {

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

static std::string first_line_of(const std::string &text) {
    auto lines = nonblank_lines(text);
    return lines.empty() ? std::string() : lines.front();
}

std::string CommandOutput::first_error_line() const {
    auto line = first_line_of(err);
    if (line.empty()) line = first_line_of(out);
    return line;
}

}  // namespace ilvm
