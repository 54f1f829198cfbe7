// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvm under systemd: log lines become journal entries with a priority and the command's
// pool/volume/domain (host/journal/journal_log.hpp), through a capturing sender instead of journald.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "host/journal/journal_log.hpp"

namespace ilvm::test {
namespace {

using Entry = std::vector<std::string>;

struct Captured {
    std::vector<Entry> entries;
    int result = 0;
};

spdlog::logger journal_logger(const std::shared_ptr<host::LogFields> &fields, Captured &c) {
    return spdlog::logger("t", host::make_journal_sink("ilvm", fields, [&c](const Entry &e) {
                              c.entries.push_back(e);
                              return c.result;
                          }));
}

TEST(JournalLog, AWarningIsOneEntryAtPriorityWarningWithTheCommandsFields) {
    auto fields = std::make_shared<host::LogFields>();
    Captured c;
    auto log = journal_logger(fields, c);
    log.warn("before the command line was read");
    *fields = host::LogFields{"san", "vm1", ""};
    log.warn("vol-deactivate: lvchange did not reach lvmlockd");
    log.error("error: volume vm1 is in use");
    ASSERT_EQ(c.entries.size(), 3u);
    EXPECT_EQ(c.entries[0], (Entry{"MESSAGE=before the command line was read", "PRIORITY=4", "SYSLOG_IDENTIFIER=ilvm"}));
    EXPECT_EQ(c.entries[1], (Entry{"MESSAGE=vol-deactivate: lvchange did not reach lvmlockd", "PRIORITY=4",
                                   "SYSLOG_IDENTIFIER=ilvm", "POOL=san", "VOLUME=vm1"}));
    EXPECT_EQ(c.entries[2][1], "PRIORITY=3");
}

TEST(JournalLog, PrioritiesFollowSyslog) {
    EXPECT_EQ(host::journal_priority(spdlog::level::debug), LOG_DEBUG);
    EXPECT_EQ(host::journal_priority(spdlog::level::info), LOG_INFO);
    EXPECT_EQ(host::journal_priority(spdlog::level::warn), LOG_WARNING);
    EXPECT_EQ(host::journal_priority(spdlog::level::err), LOG_ERR);
    EXPECT_EQ(host::journal_priority(spdlog::level::critical), LOG_CRIT);
}

// JOURNAL_STREAM is inherited by every child: only stderr's own device:inode counts.
TEST(JournalLog, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
    char path[] = "/tmp/ilvm-journal-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const int saved = dup(STDERR_FILENO);
    ASSERT_EQ(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);

    unsetenv("JOURNAL_STREAM");
    const bool unset = host::stderr_is_journal();
    setenv("JOURNAL_STREAM", other.c_str(), 1);
    const bool inherited = host::stderr_is_journal();
    setenv("JOURNAL_STREAM", "garbage", 1);
    const bool garbage = host::stderr_is_journal();
    setenv("JOURNAL_STREAM", mine.c_str(), 1);
    const bool ours = host::stderr_is_journal();

    unsetenv("JOURNAL_STREAM");
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    unlink(path);
    EXPECT_FALSE(unset);
    EXPECT_FALSE(inherited);
    EXPECT_FALSE(garbage);
    EXPECT_TRUE(ours);
}

// /dev/null (what a child of a daemon that called daemon(0, 0) inherits) or a closed stderr
// is discarded; a file, a pipe or a terminal is not.
TEST(JournalLog, StderrIsDiscardedOnlyIntoDevNullOrClosed) {
    const int saved = dup(STDERR_FILENO);
    ASSERT_GE(saved, 0);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(null, 0);
    // Opened before fd 2 is closed, so that it cannot be given fd 2.
    char path[] = "/tmp/ilvm-journal-XXXXXX";
    const int file = mkstemp(path);
    ASSERT_GE(file, 0);
    ASSERT_EQ(dup2(null, STDERR_FILENO), STDERR_FILENO);
    const bool into_null = host::stderr_is_discarded();
    close(STDERR_FILENO);
    const bool closed = host::stderr_is_discarded();
    dup2(file, STDERR_FILENO);
    const bool into_file = host::stderr_is_discarded();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(null);
    close(file);
    unlink(path);
    EXPECT_TRUE(into_null);
    EXPECT_TRUE(closed);
    EXPECT_FALSE(into_file);
}

TEST(JournalLog, AnUnreachableJournalFallsBackToStderr) {
    auto fields = std::make_shared<host::LogFields>();
    Captured c;
    c.result = -ENOENT;
    auto log = journal_logger(fields, c);
    testing::internal::CaptureStderr();
    log.warn("kept");
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "kept\n");
    EXPECT_EQ(c.entries.size(), 1u);
}

}  // namespace
}  // namespace ilvm::test
