// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm migrate`'s state machine (cli/migrate_out.cpp) on fakes of libvirt and the module
// and a fake clock: which locks change in which order, what happens on each failure, and
// the measured non-exclusive window.
#include <gtest/gtest.h>

#include "cli/migrate_report.hpp"
#include "fake_handover.hpp"
#include "host/handover/handover_env.hpp"
#include "host/handover/migrate_out.hpp"

namespace ilvm::test {
namespace {

using host::DomainRun;
using host::VolumeRef;

const VolumeRef kVm1{"san", "vm1"}, kVm2{"san", "vm2"}, kVm3{"san", "vm3"};
const char *kDest = "qemu+tcp://hostb/system";

// vda, vdc: exclusive; vdb: readonly (already shared, left alone); vdd: not ours.
const char *kWeb1 = R"(<domain type='kvm'><name>web1</name><devices>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm2'/><target dev='vdb'/><readonly/></disk>
  <disk type='volume' device='disk'><source pool='san' volume='vm3'/><target dev='vdc'/></disk>
  <disk type='file' device='disk'><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vdd'/></disk>
</devices></domain>)";

class MigrateOut : public ::testing::Test, protected HandoverWorld {
protected:
    host::MigrateOutOptions opt;

    void SetUp() override {
        opt.domain = "web1";
        opt.request.dest_uri = kDest;
        domains.states["web1"] = {DomainRun::active};
        domains.xml["web1"] = kWeb1;
        locks.vols[kVm1] = FakeVol::here("exclusive");
        locks.vols[kVm2] = FakeVol::here("shared");
        locks.vols[kVm3] = FakeVol::here("exclusive");
    }

    // What the other side does during a successful migration: the destination's hook took
    // the volumes shared; libvirt's Confirm stopped the domain here and our release hook
    // deactivated them.
    void migration_succeeds() {
        domains.during_migration = [this] {
            locks.vols[kVm1] = FakeVol::held(2, "hostb", "shared");
            locks.vols[kVm3] = FakeVol::held(2, "hostb", "shared");
            domains.states["web1"] = {DomainRun::absent};
        };
    }
};

TEST_F(MigrateOut, SharesExclusiveVolumesMigratesAndMeasuresTheWindow) {
    migration_succeeds();
    // vm1: the first poll still sees the destination's shared lease, the second its
    // exclusive one; vm3 is exclusive there at the first poll.
    locks.upcoming[kVm1] = {FakeVol::held(2, "hostb", "shared"), FakeVol::held(2, "hostb", "exclusive")};
    locks.upcoming[kVm3] = {FakeVol::held(2, "hostb", "exclusive")};
    opt.request.migrate_uri = "tcp://10.0.0.2";
    opt.request.persistent = true;
    const auto t0 = clock.now();

    auto r = host::migrate_out(opt, env);
    ASSERT_TRUE(r.ok()) << r.error().message;

    EXPECT_EQ(domains.calls, (std::vector<std::string>{"state web1", "xml web1", "open qemu+tcp://hostb/system",
                                                       "migrate web1 qemu+tcp://hostb/system uri=tcp://10.0.0.2 persistent"}));
    // The readonly vm2 is never touched; the open happens before any lock changes (above).
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"share san/vm1", "share san/vm3", "poll+holder san/vm1",
                                                     "poll+holder san/vm3", "poll+holder san/vm1"}));
    ASSERT_EQ(r->volumes.size(), 2u);
    EXPECT_TRUE(r->confirmed());
    // vm1: share 600 + share 600 + migrate 3000 + poll 100 + 100 + sleep 200 + poll 100.
    EXPECT_EQ(r->volumes[0].volume, kVm1);
    EXPECT_EQ(r->volumes[0].window_ms, 4700);
    // vm3: from just before its own share: 600 + 3000 + 100 + 100.
    EXPECT_EQ(r->volumes[1].window_ms, 3800);
    EXPECT_EQ(r->volumes[1].holder_id, 2u);
    EXPECT_EQ(r->volumes[1].holder_name, "hostb");
    EXPECT_EQ(r->migration_ms, 3000);
    EXPECT_EQ(r->share_ms, 1200);  // two conversions of 600 ms
    EXPECT_EQ(clock.sleeps, (std::vector<int64_t>{200}));
    EXPECT_EQ(clock.elapsed_ms(t0), 4700);
    // A clean end leaves no trace for the reconciler.
    EXPECT_FALSE(exists(files.lock_path("web1")));

    EXPECT_EQ(cli::format_migrate_report(opt, *r, false),
              "Domain web1 migrated to qemu+tcp://hostb/system\n"
              "san/vm1: exclusive on host 2 (hostb), non-exclusive window 4700 ms (libvirt's migration took 3000 ms of it)\n"
              "san/vm3: exclusive on host 2 (hostb), non-exclusive window 3800 ms (libvirt's migration took 3000 ms of it)\n");
    EXPECT_EQ(cli::unconfirmed_warning(opt, *r), "");
    const std::string json = cli::format_migrate_report(opt, *r, true);
    for (const char *part : {"\"domain\" : \"web1\"", "\"confirmed\" : true", "\"window_ms\" : 4700", "\"window_ms\" : 3800", "\"migration_ms\" : 3000", "\"share_ms\" : 1200",
                             "\"host_name\" : \"hostb\"", "\"last_seen\" : null"})
        EXPECT_NE(json.find(part), std::string::npos) << part << " in " << json;
}

