// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/kv_file.hpp"

#include "common/strings.hpp"

#include <vector>

namespace ilvm::cli {
namespace {

// The value when `line` is an uncommented `KEY=…` line.
std::optional<std::string_view> value_in(std::string_view line, std::string_view key) {
    std::string_view t = trim(line);
    if (t.size() <= key.size() || t.substr(0, key.size()) != key || t[key.size()] != '=') return std::nullopt;
    return trim(t.substr(key.size() + 1));
}

// Calls `f(line, value-or-nullopt)` for each line; `f` returns the replacement lines.
template <typename F>
std::string rewrite(std::string_view text, std::string_view key, F f) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        const bool has_nl = nl != std::string_view::npos;
        if (!has_nl) nl = text.size();
        std::string_view line = text.substr(start, nl - start);
        auto v = value_in(line, key);
        out += f(line, v.has_value(), has_nl);
        start = nl + 1;
    }
    return out;
}

}  // namespace

std::optional<std::string> kv_value(std::string_view text, std::string_view key) {
    std::optional<std::string> found;
    rewrite(text, key, [&](std::string_view line, bool is_key, bool) {
        if (is_key) found = std::string(*value_in(line, key));
        return std::string();
    });
    return found;
}

std::string kv_set(std::string_view text, std::string_view key, std::string_view value) {
    const std::string setting = std::string(key) + "=" + std::string(value);
    bool replaced = false;
    std::string out = rewrite(text, key, [&](std::string_view line, bool is_key, bool has_nl) {
        std::string l = is_key ? setting : std::string(line);
        replaced = replaced || is_key;
        return l + (has_nl || is_key ? "\n" : "");
    });
    if (!replaced) {
        if (!out.empty() && out.back() != '\n') out += "\n";
        out += setting + "\n";
    }
    return out;
}

std::string kv_remove(std::string_view text, std::string_view key) {
    return rewrite(text, key, [](std::string_view line, bool is_key, bool has_nl) {
        if (is_key) return std::string();
        return std::string(line) + (has_nl ? "\n" : "");
    });
}

std::string kv_unquote(std::string_view value) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
        return std::string(value.substr(1, value.size() - 2));
    return std::string(value);
}

}  // namespace ilvm::cli
