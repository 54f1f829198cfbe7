// SPDX-License-Identifier: LGPL-2.1-or-later
// The reconciler's part of the live-migration hand-over (cli/handover_guard.cpp), the
// hand-over's files (cli/handover_files.cpp), libvirt's status files as the reconciler
// reads them (cli/local_domains.cpp), and where pool-info says a volume is (summaries).
#include <fstream>
#include <numeric>
#include <sys/file.h>

#include <gtest/gtest.h>

#include "cli/json_views.hpp"
#include "fake_handover.hpp"
#include "host/core/status_files.hpp"
#include "host/core/summaries.hpp"
#include "host/handover/handover_guard.hpp"

namespace ilvm::test {
namespace {

using host::DomainRun;
using host::HandoverTrace;
using host::LocalDomain;
using host::VolumeRef;

const VolumeRef kVm1{"san", "vm1"}, kVm2{"san", "vm2"}, kOther{"lab", "data"};

host::DiskRef disk(const char *target, const VolumeRef &v, bool shared = false) {
    return {target, "/dev/vg_" + v.pool + "/" + v.volume, v.pool, v.volume, shared};
}

LocalDomain web1(DomainRun run = DomainRun::active) {
    return {"web1", run, {disk("vda", kVm1), disk("vdb", kVm2, true)}};
}

HandoverTrace trace(const char *domain, bool file, bool held, std::optional<int64_t> marker_age) {
    return {domain, file, held, marker_age};
}

// --- plan ----------------------------------------------------------------------------

TEST(HandoverGuardPlan, NothingToDoWithoutTraces) {
    auto plan = host::plan_handover_guard("san", {web1()}, {});
    EXPECT_EQ(plan.hold, "");
    EXPECT_TRUE(plan.restore.empty());
    EXPECT_TRUE(plan.leftovers.empty());
}

TEST(HandoverGuardPlan, AnInFlightDomainWithoutStatusFileHoldsIdleReleases) {
    for (const auto &t : {trace("web9", false, false, 0), trace("web9", false, false, 59), trace("web9", true, true, std::nullopt),
                          trace("web9", true, true, 3600)}) {
        auto plan = host::plan_handover_guard("san", {web1()}, {t});
        EXPECT_EQ(plan.hold, "live-migration hand-over of domain web9 in progress, its disks not known yet");
        EXPECT_TRUE(plan.restore.empty());
        EXPECT_TRUE(plan.leftovers.empty());
    }
}

TEST(HandoverGuardPlan, LeftoversOfADomainNotHereWithNothingInFlightGo) {
    auto plan = host::plan_handover_guard("san", {}, {trace("web9", false, false, 60), trace("web8", true, false, std::nullopt),
                                                     trace("web7", true, true, std::nullopt), trace("web6", false, false, 5)});
    EXPECT_EQ(plan.hold, "live-migration hand-over of domain web7 in progress, its disks not known yet");
    EXPECT_EQ(plan.leftovers, (std::vector<std::string>{"web9", "web8"}));
    // A running domain's trace is no leftover: it is what makes the reconciler look.
    EXPECT_TRUE(host::plan_handover_guard("san", {web1()}, {trace("web1", true, false, 600)}).leftovers.empty());
}

TEST(HandoverGuardPlan, RestoreOnlyRunningDomainsWithATraceAndNoHandOverInFlight) {
    struct Case {
        HandoverTrace t;
        DomainRun run;
        bool restore;
        bool marker;
    };
    const Case cases[] = {
        {trace("web1", true, false, std::nullopt), DomainRun::active, true, false},   // failed hand-over left its lock file
        {trace("web1", true, true, std::nullopt), DomainRun::active, false, false},   // migrate / migrate-finish running
        {trace("web1", false, false, 10), DomainRun::active, false, false},           // fresh marker: the finisher is coming
        {trace("web1", false, false, 120), DomainRun::active, true, true},            // abandoned marker: no finisher ran
        {trace("web1", true, false, std::nullopt), DomainRun::transitional, false, false},   // still being migrated
        {trace("web1", true, false, std::nullopt), DomainRun::inactive, false, false},
    };
    for (const auto &c : cases) {
        auto plan = host::plan_handover_guard("san", {web1(c.run)}, {c.t});
        ASSERT_EQ(plan.restore.size(), c.restore ? 1u : 0u) << c.t.lock_held << " " << c.t.marker_age.value_or(-1);
        if (c.restore) {
            EXPECT_EQ(plan.restore[0].domain, "web1");
            EXPECT_EQ(plan.restore[0].marker, c.marker);
        }
        EXPECT_EQ(plan.hold, "");   // its status file says which volumes it uses
    }
    // Another pool's pass, or a domain using the pool only through shareable disks: nothing.
    EXPECT_TRUE(host::plan_handover_guard("lab", {web1()}, {trace("web1", true, false, std::nullopt)}).restore.empty());
    LocalDomain shared_only{"web1", DomainRun::active, {disk("vdb", kVm2, true)}};
    EXPECT_TRUE(host::plan_handover_guard("san", {shared_only}, {trace("web1", true, false, std::nullopt)}).restore.empty());
}

// --- restore -------------------------------------------------------------------------

class RestoreExclusive : public ::testing::Test {
protected:
    FakeClock clock;
    FakeVolumeLocks locks{clock};
    TempRunDir run;
    host::HandoverFiles files{run.path()};