TEST_F(MigrateOut, FlagsReachLibvirt) {
    migration_succeeds();
    locks.upcoming[kVm1] = {FakeVol::held(2, "hostb", "exclusive")};
    locks.upcoming[kVm3] = {FakeVol::held(2, "hostb", "exclusive")};
    opt.request.undefine_source = true;
    ASSERT_TRUE(host::migrate_out(opt, env).ok());
    EXPECT_EQ(domains.calls.back(), "migrate web1 qemu+tcp://hostb/system undefinesource");
}

TEST_F(MigrateOut, DestinationThatNeverTakesTheExclusiveLockIsReportedNotFailed) {
    migration_succeeds();
    opt.poll_timeout = std::chrono::seconds(2);
    auto r = host::migrate_out(opt, env);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->confirmed());
    EXPECT_FALSE(r->volumes[0].window_ms.has_value());
    EXPECT_EQ(r->volumes[0].last_seen, "held by host 2 (hostb), shared");
    // Polled every 0.2 s for 2 s, no longer.
    for (auto s : clock.sleeps) EXPECT_LE(s, 200);
    EXPECT_GE(locks.count("poll+holder san/vm1"), 6u);
    EXPECT_FALSE(exists(files.lock_path("web1")));
    EXPECT_EQ(cli::format_migrate_report(opt, *r, false),
              "Domain web1 migrated to qemu+tcp://hostb/system\n"
              "san/vm1: exclusive lock not seen on the destination (last seen: held by host 2 (hostb), shared)\n"
              "san/vm3: exclusive lock not seen on the destination (last seen: held by host 2 (hostb), shared)\n");
    EXPECT_EQ(cli::unconfirmed_warning(opt, *r),
              "the destination has not taken the exclusive lock of san/vm1, san/vm3 within 2 s; check journalctl -u "
              "'iscsi-lvm-migrate-finish@*' on the destination");
    EXPECT_NE(cli::format_migrate_report(opt, *r, true).find("\"confirmed\" : false"), std::string::npos);
}

TEST_F(MigrateOut, AVolumeStillActiveHereIsSeenAsSuch) {
    domains.during_migration = [this] { locks.vols[kVm3] = FakeVol::held(2, "hostb", "exclusive"); };
    opt.poll_timeout = std::chrono::seconds(1);
    auto r = host::migrate_out(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->volumes[0].last_seen, "still active here (shared)");
    EXPECT_TRUE(r->volumes[1].window_ms.has_value());
}

TEST_F(MigrateOut, FailedMigrationConvertsBackRetryingWhileTheDestinationHoldsThem) {
    domains.migration = system_error("operation failed: migration out job: unexpectedly failed");
    // The destination's release hook drops its shared lock 1.5 s after libvirt gave up.
    locks.failures[{kVm1, "exclusive"}] = {lock_conflict("vm1"), lock_conflict("vm1"), lock_conflict("vm1")};
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "migration of web1 to qemu+tcp://hostb/system failed: operation failed: migration out job: "
                                 "unexpectedly failed");
    EXPECT_EQ(r.error().hint, "web1 keeps running on this host with its volumes exclusive");
    EXPECT_EQ(locks.count("poll-exclusive san/vm1"), 4u);
    EXPECT_EQ(locks.count("poll-exclusive san/vm3"), 1u);
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_EQ(locks.vols[kVm3].activation, "exclusive");
    EXPECT_EQ(clock.sleeps, (std::vector<int64_t>{500, 500, 500}));
    EXPECT_EQ(domains.calls.back(), "state web1");   // checked that it still runs here
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(MigrateOut, ConversionBackThatNeverSucceedsSaysHowToRepairAndLeavesATrace) {
    domains.migration = system_error("Unable to read from monitor");
    for (int i = 0; i < 1000; ++i) locks.failures[{kVm3, "exclusive"}].push_back(lock_conflict("vm3"));
    opt.convert_back_timeout = std::chrono::seconds(5);
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "migration of web1 to qemu+tcp://hostb/system failed: Unable to read from monitor; "
                                 "san/vm3 still SHARED on this host");
    EXPECT_NE(r.error().hint.find("ilvm vol-activate vm3 --pool san"), std::string::npos) << r.error().hint;
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_EQ(locks.vols[kVm3].activation, "shared");
    // Bounded: about 5 s of retries every 0.5 s, then it stops.
    EXPECT_GE(locks.count("poll-exclusive san/vm3"), 5u);
    EXPECT_LE(locks.count("poll-exclusive san/vm3"), 11u);
    // The lock file stays: the reconciler keeps trying.
    EXPECT_TRUE(exists(files.lock_path("web1")));
    EXPECT_FALSE(files.lock_held("web1"));
}

