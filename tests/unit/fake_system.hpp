// SPDX-License-Identifier: LGPL-2.1-or-later
// A scripted System for tests: records every command (the golden transcript), answers from
// rules matched by argv prefix, and fakes the few files and device nodes the backend touches.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/system.hpp"

namespace ilvm::test {

CommandOutput ok_out(std::string out = {});
CommandOutput fail_out(int code, std::string err);

class FakeSystem final : public System {
public:
    // Answers for commands whose argv starts with `prefix`. Several outputs are returned in
    // turn; the last one repeats. Later rules win over earlier ones for the same command.
    void on(std::vector<std::string> prefix, std::vector<CommandOutput> outputs);
    void on(std::vector<std::string> prefix, CommandOutput output) { on(std::move(prefix), std::vector<CommandOutput>{output}); }
    // The command cannot be run at all: run() returns `error`, as HostSystem does for a
    // missing binary or a command killed at its timeout. Wins over on() rules.
    void fail_to_run(std::vector<std::string> prefix, Error error);

    Result<CommandOutput> run(const Command &cmd) override;
    bool path_exists(const std::string &path) override;
    Result<std::string> read_file(const std::string &path) override;
    Status write_file(const std::string &path, std::string_view content, mode_t mode) override;
    Result<std::vector<std::string>> list_dir(const std::string &path) override;
    // The mode of the last write, 0644 for a file put into `files` directly.
    Result<mode_t> file_mode(const std::string &path) override;
    // Adds each missing directory of `path` to `dirs`.
    Status make_directories(const std::string &path, mode_t mode) override;
    void sleep_for(std::chrono::milliseconds d) override { clock_ += d; }
    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::time_point(clock_); }

    // One line per command, Command::display() form: the golden file's content.
    std::string transcript() const;
    // Commands that change LVM metadata, lock state, iSCSI records, device-mapper tables or block data.
    std::vector<std::string> mutating_commands() const;
    bool ran(const std::vector<std::string> &prefix) const;

    std::vector<Command> commands;
    std::set<std::string> paths;                     // existing device nodes / files
    std::map<std::string, std::string> files;        // path -> content
    std::map<std::string, mode_t> modes;             // path -> mode of the last write
    std::map<std::string, std::vector<std::string>> dirs;

private:
    struct Rule {
        std::vector<std::string> prefix;
        std::deque<CommandOutput> outputs;
    };
    std::vector<Rule> rules_;
    std::vector<std::pair<std::vector<std::string>, Error>> run_errors_;
    std::chrono::steady_clock::duration clock_{};
};

// Reads tests/data/<relative>; a missing file throws, which fails and ends the test.
std::string data_file(const std::string &relative);
// A lab recording (tests/e2e/recorded/<name>) without its '#' header lines: what the command printed.
std::string recorded(const std::string &name);

// Compares `actual` with tests/data/golden/<name>.argv; ILVM_TEST_REGENERATE=1 rewrites it.
void expect_golden(const std::string &name, const std::string &actual);

}  // namespace ilvm::test
