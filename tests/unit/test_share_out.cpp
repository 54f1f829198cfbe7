// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's hand-over on the migration source (host/handover/share_out.hpp) on fakes of libvirt
// and the module and a fake clock: a share only under an outgoing migration job, nothing
// changed by a refusal, and what the end of the job brings (gone: done; still here: back to ex).
#include <gtest/gtest.h>

#include "fake_handover.hpp"
#include "host/handover/share_out.hpp"

namespace ilvm::test {
namespace {

using host::DomainJob;
using host::DomainRun;
using host::VolumeRef;

const VolumeRef kVm1{"san", "vm1"}, kVm2{"san", "vm2"}, kVm3{"san", "vm3"};

// vda, vdc: exclusive; vdb: readonly (shared everywhere, left alone).
const char *kWeb1 = R"(<domain type='kvm'><name>web1</name><devices>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm2'/><target dev='vdb'/><readonly/></disk>
  <disk type='volume' device='disk'><source pool='san' volume='vm3'/><target dev='vdc'/></disk>
</devices></domain>)";

class ShareOut : public ::testing::Test, protected HandoverWorld {
protected:
    host::ShareOutOptions opt;

    void SetUp() override {
        domains.states["web1"] = {DomainRun::active};
        domains.jobs["web1"] = {DomainJob::outgoing_migration};
        domains.xml["web1"] = kWeb1;
        locks.vols[kVm1] = FakeVol::here("exclusive");
        locks.vols[kVm2] = FakeVol::here("shared");
        locks.vols[kVm3] = FakeVol::here("exclusive");
    }
    void expect_refused_untouched(const Result<host::SharedOut> &r, ErrorCode code, const std::string &part) {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, code);
        EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
        EXPECT_TRUE(locks.calls.empty()) << "a refusal changed a lock";
        EXPECT_FALSE(exists(files.lock_path("web1"))) << "a refusal left a hand-over lock file";
    }
};

TEST_F(ShareOut, SharesTheExclusiveVolumesOfADomainMigratingAway) {
    auto r = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->volumes, (std::vector<VolumeRef>{kVm1, kVm3}));
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"share san/vm1", "share san/vm3"}));
    // Held while the migration runs: the reconciler sees a hand-over in flight.
    EXPECT_TRUE(files.lock_held("web1"));
}

TEST_F(ShareOut, RefusesADomainWithoutAnOutgoingMigrationJob) {
    domains.jobs["web1"] = {DomainJob::none};
    expect_refused_untouched(host::share_out("web1", "hostb", env, opt), ErrorCode::conflict,
                             "domain web1 runs on this host with no job, not an outgoing migration");
}

TEST_F(ShareOut, RefusesADomainUnderAnotherJob) {
    domains.jobs["web1"] = {DomainJob::other};
    expect_refused_untouched(host::share_out("web1", "hostb", env, opt), ErrorCode::conflict,
                             "a job other than an outgoing migration");
}

TEST_F(ShareOut, RefusesADomainThatDoesNotRunHere) {
    domains.states["web1"] = {DomainRun::inactive};
    expect_refused_untouched(host::share_out("web1", "hostb", env, opt), ErrorCode::conflict,
                             "domain web1 is not running on this host");
    expect_refused_untouched(host::share_out("web9", "hostb", env, opt), ErrorCode::not_found, "no domain web9");
}

TEST_F(ShareOut, RefusesAName) {
    expect_refused_untouched(host::share_out("../web1", "hostb", env, opt), ErrorCode::invalid_input,
                             "is not a usable domain name");
}

TEST_F(ShareOut, ALibvirtThatCannotAnswerRefuses) {
    domains.state_failures = 1;
    expect_refused_untouched(host::share_out("web1", "hostb", env, opt), ErrorCode::system, "client socket is closed");
}

TEST_F(ShareOut, AVolumeThatCannotBeSharedBringsTheOthersBackAndRefuses) {
    locks.failures[{kVm3, "shared"}] = {system_error("lvchange failed")};
    auto r = host::share_out("web1", "hostb", env, opt);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("cannot share the lock of san/vm3"), std::string::npos) << r.error().message;
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"share san/vm1", "share san/vm3", "poll-exclusive san/vm1"}));
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

