// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fake_system.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <gtest/gtest.h>
#include <sstream>

namespace ilvm::test {

CommandOutput ok_out(std::string out) { return CommandOutput{0, std::move(out), {}}; }
CommandOutput fail_out(int code, std::string err) { return CommandOutput{code, {}, std::move(err)}; }

void FakeSystem::on(std::vector<std::string> prefix, std::vector<CommandOutput> outputs) {
    rules_.push_back(Rule{std::move(prefix), std::deque<CommandOutput>(outputs.begin(), outputs.end())});
}

static bool starts_with(const std::vector<std::string> &argv, const std::vector<std::string> &prefix) {
    if (prefix.size() > argv.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (argv[i] != prefix[i]) return false;
    return true;
}

void FakeSystem::fail_to_run(std::vector<std::string> prefix, Error error) {
    run_errors_.emplace_back(std::move(prefix), std::move(error));
}

Result<CommandOutput> FakeSystem::run(const Command &cmd) {
    commands.push_back(cmd);
    for (auto it = run_errors_.rbegin(); it != run_errors_.rend(); ++it)
        if (starts_with(cmd.argv, it->first)) return it->second;
    for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
        if (!starts_with(cmd.argv, it->prefix)) continue;
        CommandOutput out = it->outputs.front();
        if (it->outputs.size() > 1) it->outputs.pop_front();
        return out;
    }
    return ok_out();
}

bool FakeSystem::path_exists(const std::string &path) { return paths.count(path) || files.count(path) || dirs.count(path); }

Result<std::string> FakeSystem::read_file(const std::string &path) {
    auto it = files.find(path);
    if (it == files.end()) return not_found("no such file: " + path);
    return it->second;
}

Status FakeSystem::write_file(const std::string &path, std::string_view content, mode_t mode) {
    files[path] = std::string(content);
    modes[path] = mode;
    return {};
}

Result<std::vector<std::string>> FakeSystem::list_dir(const std::string &path) {
    auto it = dirs.find(path);
    if (it == dirs.end()) return not_found("no such directory: " + path);
    return it->second;
}

Result<mode_t> FakeSystem::file_mode(const std::string &path) {
    if (!files.count(path)) return not_found("no such file: " + path);
    auto it = modes.find(path);
    return it == modes.end() ? mode_t{0644} : it->second;
}

Status FakeSystem::make_directories(const std::string &path, mode_t) {
    for (size_t pos = 1; pos <= path.size(); ++pos)
        if (pos == path.size() || path[pos] == '/') dirs.try_emplace(path.substr(0, pos));
    return {};
}

std::string FakeSystem::transcript() const {
    std::string s;
    for (const auto &c : commands) s += c.display() + "\n";
    return s;
}

std::vector<std::string> FakeSystem::mutating_commands() const {
    static const std::set<std::string> lvm_writers{"pvcreate", "vgcreate", "vgremove", "pvremove", "lvcreate",
                                                   "lvremove", "lvextend", "lvreduce", "lvchange", "lvrename", "vgchange",
                                                   "wipefs",   "dd",       "blkdiscard", "fallocate"};
    std::vector<std::string> out;
    for (const auto &c : commands) {
        if (c.argv.empty()) continue;
        bool mut = lvm_writers.count(c.argv[0]) != 0;
        if (c.argv[0] == "iscsiadm")
            for (const auto &a : c.argv) mut = mut || a == "new" || a == "update" || a == "delete";
        if (c.argv[0] == "qemu-img") mut = c.argv.size() > 1 && c.argv[1] != "measure" && c.argv[1] != "info";
        if (c.argv[0] == "dmsetup") mut = c.argv.size() > 1 && c.argv[1] != "info";
        // lvmlockctl -i only asks; --drop, --kill, --gl-enable … change lvmlockd's locks.
        if (c.argv[0] == "lvmlockctl") mut = c.argv.size() > 1 && c.argv[1] != "-i";
        // multipath -a/-f and multipathd add/remove change the host's maps or wwids file;
        // multipathd show only asks.
        if (c.argv[0] == "multipath") mut = true;
        if (c.argv[0] == "multipathd") mut = c.argv.size() > 1 && c.argv[1] != "show";
        if (mut) out.push_back(c.display());
    }
    return out;
}

bool FakeSystem::ran(const std::vector<std::string> &prefix) const {
    for (const auto &c : commands)
        if (starts_with(c.argv, prefix)) return true;
    return false;
}

std::string data_file(const std::string &relative) {
    const std::string path = std::string(ILVM_TEST_DATA_DIR) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    // Fatal: a test must not go on with "" where its recorded output should be.
    if (!in.good()) throw std::runtime_error("missing test data " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string recorded(const std::string &name) {
    std::istringstream in(data_file("../e2e/recorded/" + name));
    std::string out;
    for (std::string l; std::getline(in, l);)
        if (l.rfind('#', 0) != 0) out += l + "\n";
    return out;
}

void expect_golden(const std::string &name, const std::string &actual) {
    const std::string path = std::string(ILVM_TEST_DATA_DIR) + "/golden/" + name + ".argv";
    const char *regen = std::getenv("ILVM_TEST_REGENERATE");
    if (regen && std::string(regen) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in.good()) << "missing golden file " << path << " (run with ILVM_TEST_REGENERATE=1 and review it)";
    std::ostringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), actual) << "golden file " << path << " differs";
}

}  // namespace ilvm::test
