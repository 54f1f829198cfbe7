// SPDX-License-Identifier: LGPL-2.1-or-later
// backend/lock_io_retry.hpp: an LVM command refused a lock because sanlock timed out on the
// lease (lvmlockd's ELMERR, -221: "error -221" from lvm2 2.03.16, "lock manager error" from
// 2.03.31) runs again after a pause, at most three times; any other
// failure, a lock another host holds included, is returned at once.
#include <gtest/gtest.h>

#include "backend/lock_io_retry.hpp"
#include "fake_system.hpp"

namespace ilvm::test {
namespace {

const CommandOutput kVgLockIo = fail_out(5, "  VG vg_san lock failed: error -221\n  Cannot access VG vg_san due to failed lock.\n");
const CommandOutput kGlobalLockIo = fail_out(5, "  Global lock failed: error -221.\n");

TEST(LockIoRetry, AskedAgainAfterAPauseUntilGranted) {
    FakeSystem fake;
    fake.on({"pvs"}, std::vector<CommandOutput>{kGlobalLockIo, kVgLockIo, ok_out("pv\n")});
    LockIoRetry sys(fake);
    const auto t0 = fake.now();
    auto out = sys.run(Command{"pvs", "/dev/sdb"});
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->succeeded());
    EXPECT_EQ(out->out, "pv\n");
    EXPECT_EQ(fake.commands.size(), 3u);
    EXPECT_EQ(fake.now() - t0, kLockIoPause + kLockIoPause * 2);   // 1 s, then 2 s
}

// A shared VG lock (lvchange -aey/-an and every reporting command take the VG lock sh) is
// "skipped" with a warning, not "failed" (lvm2 lib/locking/lvmlockd.c lockd_vg()), and the
// command then ends "Cannot access VG … due to failed lock": the lab's `ilvm vol-activate`
// on a loaded host, after sanlock's "dblock read error -202" (lease I/O), one attempt only.
TEST(LockIoRetry, ASharedVgLockSkippedForLeaseIoIsAskedAgain) {
    FakeSystem fake;
    fake.on({"lvchange"}, std::vector<CommandOutput>{
                              fail_out(5, "  VG vg_san lock skipped: error -221\n  Cannot access VG vg_san due to failed lock.\n"),
                              ok_out("")});
    LockIoRetry sys(fake);
    auto out = sys.run(Command{"lvchange", "-aey", "-K", "vg_san/vm1"});
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->succeeded());
    EXPECT_EQ(fake.commands.size(), 2u);
}

// lvm2 2.03.31 (Debian 13) names lvmlockd's -221 instead of printing the number: the lab's
// `snapshots` on Debian 13 guests beside a second lab, `vol-snapshot-create` from host A while
// host B made another: sanlock "s1:r2 ballot 382 dblock read2 error -202" then "acquire_token
// -210 lease io error", and lvcreate ended as below (exit 5) before it did anything.
TEST(LockIoRetry, Debian13sLockManagerErrorIsAskedAgain) {
    for (const auto &refusal : {fail_out(5, "  VG vg_san lock failed: lock manager error.\n"),
                                fail_out(5, "  VG vg_san lock skipped: lock manager error.\n"
                                            "  Cannot access VG vg_san due to failed lock.\n"),
                                fail_out(5, "  Global lock failed: lock manager error\n")}) {
        FakeSystem fake;
        fake.on({"lvcreate"}, std::vector<CommandOutput>{refusal, ok_out("")});
        LockIoRetry sys(fake);
        auto out = sys.run(Command{"lvcreate", "-n", "snapvol", "vg_san"});
        ASSERT_TRUE(out.ok());
        EXPECT_TRUE(out->succeeded()) << refusal.err;
        EXPECT_EQ(fake.commands.size(), 2u) << refusal.err;
    }
}

TEST(LockIoRetry, GivesUpAfterThreeRunsWithWhatLvmSaid) {
    FakeSystem fake;
    fake.on({"lvchange"}, std::vector<CommandOutput>{kVgLockIo});
    LockIoRetry sys(fake);
    auto out = sys.run(Command{"lvchange", "-aey", "-K", "vg_san/vm1"});
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out->succeeded());
    EXPECT_EQ(out->first_error_line(), "VG vg_san lock failed: error -221");
    EXPECT_EQ(fake.commands.size(), static_cast<size_t>(kLockIoAttempts));
}

TEST(LockIoRetry, OtherFailuresAreReturnedAtOnce) {
    for (const auto &failure : {fail_out(5, "  LV locked by other host: vg_san/vm1\n"),
                                fail_out(5, "  Volume group \"vg_san\" not found\n"),
                                fail_out(5, "  VG vg_san lock failed: error -11\n")}) {
        FakeSystem fake;
        fake.on({"lvchange"}, failure);
        LockIoRetry sys(fake);
        const auto t0 = fake.now();
        auto out = sys.run(Command{"lvchange", "-aey", "-K", "vg_san/vm1"});
        ASSERT_TRUE(out.ok());
        EXPECT_FALSE(out->succeeded());
        EXPECT_EQ(fake.commands.size(), 1u) << failure.err;
        EXPECT_EQ(fake.now(), t0);   // no pause
    }
}

}  // namespace
}  // namespace ilvm::test