    void SetUp() override {
        locks.vols[kVm1] = FakeVol::here("shared");
        locks.vols[kVm2] = FakeVol::here("shared");   // its disk is shareable: shared on purpose
        // What a failed hand-over leaves: its lock file, not held.
        ASSERT_TRUE(files.lock("web1", clock, std::chrono::milliseconds(0)).ok());
    }
    std::vector<host::RestoreDomain> plan(bool marker = false) { return {{"web1", web1().disks, marker}}; }
};

TEST_F(RestoreExclusive, ASharedVolumeOfARunningDomainGoesBackToExclusiveAndTheTraceGoes) {
    run.write_marker(files, "web1", clock.wall - std::chrono::minutes(5));
    auto steps = host::restore_exclusive("san", plan(true), locks, files, clock, false);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].volume, "vm1");
    EXPECT_EQ(steps[0].result, "done");
    EXPECT_EQ(steps[0].reason, "active shared here, used by running domain web1 through disk vda");
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"inspect san/vm1", "exclusive san/vm1"}));
    EXPECT_EQ(locks.vols[kVm2].activation, "shared");
    EXPECT_FALSE(exists(files.lock_path("web1")));
    EXPECT_FALSE(exists(files.marker_path("web1")));
}

TEST_F(RestoreExclusive, AnotherHostStillHoldingItIsAConflictNotAFailureAndTheTraceStays) {
    locks.failures[{kVm1, "exclusive"}] = {lock_conflict("vm1")};
    auto steps = host::restore_exclusive("san", plan(), locks, files, clock, false);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].result, "conflict");
    EXPECT_NE(steps[0].error.find("active on host 2 (hostb)"), std::string::npos);
    EXPECT_TRUE(exists(files.lock_path("web1")));
}

TEST_F(RestoreExclusive, AlreadyExclusiveIsNoStepAndCleansUp) {
    locks.vols[kVm1] = FakeVol::here("exclusive");
    auto steps = host::restore_exclusive("san", plan(), locks, files, clock, false);
    EXPECT_TRUE(steps.empty());
    EXPECT_EQ(locks.count("exclusive san/vm1"), 0u);
    EXPECT_FALSE(exists(files.lock_path("web1")));
}

TEST_F(RestoreExclusive, DryRunOnlyLooks) {
    auto steps = host::restore_exclusive("san", plan(), locks, files, clock, true);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].result, "planned");
    EXPECT_EQ(locks.calls, (std::vector<std::string>{"inspect san/vm1"}));
    EXPECT_TRUE(exists(files.lock_path("web1")));
}

