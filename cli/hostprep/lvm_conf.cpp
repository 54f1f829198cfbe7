// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/lvm_conf.hpp"

#include "common/strings.hpp"

#include <regex>
#include <vector>

namespace ilvm::cli {
namespace {

// The file's lines as strings we can edit in place.
std::vector<std::string> lines_of(std::string_view text) {
    auto views = split_lines(text);
    return {views.begin(), views.end()};
}

std::string join_lines(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &l : lines) out += l + "\n";
    return out;
}

// Where the comment starts ('#' outside a double-quoted string), or npos.
size_t comment_start(std::string_view line) {
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        if (quoted && line[i] == '\\') {
            ++i;
        } else if (line[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && line[i] == '#') {
            return i;
        }
    }
    return std::string_view::npos;
}

std::string code_of(std::string_view line) { return std::string(line.substr(0, comment_start(line))); }

// Braces in the code part, outside strings: +1 per '{', -1 per '}'.
int brace_delta(std::string_view code) {
    int d = 0;
    bool quoted = false;
    for (size_t i = 0; i < code.size(); ++i) {
        if (quoted && code[i] == '\\') ++i;
        else if (code[i] == '"') quoted = !quoted;
        else if (!quoted && code[i] == '{') ++d;
        else if (!quoted && code[i] == '}') --d;
    }
    return d;
}

// What a scan of one file finds about section/key.
struct Scan {
    std::optional<size_t> open;          // the `section {` line
    std::optional<size_t> close;         // its closing `}` line
    std::vector<size_t> settings;        // uncommented `key = …` directly inside
    std::optional<size_t> example;       // first commented `# key = …` directly inside
    std::optional<std::string> layout_problem;
};

Scan scan(const std::vector<std::string> &lines, std::string_view section, std::string_view key) {
    static const std::regex header(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\{(.*)$)");
    static const std::regex bare_name(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$)");
    const std::regex setting("^\\s*" + std::string(key) + "\\s*=");
    // The shipped examples: one token after '=' ("# host_id = 0", "# x = \"a b\"").
    const std::regex example("^\\s*#\\s*" + std::string(key) + R"(\s*=\s*("[^"]*"|[^\s"]+)\s*$)");

    Scan s;
    int depth = 0;
    bool inside = false;        // within our section
    std::string pending_name;   // "global" on one line, "{" on the next
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string code = code_of(lines[i]);
        const int before = depth;
        depth += brace_delta(code);
        std::smatch m;
        if (before == 0) {
            std::string name;
            std::string rest;
            if (std::regex_match(code, m, header)) {
                name = m[1];
                rest = m[2];
            } else if (!pending_name.empty() && trim(code).rfind('{', 0) == 0) {
                name = pending_name;
                rest = trim(code).substr(1);
            }
            pending_name.clear();
            if (std::regex_match(code, m, bare_name)) pending_name = m[1];
            if (name == section && !s.open) {
                s.open = i;
                inside = depth > 0;
                if (!trim(rest).empty())
                    s.layout_problem = "section " + std::string(section) + " has settings on its opening line " +
                                       std::to_string(i + 1);
            }
            continue;
        }
        if (!inside) continue;
        if (depth == 0) {  // the closing brace
            inside = false;
            s.close = i;
            if (trim(code) != "}")
                s.layout_problem = "section " + std::string(section) + " closes on a line with settings, line " +
                                   std::to_string(i + 1);
            continue;
        }
        if (before != 1) continue;  // inside a subsection
        if (std::regex_search(code, setting)) s.settings.push_back(i);
        else if (!s.example && std::regex_match(lines[i], example)) s.example = i;
    }
    if (s.open && !s.close && !s.layout_problem)
        s.layout_problem = "section " + std::string(section) + " is not closed";
    return s;
}

std::string value_of(const std::string &line) {
    std::string code = code_of(line);
    return std::string(trim(code.substr(code.find('=') + 1)));
}

std::string indent_of(const std::string &line) { return line.substr(0, line.find_first_not_of(" \t")); }

}  // namespace

Result<ConfEdit> set_lvm_conf_value(std::string_view text, std::string_view section, std::string_view key,
                                    std::string_view value) {
    std::vector<std::string> lines = lines_of(text);
    const Scan s = scan(lines, section, key);
    const std::string setting = std::string(key) + " = " + std::string(value);
    auto layout_error = [&](const std::string &what) {
        return invalid_input("cannot set " + std::string(section) + "/" + std::string(key) + ": " + what,
                             "set " + setting + " in the " + std::string(section) + " section by hand");
    };
    if (s.layout_problem) return layout_error(*s.layout_problem);

    ConfEdit edit;
    if (!s.settings.empty()) {
        for (size_t i : s.settings) {
            std::string &line = lines[i];
            if (value_of(line) == value) continue;
            if (value_of(line).rfind('[', 0) == 0 && value_of(line).find(']') == std::string::npos)
                return layout_error("its value spans several lines at line " + std::to_string(i + 1));
            const size_t hash = comment_start(line);
            std::string comment = hash == std::string::npos ? "" : " " + line.substr(hash);
            line = indent_of(line) + setting + comment;
            edit.changed = true;
        }
    } else if (s.example) {
        std::string &line = lines[*s.example];
        line = indent_of(line) + setting;
        edit.changed = true;
    } else if (s.open) {
        lines.insert(lines.begin() + static_cast<long>(*s.close), "\t" + setting);
        edit.changed = true;
    } else {
        if (!lines.empty() && !trim(lines.back()).empty()) lines.emplace_back();
        lines.push_back(std::string(section) + " {");
        lines.push_back("\t" + setting);
        lines.emplace_back("}");
        edit.changed = true;
    }
    if (!edit.changed) {
        edit.text = std::string(text);
        return edit;
    }
    edit.text = join_lines(lines);
    return edit;
}

std::optional<std::string> lvm_conf_value(std::string_view text, std::string_view section, std::string_view key) {
    const std::vector<std::string> lines = lines_of(text);
    const Scan s = scan(lines, section, key);
    if (s.settings.empty()) return std::nullopt;
    return value_of(lines[s.settings.back()]);
}

}  // namespace ilvm::cli
