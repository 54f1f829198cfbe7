// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm migrate-finish`'s state machine (cli/migrate_in.cpp) on fakes and a fake clock:
// it waits while the incoming domain is paused for the migration, converts its volumes
// once it runs, retrying while the source still holds them, and always removes the marker.
#include <gtest/gtest.h>

#include "fake_handover.hpp"
#include "host/handover/handover_env.hpp"
#include "host/handover/migrate_in.hpp"

namespace ilvm::test {
namespace {

using host::DomainRun;
using host::VolumeRef;

const VolumeRef kVm1{"san", "vm1"}, kVm3{"san", "vm3"};

const char *kWeb1 = R"(<domain type='kvm'><name>web1</name><devices>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm2'/><target dev='vdb'/><shareable/></disk>
  <disk type='volume' device='disk'><source pool='san' volume='vm3'/><target dev='vdc'/></disk>
</devices></domain>)";

class MigrateIn : public ::testing::Test, protected HandoverWorld {
protected:
    host::MigrateInOptions opt;

    void SetUp() override {
        opt.domain = "web1";
        domains.xml["web1"] = kWeb1;
        // What the hook did at `migrate begin`, 2 s ago.
        locks.vols[kVm1] = FakeVol::here("shared");
        locks.vols[kVm3] = FakeVol::here("shared");
        run.write_marker(files, "web1", clock.wall - std::chrono::seconds(2));
        locks.activate_takes = std::chrono::milliseconds(1000);   // lab: sh->ex 1.0 s
    }
};

TEST_F(MigrateIn, WaitsWhilePausedForTheMigrationThenTakesTheLocksRetryingWhileTheSourceHoldsThem) {
    domains.states["web1"] = {DomainRun::absent, DomainRun::transitional, DomainRun::transitional,
                              DomainRun::transitional, DomainRun::active};
    // The source's release hook runs ~0.6 s after our `started`: two refusals for vm1.
    locks.failures[{kVm1, "exclusive"}] = {lock_conflict("vm1"), lock_conflict("vm1")};

    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->finished);
    EXPECT_TRUE(r->since_marker);
    // Nothing was converted while the domain was absent or paused for the migration.
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"poll-exclusive san/vm1", "poll-exclusive san/vm3", "poll-exclusive san/vm1",
                                                     "poll-exclusive san/vm1"}));
    ASSERT_EQ(r->volumes.size(), 2u);
    EXPECT_EQ(r->volumes[0].volume, kVm3);
    EXPECT_EQ(r->volumes[1].volume, kVm1);
    // From the marker (2 s before the start): 4 ticks of 0.25 s, then vm1 (1 s, refused),
    // vm3 (1 s, done) -> 2 + 1 + 2 = 5 s; tick, vm1 refused (1 s), tick, vm1 done (1 s).
    EXPECT_DOUBLE_EQ(r->volumes[0].seconds, 5.0);
    EXPECT_DOUBLE_EQ(r->volumes[1].seconds, 7.5);
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_EQ(locks.vols[kVm3].activation, "exclusive");
    EXPECT_FALSE(exists(files.marker_path("web1")));
    EXPECT_FALSE(exists(files.lock_path("web1")));
    EXPECT_EQ(host::format_finish_report(opt, *r),
              "san/vm3: exclusive on this host 5.0 s after the migration began\n"
              "san/vm1: exclusive on this host 7.5 s after the migration began\n"
              "Hand-over of web1 finished\n");
}

TEST_F(MigrateIn, PausedForAnotherReasonCountsAsRunning) {
    // `virsh migrate --suspend`: the domain arrives paused by the user, never resumed.
    domains.states["web1"] = {DomainRun::active};
    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->finished);
    EXPECT_EQ(host::classify_domain_state("paused", "user"), DomainRun::active);
    EXPECT_EQ(host::classify_domain_state("paused", "migration"), DomainRun::transitional);
    EXPECT_EQ(host::classify_domain_state("paused", "starting up"), DomainRun::transitional);
    EXPECT_EQ(host::classify_domain_state("running", "migrated"), DomainRun::active);
    EXPECT_EQ(host::classify_domain_state("shutoff", "migrated"), DomainRun::inactive);
}

