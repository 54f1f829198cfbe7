// SPDX-License-Identifier: LGPL-2.1-or-later
// Small string helpers every layer uses, so there is one trim and one line splitter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ilvm {

// Without leading and trailing blanks: space, tab, CR, LF (XML's whitespace too).
std::string_view trim(std::string_view s);

// The text cut at each '\n' (no '\n' kept; a final line without one counts, a trailing
// '\n' makes no empty last line).
std::vector<std::string_view> split_lines(std::string_view text);

// The trimmed lines that are not blank: what a command's report is made of.
std::vector<std::string> nonblank_lines(std::string_view text);

// The pieces between `separator`s ("a,b" -> "a", "b"; "" -> one empty piece).
std::vector<std::string_view> split(std::string_view text, char separator);

std::string join(const std::vector<std::string> &parts, std::string_view separator);

}  // namespace ilvm