TEST_F(MigrateOut, LibvirtdRestartedDuringTheMigrationStillGetsTheLocksBack) {
    // libvirtd on this host restarted mid-migration: the call fails with the connection,
    // and libvirt answers again once it is back (it cancelled the migration; the domain runs).
    domains.migration = system_error("internal error: client socket is closed");
    domains.during_migration = [this] { domains.state_failures = 3; };
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().hint, "web1 keeps running on this host with its volumes exclusive");
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_EQ(locks.vols[kVm3].activation, "exclusive");
    EXPECT_EQ(clock.sleeps, (std::vector<int64_t>{2000, 2000, 2000}));
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(MigrateOut, LibvirtdThatNeverAnswersAgainLeavesTheRepairToTheReconciler) {
    domains.migration = system_error("internal error: client socket is closed");
    domains.during_migration = [this] { domains.state_failures = 1000; };
    opt.state_retry_timeout = std::chrono::seconds(10);
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("cannot tell whether it still runs here"), std::string::npos) << r.error().message;
    EXPECT_EQ(clock.sleeps.size(), 5u);   // bounded: 10 s, asked every 2 s
    // Nothing converted blindly: the domain may run on the destination by now.
    EXPECT_EQ(locks.count("poll-exclusive san/vm1") + locks.count("poll-exclusive san/vm3"), 0u);
    EXPECT_TRUE(exists(files.lock_path("web1")));
}

TEST_F(MigrateOut, FailedMigrationOfADomainNoLongerHereConvertsNothingBack) {
    domains.migration = system_error("Domain not found");
    domains.during_migration = [this] { domains.states["web1"] = {DomainRun::absent}; };
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().hint.find("no longer running on this host"), std::string::npos);
    EXPECT_EQ(locks.count("poll-exclusive san/vm1") + locks.count("poll-exclusive san/vm3"), 0u);
}

TEST_F(MigrateOut, ConversionFailingMidwayRollsBackAndMigratesNothing) {
    locks.failures[{kVm3, "shared"}] = {system_error("cannot convert the lock of volume 'vm3': lvmlockd not running")};
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message,
              "cannot share the lock of san/vm3 for the hand-over: cannot convert the lock of volume 'vm3': lvmlockd not running");
    EXPECT_EQ(r.error().hint, "nothing was migrated: web1 keeps running on this host with its volumes exclusive");
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"share san/vm1", "share san/vm3", "poll-exclusive san/vm1"}));
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    for (const auto &c : domains.calls) EXPECT_EQ(c.rfind("migrate", 0), std::string::npos) << c;
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(MigrateOut, ADomainThatDoesNotRunHereIsRefusedWithoutTouchingLocks) {
    struct Case {
        DomainRun run;
        ErrorCode code;
        const char *fragment;
    };
    for (const Case &c : {Case{DomainRun::absent, ErrorCode::not_found, "no domain web1 on this host"},
                          Case{DomainRun::inactive, ErrorCode::conflict, "not running on this host (not running)"},
                          Case{DomainRun::transitional, ErrorCode::conflict, "paused for a migration or starting up"}}) {
        domains.states["web1"] = {c.run};
        auto r = host::migrate_out(opt, env);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, c.code);
        EXPECT_NE(r.error().message.find(c.fragment), std::string::npos) << r.error().message;
        EXPECT_FALSE(r.error().hint.empty());
    }
    EXPECT_TRUE(locks.calls.empty());
    EXPECT_FALSE(exists(files.dir()));
}

TEST_F(MigrateOut, AnotherHandOverOfTheDomainIsRefused) {
    auto held = files.lock("web1", clock, std::chrono::milliseconds(0));
    ASSERT_TRUE(held.ok());
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_NE(r.error().message.find("handling domain web1 on this host right now"), std::string::npos);
    EXPECT_TRUE(locks.calls.empty());
    EXPECT_EQ(clock.elapsed_ms(std::chrono::steady_clock::time_point(std::chrono::seconds(1000))), 3000);  // lock_wait
}

TEST_F(MigrateOut, AnUnreachableDestinationChangesNoLock) {
    domains.destination = system_error("cannot connect to libvirt at qemu+tcp://hostb/system: Connection refused");
    auto r = host::migrate_out(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_TRUE(locks.calls.empty());
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(MigrateOut, ADomainWithoutOurVolumesIsMigratedWithNothingToWatch) {
    domains.xml["web1"] = "<domain><name>web1</name><devices/></domain>";
    auto r = host::migrate_out(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->volumes.empty());
    EXPECT_TRUE(r->confirmed());
    EXPECT_TRUE(locks.calls.empty());
}

TEST_F(MigrateOut, BadDomainNamesNeverBecomePaths) {
    for (const char *name : {"", ".", "..", "a/b", "../../etc/x"}) {
        opt.domain = name;
        auto r = host::migrate_out(opt, env);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << name;
    }
    EXPECT_TRUE(domains.calls.empty());
}

}  // namespace
}  // namespace ilvm::test
