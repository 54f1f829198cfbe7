// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/ui/help.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "cli/ui/output.hpp"

namespace ilvm::cli {
namespace {

// The meaning an argument or option has wherever it appears; a verb where it means
// something else says so in its VerbSpec::option_help.
const std::map<std::string, std::string> &shared_descriptions() {
    static const std::map<std::string, std::string> d = {
        {"pool", "pool name or UUID"},
        {"vol", "volume name (with --pool), key or path /dev/VG/NAME"},
        {"file", "file name"},
        {"json", "print JSON for scripts (ilvm(8), JSON OUTPUT)"},
        {"bytes", "sizes in bytes instead of KiB/MiB/GiB"},
        {"confirm", "the pool's name, instead of typing it when asked"},
        {"overwrite", "initialise a LUN that carries a signature (destroys its data)"},
        {"all", "list active and inactive pools"},
        {"inactive", "list inactive pools only"},
        {"details", "virsh's extended columns"},
        {"uuid", "print only the UUIDs (with --name: UUID and name)"},
        {"dry-run", "print what would be done, change nothing"},
        {"no-mirror", "leave the libvirt mirror pools alone"},
        {"timeout", "how many seconds to wait"},
        {"domain", "libvirt domain name"},
        {"capacity", "size: a number with a unit, e.g. 20G, 512MiB, 1TB (ilvm(8), SIZES)"},
        {"wait", "seconds to wait for another command on the same pool or volume (default 300)"},
        {"no-wait", "refuse at once (exit 4) instead of waiting"},
        {"progress", "show the copy's progress on stderr (one line on a terminal, else a line every 10 s; with --json an event a second)"},
    };
    return d;
}

}  // namespace

std::string option_description(const VerbSpec &spec, const std::string &name) {
    if (auto it = spec.option_help.find(name); it != spec.option_help.end()) return it->second;
    auto it = shared_descriptions().find(name);
    return it == shared_descriptions().end() ? std::string() : it->second;
}

std::string verb_help(const VerbSpec &spec) {
    std::vector<std::pair<std::string, std::string>> lines;
    for (size_t i = 0; i < spec.positional.size(); ++i) {
        const auto &p = spec.positional[i];
        lines.emplace_back("<" + p + ">", (i < spec.required ? "(required) " : "") + option_description(spec, p));
    }
    auto add = [&](const std::string &o, const std::string &shown) {
        lines.emplace_back(shown, (spec.required_options.count(o) ? "(required) " : "") + option_description(spec, o));
    };
    for (const auto &o : spec.value_options) add(o, "--" + o + " VALUE");
    for (const auto &f : spec.flag_options) add(f, "--" + f);
    size_t width = 0;
    for (const auto &l : lines) width = std::max(width, l.first.size());
    std::string out = "Usage: " + usage_text(spec) + "\n\n" + spec.summary + "\n";
    if (!lines.empty()) {
        out += "\nArguments and options:\n";
        for (const auto &[shown, what] : lines) out += "  " + pad_right(shown, width + 2) + what + "\n";
    }
    if (!spec.details.empty()) out += "\n" + spec.details + "\n";
    return out;
}

}  // namespace ilvm::cli
