// SPDX-License-Identifier: LGPL-2.1-or-later
// The one runner of external commands (common/child_process.hpp), with real programs from
// coreutils and dash: what reaches the child, what comes back, and how it is stopped.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "common/child_process.hpp"
#include "common/host_system.hpp"

namespace ilvm::test {
namespace {

using namespace std::chrono_literals;

Command sh(const std::string &script, std::chrono::milliseconds timeout = 20s) {
    Command c{"sh", "-c", script};
    c.timeout = timeout;
    return c;
}

ChildRun run_ok(const Command &cmd, int interrupt_fd = -1) {
    auto r = run_child_process(cmd, interrupt_fd);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(*r) : ChildRun{};
}

TEST(ChildProcess, CollectsOutputErrorAndExitCodeApart) {
    auto r = run_ok(sh("printf out; printf err >&2; exit 3"));
    EXPECT_EQ(r.ending, ChildRun::Ending::exited);
    EXPECT_EQ(r.output.out, "out");
    EXPECT_EQ(r.output.err, "err");
    EXPECT_EQ(r.output.exit_code, 3);
}

TEST(ChildProcess, AnExitBySignalIsReportedAs128PlusTheSignal) {
    auto r = run_ok(sh("kill -KILL $$"));
    EXPECT_EQ(r.ending, ChildRun::Ending::exited);
    EXPECT_EQ(r.output.exit_code, 128 + SIGKILL);
}

// Larger than a pipe's buffer both ways: cat blocks writing its output unless it is read
// while its input is still being written.
TEST(ChildProcess, FeedsInputLargerThanAPipeWhileReadingTheOutput) {
    Command c{"cat"};
    for (int i = 0; c.stdin_data.size() < (1u << 20); ++i) c.stdin_data += "line " + std::to_string(i) + "\n";
    auto r = run_ok(c);
    EXPECT_EQ(r.output.exit_code, 0);
    EXPECT_EQ(r.output.out, c.stdin_data);
}

// The child exits without reading: the write fails with EPIPE, and SIGPIPE must not end
// this process (the test would die here).
TEST(ChildProcess, AChildThatNeverReadsItsInputIsNoError) {
    Command c{"true"};
    c.stdin_data.assign(1u << 20, 'x');
    auto r = run_ok(c);
    EXPECT_EQ(r.ending, ChildRun::Ending::exited);
    EXPECT_EQ(r.output.exit_code, 0);
}

TEST(ChildProcess, WithoutInputTheChildReadsEndOfFile) {
    auto r = run_ok(Command{"cat"});
    EXPECT_EQ(r.output.exit_code, 0);
    EXPECT_EQ(r.output.out, "");
}

// The grandchild keeps the output pipe open for 30 s: it is not waited for.
TEST(ChildProcess, ATimeoutKillsTheCommandWithoutWaitingForWhatItStarted) {
    auto start = std::chrono::steady_clock::now();
    auto r = run_ok(sh("sleep 30 & echo $!; wait", 2s));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.ending, ChildRun::Ending::timed_out);
    EXPECT_LT(took, 20s) << "waited for the grandchild";
    ASSERT_FALSE(r.output.out.empty()) << "what it wrote before the kill is kept";
    ::kill(std::stoi(r.output.out), SIGKILL);   // the test's own leftover
}

// `yes` writes as fast as it is read: the loop that reads it must still see its deadline.
TEST(ChildProcess, AChildThatNeverStopsWritingStillTimesOut) {
    Command c{"yes"};
    c.timeout = 500ms;
    auto start = std::chrono::steady_clock::now();
    auto r = run_ok(c);
    EXPECT_EQ(r.ending, ChildRun::Ending::timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "read past its deadline";
    EXPECT_FALSE(r.output.out.empty());
}

TEST(ChildProcess, AChildThatClosesItsOutputAndGoesOnStillTimesOut) {
    auto r = run_ok(sh("exec >/dev/null 2>&1; sleep 30", 500ms));
    EXPECT_EQ(r.ending, ChildRun::Ending::timed_out);
}

TEST(ChildProcess, AnInterruptStopsTheCommandAndItsByteIsConsumed) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
    auto r = run_ok(Command{"sleep", "30"}, fds[0]);
    EXPECT_EQ(r.ending, ChildRun::Ending::interrupted);
    char byte;
    EXPECT_EQ(::read(fds[0], &byte, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    // The next command runs normally (the backend's rollback after an interrupt).
    auto next = run_ok(Command{"true"}, fds[0]);
    EXPECT_EQ(next.ending, ChildRun::Ending::exited);
    ::close(fds[0]);
    ::close(fds[1]);
}

// A command that reports progress has its stderr passed on as it comes; others do not.
TEST(ChildProcess, ProgressIsPassedOnOnlyForCommandsThatReportIt) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    Command quiet = sh("printf 'not progress' >&2");
    auto r = run_child_process(quiet, -1, fds[1]);
    ASSERT_TRUE(r.ok());
    char buf[256];
    EXPECT_EQ(::read(fds[0], buf, sizeof buf), -1);
    Command dd = sh("printf '1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\\r' >&2");
    dd.reports_progress = true;
    r = run_child_process(dd, -1, fds[1]);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->output.err, "1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\r");   // kept for errors too
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), r->output.err);
    // A reader gone away loses the progress, never the command.
    ::close(fds[0]);
    r = run_child_process(dd, -1, fds[1]);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->output.exit_code, 0);
    ::close(fds[1]);
}