TEST_F(MigrateIn, ADomainThatGoesAwayHasNothingToFinish) {
    // A cancelled migration: libvirt killed the incoming qemu, our release hook deactivated.
    domains.states["web1"] = {DomainRun::transitional, DomainRun::transitional, DomainRun::absent};
    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->finished);
    EXPECT_EQ(r->why, "domain web1 is absent here now: the migration failed or was cancelled");
    EXPECT_EQ(host::format_finish_report(opt, *r),
              "Nothing to finish for web1: domain web1 is absent here now: the migration failed or was cancelled\n");
    EXPECT_TRUE(locks.calls.empty());
    EXPECT_FALSE(exists(files.marker_path("web1")));
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(MigrateIn, ADefinedButShutOffDomainIsNotGoneBeforeItArrived) {
    // A persistent definition from an earlier migration: shut off until the incoming starts.
    domains.states["web1"] = {DomainRun::inactive, DomainRun::inactive, DomainRun::transitional, DomainRun::active};
    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->finished);
    EXPECT_EQ(r->volumes.size(), 2u);
}

TEST_F(MigrateIn, ADomainThatNeverArrivesIsGivenUpAfterTheAppearBound) {
    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->finished);
    EXPECT_EQ(r->why, "domain web1 did not appear on this host");
    EXPECT_EQ(clock.elapsed_ms(std::chrono::steady_clock::time_point(std::chrono::seconds(1000))), 60'000);
    EXPECT_FALSE(exists(files.marker_path("web1")));
}

TEST_F(MigrateIn, TimeoutNamesTheVolumesStillSharedAndLeavesThemToTheReconciler) {
    domains.states["web1"] = {DomainRun::active};
    for (int i = 0; i < 100; ++i) locks.failures[{kVm1, "exclusive"}].push_back(lock_conflict("vm1"));
    opt.timeout = std::chrono::seconds(10);
    auto r = host::migrate_in(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message.rfind("the hand-over of domain web1 did not finish within 10 s: san/vm1 (cannot convert", 0), 0u)
        << r.error().message;
    EXPECT_NE(r.error().message.find("still shared here"), std::string::npos);
    EXPECT_EQ(locks.vols[kVm3].activation, "exclusive");
    // The marker goes (so the reconciler may act), the lock file stays (so it looks).
    EXPECT_FALSE(exists(files.marker_path("web1")));
    EXPECT_TRUE(exists(files.lock_path("web1")));
    EXPECT_FALSE(files.lock_held("web1"));
}

TEST_F(MigrateIn, StillMigratingAtTheTimeoutSaysSo) {
    domains.states["web1"] = {DomainRun::transitional};
    opt.timeout = std::chrono::seconds(3);
    auto r = host::migrate_in(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "domain web1 was still being migrated in after 3 s: san/vm1, san/vm3 still shared here");
    EXPECT_TRUE(locks.calls.empty());
}

TEST_F(MigrateIn, WithoutAMarkerSecondsCountFromItsOwnStart) {
    files.remove_marker("web1");
    domains.states["web1"] = {DomainRun::active};
    auto r = host::migrate_in(opt, env);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->since_marker);
    EXPECT_DOUBLE_EQ(r->volumes[0].seconds, 1.0);
    EXPECT_EQ(host::format_finish_report(opt, *r).rfind("san/vm1: exclusive on this host 1.0 s after migrate-finish started\n", 0), 0u);
}

TEST_F(MigrateIn, WaitsForAnotherHolderOfTheDomainsLock) {
    auto held = files.lock("web1", clock, std::chrono::milliseconds(0));
    ASSERT_TRUE(held.ok());
    opt.timeout = std::chrono::seconds(2);
    auto r = host::migrate_in(opt, env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_TRUE(domains.calls.empty());
    EXPECT_TRUE(exists(files.marker_path("web1")));   // not ours to remove: the holder's
}

}  // namespace
}  // namespace ilvm::test
