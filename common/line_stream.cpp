// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/line_stream.hpp"

#include "common/gobject_ptr.hpp"

namespace ilvm {

Result<std::string> read_line(GInputStream *in, size_t max_bytes, const std::string &who) {
    std::string line;
    char chunk[4096];
    for (;;) {
        GError *raw = nullptr;
        const gssize n = g_input_stream_read(in, chunk, sizeof chunk, nullptr, &raw);
        if (n < 0) {
            GErrorPtr err(raw);
            return system_error("cannot read from " + who + ": " + (err ? err->message : "unknown error"));
        }
        if (n == 0) return system_error(line.empty() ? who + " sent nothing" : who + " closed before the end of its line");
        line.append(chunk, static_cast<size_t>(n));
        if (auto nl = line.find('\n'); nl != std::string::npos) {
            line.resize(nl);
            if (line.size() > max_bytes) break;
            return line;
        }
        if (line.size() > max_bytes) break;
    }
    return system_error(who + " sent a line longer than " + std::to_string(max_bytes) + " bytes");
}

Status write_line(GOutputStream *out, const std::string &line, const std::string &who) {
    if (line.find('\n') != std::string::npos) return internal_error("a line for " + who + " contains a newline");
    const std::string data = line + "\n";
    GError *raw = nullptr;
    if (!g_output_stream_write_all(out, data.data(), data.size(), nullptr, nullptr, &raw)) {
        GErrorPtr err(raw);
        return system_error("cannot send a line to " + who + ": " + (err ? err->message : "unknown error"));
    }
    return {};
}

}  // namespace ilvm
