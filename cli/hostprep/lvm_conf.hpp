// SPDX-License-Identifier: LGPL-2.1-or-later
// Line-based edits of LVM configuration files (lvm.conf, lvmlocal.conf) for host-setup.
//
// These files are admin-owned and mostly comments: Debian ships every setting as a commented
// example (`\t# use_lvmlockd = 0`) inside its section. We change exactly one line, the
// way an admin would (uncomment the example, or edit the live setting), and leave every
// other byte alone, so a diff of the file shows only our change and package upgrades can
// still merge it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ilvm::cli {

struct ConfEdit {
    std::string text;
    bool changed = false;
};

// Sets `key = value` in the top-level section `section { }`:
//  * an uncommented `key = …` there is rewritten (all of them, if the admin left several);
//  * else the commented example `# key = …` there is replaced by the setting;
//  * else the setting is added before the section's closing brace;
//  * else the section is appended to the file.
// `value` is written as given (a number, or a quoted string). Fails (invalid_input) on a
// layout we will not edit by lines, such as a section opened and filled on one line.
Result<ConfEdit> set_lvm_conf_value(std::string_view text, std::string_view section, std::string_view key,
                                    std::string_view value);

// The value of the last uncommented `key = …` in `section { }`, as written (quotes kept,
// trailing comment dropped); nullopt when the file does not set it.
std::optional<std::string> lvm_conf_value(std::string_view text, std::string_view section, std::string_view key);

}  // namespace ilvm::cli