TEST(ChildProcess, AMissingProgramIsAnErrorNotAnExitCode) {
    auto r = run_child_process(Command{"ilvm-test-no-such-program"}, -1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "cannot run ilvm-test-no-such-program: No such file or directory");
    EXPECT_EQ(r.error().hint, "is the package providing 'ilvm-test-no-such-program' installed?");
}

TEST(ChildProcess, TheChildGetsTheCLocaleAndNoDescriptorOfOurs) {
    const char *old_lc_all = std::getenv("LC_ALL");
    std::string saved = old_lc_all ? old_lc_all : "";
    ::setenv("LC_ALL", "de_DE.UTF-8", 1);
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::dup2(fd, 100), 100);  // without close-on-exec, as a careless library leaves one
    ::close(fd);
    auto r = run_ok(sh("echo \"$LC_ALL\"; ls /proc/self/fd"));
    ::close(100);
    if (old_lc_all) ::setenv("LC_ALL", saved.c_str(), 1);
    else ::unsetenv("LC_ALL");
    EXPECT_EQ(r.output.out.substr(0, 2), "C\n") << r.output.out;
    EXPECT_EQ(r.output.out.find("\n100\n"), std::string::npos) << r.output.out;
}

// libvirtd starts hooks with some signals ignored; a command must not inherit that.
TEST(ChildProcess, ASignalIgnoredHereIsAtItsDefaultInTheChild) {
    struct sigaction ignore {}, old {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old), 0);
    auto r = run_ok(sh("kill -USR1 $$; echo survived"));
    ::sigaction(SIGUSR1, &old, nullptr);
    EXPECT_EQ(r.output.exit_code, 128 + SIGUSR1);
    EXPECT_EQ(r.output.out, "");
}

// A process started with stdin closed: pipe2 hands out descriptor 0, which must not be
// mistaken for the child's own stdin.
TEST(ChildProcess, WorksWhenThisProcessHasNoStdin) {
    int saved_stdin = ::dup(0);
    ASSERT_GE(saved_stdin, 0);
    ::close(0);
    Command c{"cat"};
    c.stdin_data = "through a pipe\n";
    auto r = run_child_process(c, -1);
    ::dup2(saved_stdin, 0);
    ::close(saved_stdin);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->output.exit_code, 0);
    EXPECT_EQ(r->output.out, "through a pipe\n");
}

TEST(HostSystemRun, ATimedOutCommandIsASystemErrorSayingSo) {
    HostSystem sys;
    Command c{"sleep", "30"};
    c.timeout = 1500ms;
    auto r = sys.run(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "sleep did not finish within 1 s and was killed");
}

}  // namespace
}  // namespace ilvm::test