TEST_F(RestoreExclusive, ADomainWhoseHandOverStartedMeanwhileIsLeftAlone) {
    auto held = files.lock("web1", clock, std::chrono::milliseconds(0));
    ASSERT_TRUE(held.ok());
    EXPECT_TRUE(host::restore_exclusive("san", plan(), locks, files, clock, false).empty());
    EXPECT_TRUE(locks.calls.empty());
}

TEST_F(RestoreExclusive, AVolumeOfAnotherPoolIsLeftToItsPassButKeepsTheTrace) {
    locks.vols[kOther] = FakeVol::here("shared");
    std::vector<host::RestoreDomain> p{{"web1", {disk("vda", kVm1), disk("vdc", kOther)}, false}};
    auto steps = host::restore_exclusive("san", p, locks, files, clock, false);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].volume, "vm1");
    EXPECT_EQ(locks.count("exclusive lab/data"), 0u);
    EXPECT_TRUE(exists(files.lock_path("web1")));
}

TEST_F(RestoreExclusive, OtherFailuresAreFailed) {
    locks.failures[{kVm1, "exclusive"}] = {system_error("lvchange: lvmlockd not running")};
    auto steps = host::restore_exclusive("san", plan(), locks, files, clock, false);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].result, "failed");
    EXPECT_EQ(steps[0].error, "lvchange: lvmlockd not running");
}

// --- files -----------------------------------------------------------------------------