// A successful migration: libvirt's Confirm stopped the domain here (our release hook
// deactivated the volumes), then the job ended.
TEST_F(ShareOut, AfterASuccessfulMigrationNothingIsLeftHere) {
    auto shared = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(shared.ok());
    domains.jobs["web1"] = {DomainJob::outgoing_migration, DomainJob::outgoing_migration, DomainJob::none};
    domains.states["web1"] = {DomainRun::absent};
    locks.calls.clear();
    auto w = host::watch_out(std::move(*shared), env, opt, [] { return false; });
    EXPECT_EQ(w.end, host::WatchEnd::migrated) << w.detail;
    EXPECT_TRUE(locks.calls.empty());   // nothing to convert
    EXPECT_FALSE(exists(files.lock_path("web1")));
    EXPECT_EQ(clock.sleeps, (std::vector<int64_t>{250, 250}));   // polled the job, no more
}

// A failed migration (destination QEMU killed, say): the domain resumes here, the job ends;
// the destination's release hook drops its shared locks a moment later.
TEST_F(ShareOut, AFailedMigrationMakesTheVolumesExclusiveAgain) {
    auto shared = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(shared.ok());
    domains.jobs["web1"] = {DomainJob::outgoing_migration, DomainJob::none};
    locks.failures[{kVm1, "exclusive"}] = {lock_conflict("vm1"), lock_conflict("vm1")};
    locks.calls.clear();
    auto w = host::watch_out(std::move(*shared), env, opt, [] { return false; });
    EXPECT_EQ(w.end, host::WatchEnd::exclusive_again) << w.detail;
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"poll-exclusive san/vm1", "poll-exclusive san/vm3", "poll-exclusive san/vm1",
                                                     "poll-exclusive san/vm1"}));
    EXPECT_EQ(locks.vols[kVm1].activation, "exclusive");
    EXPECT_EQ(locks.vols[kVm3].activation, "exclusive");
    EXPECT_FALSE(exists(files.lock_path("web1")));
    // From the poll that saw the job ended: four conversions (600 ms each) in three rounds,
    // with two 250 ms pauses between them.
    EXPECT_EQ(w.restore_ms, 600 * 4 + 250 * 2);
}

TEST_F(ShareOut, VolumesTheDestinationNeverLetsGoStaySharedAndTheLockFileStays) {
    opt.convert_back_timeout = std::chrono::milliseconds(2000);
    auto shared = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(shared.ok());
    domains.jobs["web1"] = {DomainJob::none};
    for (int i = 0; i < 20; ++i) locks.failures[{kVm3, "exclusive"}].push_back(lock_conflict("vm3"));
    auto w = host::watch_out(std::move(*shared), env, opt, [] { return false; });
    EXPECT_EQ(w.end, host::WatchEnd::still_shared) << w.detail;
    EXPECT_NE(w.detail.find("san/vm3 still SHARED here"), std::string::npos) << w.detail;
    // Left for the reconciler's restore (handover_guard.hpp): a lock file nobody holds.
    EXPECT_TRUE(exists(files.lock_path("web1")));
    EXPECT_FALSE(files.lock_held("web1"));
}

TEST_F(ShareOut, ALibvirtdRestartDuringTheMigrationIsWaitedFor) {
    auto shared = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(shared.ok());
    domains.jobs["web1"] = {DomainJob::none};
    domains.job_failures = 3;
    auto w = host::watch_out(std::move(*shared), env, opt, [] { return false; });
    EXPECT_EQ(w.end, host::WatchEnd::exclusive_again) << w.detail;
}

TEST_F(ShareOut, AnAgentStoppingLeavesTheLockFileForTheReconciler) {
    auto shared = host::share_out("web1", "hostb", env, opt);
    ASSERT_TRUE(shared.ok());
    int asked = 0;
    auto w = host::watch_out(std::move(*shared), env, opt, [&] { return ++asked > 2; });
    EXPECT_EQ(w.end, host::WatchEnd::stopped);
    EXPECT_TRUE(exists(files.lock_path("web1")));
    EXPECT_EQ(locks.vols[kVm1].activation, "shared");   // unchanged: the migration may still succeed
}

}  // namespace
}  // namespace ilvm::test
