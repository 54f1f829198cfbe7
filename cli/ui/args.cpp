// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/ui/args.hpp"

#include <algorithm>

namespace ilvm::cli {

Result<Args> Args::parse(const VerbSpec &spec, const std::vector<std::string> &argv) {
    Args a;
    std::vector<std::string> positional;
    auto is_positional_name = [&](const std::string &n) {
        return std::find(spec.positional.begin(), spec.positional.end(), n) != spec.positional.end();
    };
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string &arg = argv[i];
        if (arg == "--") {
            positional.insert(positional.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
            break;
        }
        if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
            std::string name = arg.substr(2), value;
            bool has_value = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_value = true;
            }
            if (spec.flag_options.count(name)) {
                if (has_value) return invalid_input("option --" + name + " takes no value");
                a.flags_.insert(name);
                continue;
            }
            if (spec.value_options.count(name) || is_positional_name(name)) {
                if (!has_value) {
                    if (i + 1 >= argv.size()) return invalid_input("option --" + name + " needs a value");
                    value = argv[++i];
                }
                if (a.values_.count(name)) return invalid_input("option --" + name + " given twice");
                a.values_[name] = value;
                continue;
            }
            return invalid_input("unknown option --" + name + " for " + spec.name, "see ilvm " + spec.name + " --help");
        }
        positional.push_back(arg);
    }
    // Positionals fill the names not given as options, in order.
    size_t p = 0;
    for (const auto &name : spec.positional) {
        if (a.values_.count(name)) continue;
        if (p < positional.size()) a.values_[name] = positional[p++];
    }
    if (p < positional.size())
        return invalid_input("unexpected argument '" + positional[p] + "' for " + spec.name, "see ilvm " + spec.name + " --help");
    for (size_t i = 0; i < spec.required; ++i)
        if (!a.values_.count(spec.positional[i]))
            return invalid_input(spec.name + " needs <" + spec.positional[i] + ">", "usage: " + usage_text(spec));
    return a;
}

std::string Args::get(const std::string &name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::string() : it->second;
}

std::optional<std::string> Args::opt(const std::string &name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string usage_text(const VerbSpec &spec) {
    std::string s = "ilvm " + spec.name;
    for (size_t i = 0; i < spec.positional.size(); ++i)
        s += i < spec.required ? " <" + spec.positional[i] + ">" : " [<" + spec.positional[i] + ">]";
    for (const auto &o : spec.value_options)
        s += spec.required_options.count(o) ? " --" + o + " VALUE" : " [--" + o + " VALUE]";
    for (const auto &f : spec.flag_options) s += " [--" + f + "]";
    return s;
}

}  // namespace ilvm::cli