TEST(HandoverFiles, OneHolderAtATimeAndACleanEndRemovesTheFile) {
    TempRunDir run;
    FakeClock clock;
    host::HandoverFiles files(run.path());
    EXPECT_FALSE(files.lock_held("web1"));
    auto a = files.lock("web1", clock, std::chrono::milliseconds(0));
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_TRUE(files.lock_held("web1"));
    EXPECT_TRUE(files.lock_held("web1"));   // a probe does not disturb the holder
    auto b = files.lock("web1", clock, std::chrono::milliseconds(1000));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, ErrorCode::conflict);
    // Attempts until the wait is over, then the conflict: 1 s of sleeps, no more.
    EXPECT_EQ(std::accumulate(clock.sleeps.begin(), clock.sleeps.end(), int64_t{0}), 1000);
    EXPECT_TRUE(files.lock("web2", clock, std::chrono::milliseconds(0)).ok());   // another domain: free
    a->remove_and_release();
    EXPECT_FALSE(exists(files.lock_path("web1")));
    EXPECT_FALSE(files.lock_held("web1"));
    // Created private.
    struct stat st{};
    ASSERT_EQ(::stat(files.dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(HandoverFiles, ALockOnARemovedFileDoesNotBlockTheNextHolder) {
    TempRunDir run;
    FakeClock clock;
    host::HandoverFiles files(run.path());
    auto a = files.lock("web1", clock, std::chrono::milliseconds(0));
    ASSERT_TRUE(a.ok());
    // Someone opened the file before the holder removed it, and locks it after.
    int stale = ::open(files.lock_path("web1").c_str(), O_RDWR);
    a->remove_and_release();
    ASSERT_EQ(::flock(stale, LOCK_EX | LOCK_NB), 0);
    // The stale inode does not count: a newcomer gets the current file.
    auto b = files.lock("web1", clock, std::chrono::milliseconds(0));
    EXPECT_TRUE(b.ok());
    ::close(stale);
}

TEST(HandoverFiles, ListsDomainsWithAMarkerOrALockFileAndReadsMarkerTimes) {
    TempRunDir run;
    FakeClock clock;
    host::HandoverFiles files(run.path());
    EXPECT_TRUE(files.domains().empty());
    run.write_marker(files, "web1", clock.wall - std::chrono::seconds(90));
    { auto l = files.lock("web2", clock, std::chrono::milliseconds(0)); }
    { auto l = files.lock("web1", clock, std::chrono::milliseconds(0)); }
    EXPECT_EQ(files.domains(), (std::vector<std::string>{"web1", "web2"}));
    auto traces = host::read_handover_traces(files, clock.wall);
    ASSERT_EQ(traces.size(), 2u);
    EXPECT_EQ(traces[0].marker_age, 90);
    EXPECT_TRUE(traces[0].lock_file);
    EXPECT_FALSE(traces[0].lock_held);
    EXPECT_FALSE(traces[1].marker_age.has_value());
    EXPECT_EQ(files.marker_path("web1"), run.path() + "/migrate/web1.incoming");
    files.remove_marker("web1");
    EXPECT_FALSE(files.marker_time("web1").has_value());
}

// --- status files ----------------------------------------------------------------------

TEST(LocalDomains, StatusFilesGiveStateAndDisks) {
    TempRunDir dir;
    auto write = [&](const char *name, const std::string &state_attrs) {
        std::ofstream(dir.path() + "/" + name + ".xml")
            << "<domstatus " << state_attrs << " pid='1'><domain type='kvm'><name>" << name << "</name><devices>"
            << "<disk type='block'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>"
            << "<disk type='block'><source dev='/dev/vg_san/vm2'/><target dev='vdb'/><shareable/></disk>"
            << "</devices></domain></domstatus>";
    };
    write("a-running", "state='running' reason='booted'");
    write("b-incoming", "state='paused' reason='migration'");
    write("c-user", "state='paused' reason='user'");
    std::ofstream(dir.path() + "/d-broken.xml") << "<domstatus";
    auto status = host::read_status_dir(dir.path(), {{"san", "vg_san"}});
    const auto &domains = status.domains;
    ASSERT_EQ(domains.size(), 3u);
    // The broken file is reported, not silently skipped: callers fail closed on it.
    ASSERT_EQ(status.unreadable.size(), 1u);
    EXPECT_EQ(status.unreadable[0].domain, "d-broken");
    // Another domain's unreadable file stops a start's check; its own does not.
    EXPECT_FALSE(host::disks_of_others(status, "web1").ok());
    EXPECT_TRUE(host::disks_of_others(status, "d-broken").ok());
    EXPECT_EQ(domains[0].name, "a-running");
    EXPECT_EQ(domains[0].run, DomainRun::active);
    EXPECT_EQ(domains[1].run, DomainRun::transitional);
    EXPECT_EQ(domains[2].run, DomainRun::active);
    // Paused for any reason (pool-rejoin resumes only a paused domain).
    EXPECT_FALSE(domains[0].paused);
    EXPECT_TRUE(domains[1].paused);
    EXPECT_TRUE(domains[2].paused);
    EXPECT_EQ(host::exclusive_volumes(domains[0].disks), (std::vector<VolumeRef>{kVm1}));
}

// --- vol-info / pool-info -----------------------------------------------------------------

TEST(VolumePlacement, ActiveHereHeldElsewhereOrFreeWithTheMode) {
    const std::string base = "<volume type='block'><name>vm1</name><capacity unit='bytes'>1</capacity>";
    auto v = host::summarize_vol(base + "<activation state='shared' open='yes' skip='yes' autoactivation='no'/></volume>");
    ASSERT_TRUE(v.ok());
    EXPECT_STREQ(host::placement_state(*v), "active-here");
    EXPECT_EQ(host::placement_mode(*v), "shared");
    EXPECT_EQ(host::describe_activation(*v), "active here, shared, open");

    v = host::summarize_vol(base + "<activation state='inactive' open='no' skip='yes' autoactivation='no'/>"
                                  "<holder host_id='2' name='kvm-b' mode='exclusive'/></volume>");
    ASSERT_TRUE(v.ok());
    EXPECT_STREQ(host::placement_state(*v), "held-elsewhere");
    EXPECT_EQ(host::placement_mode(*v), "exclusive");
    EXPECT_EQ(host::describe_activation(*v), "held by host 2 (kvm-b), exclusive");
    EXPECT_NE(cli::to_json(cli::to_json_value(*v)).find("\"mode\" : \"exclusive\""), std::string::npos);

    v = host::summarize_vol(base + "<activation state='inactive' open='no' skip='yes' autoactivation='no'/></volume>");
    ASSERT_TRUE(v.ok());
    EXPECT_STREQ(host::placement_state(*v), "free");
    EXPECT_EQ(host::placement_mode(*v), "");
}

}  // namespace
}  // namespace ilvm::test
