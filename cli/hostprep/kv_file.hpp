// SPDX-License-Identifier: LGPL-2.1-or-later
// Line-based edits of KEY=VALUE files: /etc/default/sanlock (a shell fragment systemd reads
// as an EnvironmentFile) and /etc/iscsi/initiatorname.iscsi. As with lvm.conf, only the
// lines of the key change; comments and other settings stay as the admin left them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ilvm::cli {

// The value of the last uncommented `KEY=…` line (surrounding spaces trimmed, quotes kept);
// nullopt when there is none.
std::optional<std::string> kv_value(std::string_view text, std::string_view key);

// Rewrites every uncommented `KEY=…` line as `KEY=value`, or appends that line.
std::string kv_set(std::string_view text, std::string_view key, std::string_view value);

// Drops every uncommented `KEY=…` line.
std::string kv_remove(std::string_view text, std::string_view key);

// The value without one pair of surrounding single or double quotes.
std::string kv_unquote(std::string_view value);

}  // namespace ilvm::cli
