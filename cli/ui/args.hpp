// SPDX-License-Identifier: LGPL-2.1-or-later
// Command-line parsing in virsh's style: positional arguments may also be given by name
// (`--pool san`), options may appear anywhere, `--opt=value` and `--opt value` both work.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::cli {

struct VerbSpec {
    std::string name;
    std::string summary;
    std::vector<std::string> positional;          // in order; the names double as --options
    size_t required = 0;                          // how many of `positional` are required
    std::set<std::string> value_options;          // --opt VALUE
    std::set<std::string> flag_options;           // --flag
    std::string details;                          // extra help text
    // Value options the verb needs (it checks them itself, with its own hint): shown
    // without brackets in the usage and as "(required)" in --help.
    std::set<std::string> required_options = {};
    // What an argument or option means for this verb, where the shared text (ui/help.cpp)
    // does not fit or there is none.
    std::map<std::string, std::string> option_help = {};
};

class Args {
public:
    static Result<Args> parse(const VerbSpec &spec, const std::vector<std::string> &argv);

    std::string get(const std::string &name) const;   // "" when absent
    std::optional<std::string> opt(const std::string &name) const;
    bool flag(const std::string &name) const { return flags_.count(name) != 0; }
    // Replaces a value the user gave by what it names (a pool's UUID by its name).
    void set(const std::string &name, std::string value) { values_[name] = std::move(value); }

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
};

std::string usage_text(const VerbSpec &spec);

}  // namespace ilvm::cli
