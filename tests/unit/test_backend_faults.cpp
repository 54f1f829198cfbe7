// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden-argv tests of the pool lifecycle under faults (issue 15): lock-start racing udev,
// portals that do not answer, logins that leave nothing behind.
#include "backend_fixture.hpp"

namespace ilvm::test {
namespace {

class PoolFaults : public BackendTest {
protected:
    const std::vector<std::string> lock_start{"vgchange", "--lock-start", "vg_san"};

    // A pool whose LUN carries vg_san, logged out: pool-start logs in, finds the VG, lock-starts.
    void startable_pool() {
        logged_in(false);
        lun_present();
        sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    }
    size_t count(const std::vector<std::string> &argv) const {
        size_t n = 0;
        for (const auto &c : sys.commands) n += c.argv == argv;
        return n;
    }
};

CommandOutput lvmlock_missing() { return fail_out(5, data_file("stderr/vgchange-lock-start-lvmlock-missing.txt")); }

// lvmlockd stats /dev/mapper/vg_san-lvmlock one second after lvm activated it; on a loaded
// host udev has not made the node yet (README demo, issue 15). The start goes on after udev
// settled.
TEST_F(PoolFaults, LockStartRetriedWhenLvmlockdFoundNoLockLvDevice) {
    startable_pool();
    sys.on(lock_start, std::vector<CommandOutput>{lvmlock_missing(), ok_out()});
    auto started = backend->start_pool(pool);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_EQ(count(lock_start), 2u);
    expect_golden("pool-start-lock-start-retry", sys.transcript());
}

TEST_F(PoolFaults, LockStartGivesUpAfterThreeAttemptsAndQuotesTheError) {
    startable_pool();
    sys.on(lock_start, lvmlock_missing());
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::system);
    EXPECT_EQ(started.error().message,
              "vgchange --lock-start vg_san: VG vg_san start failed: invalid parameters for sanlock (3 attempts)");
    EXPECT_NE(started.error().hint.find("/dev/mapper/vg_san-lvmlock"), std::string::npos) << started.error().hint;
    EXPECT_EQ(count(lock_start), 3u);
    // Logged in by this call: logged out again.
    EXPECT_TRUE(sys.ran({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal",
                         "10.0.0.50:3260", "--logout"}));
    expect_golden("pool-start-lock-start-give-up", sys.transcript());
}

TEST_F(PoolFaults, OtherLockStartFailuresAreNotRetried) {
    startable_pool();
    sys.on(lock_start, fail_out(5, "  VG vg_san start failed: lock manager sanlock is not running\n"));
    auto started = backend->start_pool(pool);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "vgchange --lock-start vg_san: VG vg_san start failed: lock manager sanlock is not running");
    EXPECT_NE(started.error().hint.find("lvmlockd and sanlock running"), std::string::npos) << started.error().hint;
    EXPECT_EQ(count(lock_start), 1u);
    expect_not_run({"udevadm"});
}

}  // namespace
}  // namespace ilvm::test
