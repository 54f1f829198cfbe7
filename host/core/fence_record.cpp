// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/fence_record.hpp"

#include <algorithm>
#include <ctime>

#include "common/strings.hpp"

namespace ilvm::host {
namespace {

// A field on one line, without the separator: a message never breaks the record's layout.
std::string one_line(std::string text) {
    for (char &c : text)
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    return text;
}

void add_once(std::vector<std::string> &list, const std::string &item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

void remove(std::vector<std::string> &list, const std::string &item) {
    list.erase(std::remove(list.begin(), list.end(), item), list.end());
}

}  // namespace

std::string utc_time_text(int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    char buf[32];
    if (::gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return std::to_string(unix_seconds);
    return buf;
}

std::string format_fence_run(const FenceRun &run) {
    auto line = [](std::initializer_list<std::string> fields) {
        std::string l;
        for (const auto &f : fields) l += (l.empty() ? "" : "\t") + one_line(f);
        return l + "\n";
    };
    std::string out = line({"time", utc_time_text(run.time)}) + line({"vg", run.vg}) + line({"policy", run.policy});
    for (const auto &d : run.devices) {
        const std::string open = "open=" + std::to_string(d.open_count);
        out += d.wiped ? line({"wiped", d.name, open}) : line({"wipe-failed", d.name, open, d.error});
    }
    for (const auto &a : run.domains)
        out += line({"domain", a.domain, a.action, a.done ? "done" : "failed: " + a.error});
    for (const auto &p : run.problems) out += line({"problem", p});
    return out + "\n";
}

Status append_fence_run(const PoolStore &store, const std::string &pool, const FenceRun &run) {
    return store.append_runtime_file(pool, kFenceRecordExt, format_fence_run(run));
}

Status append_taken_back(const PoolStore &store, const std::string &pool, const std::string &volume) {
    return store.append_runtime_file(pool, kFenceRecordExt, "taken-back\t" + one_line(volume) + "\n\n");
}

FenceRecordSummary summarize_fence_record(const std::string &text) {
    FenceRecordSummary s;
    for (std::string_view line : split_lines(text)) {
        const std::vector<std::string_view> f = split(line, '\t');
        const std::string field1 = f.size() > 1 ? std::string(f[1]) : std::string();
        if (f[0] == "time") {
            if (s.runs++ == 0) s.first_time = field1;
            s.taken_back.clear();   // a new loss: what an earlier pool-rejoin took back is lost again
        } else if (f[0] == "vg") {
            if (s.vg.empty()) s.vg = field1;
        } else if (f[0] == "wiped") {
            add_once(s.wiped, field1);
            remove(s.not_wiped, field1);
        } else if (f[0] == "wipe-failed") {
            if (std::find(s.wiped.begin(), s.wiped.end(), field1) == s.wiped.end()) add_once(s.not_wiped, field1);
        } else if (f[0] == "domain" && f.size() > 3) {
            // A later run that did it clears an earlier failure; a later failure does not
            // undo an action done (destroying a domain already destroyed fails).
            const std::string label = field1 + " (" + std::string(f[2]) + ")";
            if (f[3] == "done") {
                add_once(s.domains_done, label);
                remove(s.domains_failed, label);
            } else if (std::find(s.domains_done.begin(), s.domains_done.end(), label) == s.domains_done.end()) {
                add_once(s.domains_failed, label);
            }
        } else if (f[0] == "problem") {
            ++s.problems;
        } else if (f[0] == "taken-back") {
            add_once(s.taken_back, field1);
        }
    }
    return s;
}

std::optional<FenceRecordSummary> read_fence_record(const PoolStore &store, const std::string &pool) {
    const std::string text = store.load_runtime_file(pool, kFenceRecordExt);
    if (text.empty()) return std::nullopt;
    return summarize_fence_record(text);
}

}  // namespace ilvm::host
