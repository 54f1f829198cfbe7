// SPDX-License-Identifier: LGPL-2.1-or-later
// Which line of a failing command's stderr an error quotes: the one that says what failed,
// not a warning printed before it; and the whole stderr reaches the debug log.
#include <gtest/gtest.h>
#include <sstream>

#include "common/host_system.hpp"
#include "common/system.hpp"
#include "fake_system.hpp"
#include "log_capture.hpp"

namespace ilvm::test {
namespace {

CommandOutput failed_with(const std::string &stderr_file) { return fail_out(5, data_file("stderr/" + stderr_file)); }

TEST(ErrorLines, SkipsLvmlockdNotesBeforeTheError) {
    // The README demo's lock-start failure quoted the note instead of the error.
    EXPECT_EQ(failed_with("vgchange-lock-start-lvmlock-missing.txt").first_error_line(),
              "VG vg_san start failed: invalid parameters for sanlock");
    EXPECT_EQ(failed_with("lvcreate-vg-lock-held-elsewhere.txt").first_error_line(),
              "VG vg_san lock failed: held by other host.");
    EXPECT_EQ(failed_with("lvchange-aey-vg-lock-held-elsewhere.txt").first_error_line(),
              "Cannot access VG vg_san due to failed lock.");
}

TEST(ErrorLines, SkipsWarnings) {
    EXPECT_EQ(failed_with("vgcreate-lvmlockd-not-running.txt").first_error_line(),
              "Global lock failed: check that lvmlockd is running.");
    EXPECT_EQ(fail_out(1, "wipefs: warning: something to note\nwipefs: error: /dev/sdb: probing initialization failed\n")
                  .first_error_line(),
              "wipefs: error: /dev/sdb: probing initialization failed");
    EXPECT_EQ(fail_out(5, "  Warning: low on something\n  Volume group \"vg_x\" not found\n").first_error_line(),
              "Volume group \"vg_x\" not found");
}

TEST(ErrorLines, TheFirstErrorWinsOverLaterOnes) {
    EXPECT_EQ(failed_with("lvchange-aey-locked-by-other-host.txt").first_error_line(), "LV locked by other host: vg/t");
    EXPECT_EQ(failed_with("iscsiadm-login-timed-out.txt").first_error_line(),
              "iscsiadm: Could not login to [iface: default, target: iqn.2024-04.com.example:vms, portal: 10.0.0.50,3260].");
}

TEST(ErrorLines, ANoteIsQuotedWhenItIsAllThereIs) {
    EXPECT_EQ(failed_with("vgs-only-a-note.txt").first_error_line(), "Skipping global lock: lockspace not found or started");
}

TEST(ErrorLines, StdoutWhenStderrIsBlank) {
    CommandOutput o{5, "  Starting locking.  Waiting for sanlock may take 20 sec to 3 min...\n  VG vg_san failed\n", "\n  \n"};
    EXPECT_EQ(o.first_error_line(), "VG vg_san failed");
    EXPECT_EQ(CommandOutput{}.first_error_line(), "");
}

TEST(ErrorLines, LoggableStderrKeepsEveryLineButPasswords) {
    CommandOutput o = failed_with("vgchange-lock-start-lvmlock-missing.txt");
    EXPECT_EQ(o.loggable_stderr(),
              "Skipping global lock: lockspace not found or started\nVG vg_san start failed: invalid parameters for sanlock");
    o.err = "iscsiadm: something\nnode.session.auth.password = hunter2\nnode.session.auth.Password_in = x\n";
    EXPECT_EQ(o.loggable_stderr(), "iscsiadm: something\n(a line mentioning a password, not logged)\n"
                                   "(a line mentioning a password, not logged)");
}

class CapturedLog : public ::testing::Test {
protected:
    LogCapture log;
};

// A failed dd with status=progress (coreutils 9.1): its progress and statistics are not
// what failed.
TEST(ErrorLines, DdProgressAndStatisticsAreNotTheError) {
    CommandOutput o{1, "",
                    "1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\r2097152 bytes (2.1 MB, 2.0 MiB) copied, 2 s, "
                    "1.0 MB/s\ndd: error writing '/dev/vg_san/vm1': No space left on device\n2+0 records in\n1+0 records "
                    "out\n2097152 bytes (2.1 MB, 2.0 MiB) copied, 2.1 s, 1.0 MB/s\n"};
    EXPECT_EQ(o.first_error_line(), "dd: error writing '/dev/vg_san/vm1': No space left on device");
    // Without the newline dd puts before an error: the \r still ends the progress line.
    o.err = "1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\rdd: error reading '/dev/sdb': Input/output error\n";
    EXPECT_EQ(o.first_error_line(), "dd: error reading '/dev/sdb': Input/output error");
}

TEST_F(CapturedLog, HostSystemLogsTheWholeStderrOfAFailingCommand) {
    HostSystem sys;
    // A real command with a two-line stderr and a non-zero exit.
    auto r = sys.run(Command{"ls", "/nonexistent-ilvm-test-a", "/nonexistent-ilvm-test-b"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_NE(r->exit_code, 0);
    EXPECT_NE(log.text().find("cannot access '/nonexistent-ilvm-test-a'"), std::string::npos) << log.text();
    EXPECT_NE(log.text().find("nonexistent-ilvm-test-b': No such file"), std::string::npos) << log.text();
}

TEST_F(CapturedLog, RunCheckedQuotesTheErrorLine) {
    FakeSystem sys;
    sys.on({"vgchange"}, failed_with("vgchange-lock-start-lvmlock-missing.txt"));
    auto r = run_checked(sys, Command{"vgchange", "--lock-start", "vg_san"}, "vgchange --lock-start vg_san");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "vgchange --lock-start vg_san: VG vg_san start failed: invalid parameters for sanlock");
}

}  // namespace
}  // namespace ilvm::test
