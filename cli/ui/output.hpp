// SPDX-License-Identifier: LGPL-2.1-or-later
// What the CLI prints: virsh-style tables and key/value blocks, or JSON (json-glib) with
// --json for scripts.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ilvm::cli {

// " Name   State    Autostart\n-----------------------------\n san    active   yes"
std::string format_table(const std::vector<std::string> &headers, const std::vector<std::vector<std::string>> &rows);

// "Name:           san" lines, aligned like virsh pool-info.
std::string format_fields(const std::vector<std::pair<std::string, std::string>> &fields);

// `text` padded with blanks to `width` (printf's "%-20s", as virsh pads its name lists).
std::string pad_right(const std::string &text, size_t width);

// A size as virsh prints it: "10.00 GiB", or with --bytes the number of bytes and `bytes_unit`
// after it ("" for pool-info's "10737418240", "bytes" for vol-info's "10737418240 bytes").
std::string size_text(uint64_t bytes, bool exact, const std::string &bytes_unit = "");

// A JSON value tree small enough for our reports.
struct JsonValue;
using JsonObject = std::vector<std::pair<std::string, JsonValue>>;
using JsonArray = std::vector<JsonValue>;
struct JsonValue {
    std::variant<std::nullptr_t, bool, int64_t, uint64_t, std::string, JsonObject, JsonArray> v;
    JsonValue() : v(nullptr) {}
    JsonValue(std::nullptr_t) : v(nullptr) {}
    JsonValue(bool b) : v(b) {}
    JsonValue(int i) : v(static_cast<int64_t>(i)) {}
    JsonValue(int64_t i) : v(i) {}
    JsonValue(uint64_t u) : v(u) {}
    JsonValue(uint32_t u) : v(static_cast<uint64_t>(u)) {}
    JsonValue(const char *s) : v(std::string(s)) {}
    JsonValue(std::string s) : v(std::move(s)) {}
    JsonValue(JsonObject o) : v(std::move(o)) {}
    JsonValue(JsonArray a) : v(std::move(a)) {}
};

// Indented for a reader (what --json prints), or one line (a stream of events, one a line);
// either ends with \n.
enum class JsonLayout { indented, one_line };
std::string to_json(const JsonValue &value, JsonLayout layout = JsonLayout::indented);

// JSON for a value that may be absent (docs/man/ilvm.8, JSON OUTPUT): null, never "".
JsonValue text_or_null(const std::string &text);
// A number kept as text (a port, a LUN): a JSON number, null when absent, the text itself
// when it is not a number (never dropped).
JsonValue number_or_null(const std::string &text);

}  // namespace ilvm::cli
