// SPDX-License-Identifier: LGPL-2.1-or-later
// The way back after storage-loss fencing (issue 19, `ilvm pool-rejoin`): what sanlock's
// status and lease dumps say about this host's generation and each lease, the commands'
// argv, Backend::rejoin_pool against FakeSystem (golden argv), and its XML both ways, read
// back by the host's parser.
#include <gtest/gtest.h>

#include <stdexcept>
#include <tuple>

#include "backend_fixture.hpp"
#include "dm/dm_argv.hpp"
#include "host/core/rejoin_wire.hpp"
#include "lvm/lvm_argv.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_table.hpp"
#include "xml/rejoin_xml.hpp"

namespace ilvm::test {
namespace {

const char *const kVm1Uuid = "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa";

// --- what sanlock says ------------------------------------------------------------------

// The recorded `sanlock client status -D` of the lab's host A: its lockspace's -D lines carry
// host_generation (1: the first join since sanlock started) and space_dead=0.
TEST(RejoinSanlock, HostGenerationOfTheRecordedStatus) {
    const auto st = sanlock::parse_sanlock_status(recorded("sanlock-client-status-D.txt"));
    const auto *ls = sanlock::find_lockspace(st, "lvm_vg");
    ASSERT_NE(ls, nullptr);
    EXPECT_EQ(ls->host_id, 1u);
    EXPECT_EQ(ls->host_generation, 1u);
    EXPECT_FALSE(ls->space_dead);
    // The "r" entries after it, with their own -D lines, change nothing of it.
    EXPECT_EQ(st.lockspaces.size(), 1u);
    // Without -D nothing says it.
    const auto plain = sanlock::parse_sanlock_status(recorded("sanlock-client-status.txt"));
    ASSERT_EQ(plain.lockspaces.size(), 1u);
    EXPECT_EQ(plain.lockspaces[0].host_generation, 0u);
}

TEST(RejoinSanlock, ADeadLockspaceIsStillListedAsJoined) {
    const auto st = sanlock::parse_sanlock_status(data_file("sanlock/status_D_dead_vg_san.txt"));
    const auto *ls = sanlock::find_lockspace(st, "lvm_vg_san");
    ASSERT_NE(ls, nullptr);
    EXPECT_TRUE(ls->joined());
    EXPECT_TRUE(ls->space_dead);
    EXPECT_EQ(ls->host_generation, 1u);
    const auto again = sanlock::parse_sanlock_status(data_file("sanlock/status_D_joined_vg_san_gen2.txt"));
    ASSERT_NE(sanlock::find_lockspace(again, "lvm_vg_san"), nullptr);
    EXPECT_EQ(sanlock::find_lockspace(again, "lvm_vg_san")->host_generation, 2u);
    EXPECT_FALSE(sanlock::find_lockspace(again, "lvm_vg_san")->space_dead);
    EXPECT_EQ(sanlock::find_lockspace(sanlock::parse_sanlock_status(data_file("sanlock/status_D_no_lockspace.txt")), "lvm_vg_san"),
              nullptr);
}

// A -D line under a line that is not a lockspace is no lockspace's.
TEST(RejoinSanlock, DebugLinesBelongToTheirOwnEntry) {
    const auto st = sanlock::parse_sanlock_status("s lvm_a:1:/dev/mapper/a-lvmlock:0\n"
                                                  "    host_generation=7\n"
                                                  "r lvm_a:R:/dev/mapper/a-lvmlock:1048576:7 p 215\n"
                                                  "    host_generation=9\n"
                                                  "    space_dead=1\n"
                                                  "s broken\n"
                                                  "    host_generation=11\n");
    ASSERT_EQ(st.lockspaces.size(), 1u);
    EXPECT_EQ(st.lockspaces[0].host_generation, 7u);
    EXPECT_FALSE(st.lockspaces[0].space_dead);
}

// record(): the leader of a lease whether it is held or free, the first one of a resource.
TEST(RejoinSanlock, TheRecordOfALease) {
    const sanlock::LeaseTable table(sanlock::parse_direct_dump(data_file("sanlock/dump_rejoin_leases.txt")), {});
    const auto *vm1 = table.record(kVm1Uuid);
    ASSERT_NE(vm1, nullptr);
    EXPECT_EQ(std::tuple(vm1->offset, vm1->owner_id, vm1->generation, vm1->lver, vm1->timestamp),
              std::tuple(uint64_t{70254592}, 1u, uint64_t{1}, uint64_t{3}, uint64_t{278}));
    const auto *unused = table.record("#unused");
    ASSERT_NE(unused, nullptr);
    EXPECT_EQ(unused->timestamp, 0u);
    EXPECT_EQ(table.record("no-such-lv"), nullptr);
}

// --- argv ----------------------------------------------------------------------------------

TEST(RejoinArgv, Commands) {
    EXPECT_EQ(lvm::lockctl_drop("vg_san").display(), "lvmlockctl --drop vg_san");
    EXPECT_EQ(lvm::lv_refresh("vg_san", "win-disk").display(), "lvchange --refresh vg_san/win-disk");
    EXPECT_EQ(dm::dmsetup_remove("vg_san-win--disk").display(), "dmsetup remove vg_san-win--disk");
    // The take-back: exclusive, and -K for the activation-skip flag every volume carries.
    EXPECT_EQ(lvm::lv_activate("vg_san", "vm1", lvm::ActivationMode::exclusive).display(), "lvchange -aey -K vg_san/vm1");
}

// --- Backend::rejoin_pool --------------------------------------------------------------

const std::vector<std::string> k_status{"sanlock", "client", "status"};
const std::vector<std::string> k_drop{"lvmlockctl", "--drop", "vg_san"};
const std::vector<std::string> k_lock_start{"vgchange", "--lock-start", "vg_san"};
const std::vector<std::string> k_delta{"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"};
const std::vector<std::string> k_vm1_lease{"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:70254592:8388608"};
const std::vector<std::string> k_activate_vm1{"lvchange", "-aey", "-K", "vg_san/vm1"};
const std::vector<std::string> k_refresh_vm1{"lvchange", "--refresh", "vg_san/vm1"};

class Rejoin : public BackendTest {
protected:
    // The lease LV's dump from `offset`, `size` bytes long.
    static std::vector<std::string> dump_at(uint64_t offset, uint64_t size) {
        return {"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:" + std::to_string(offset) + ":" + std::to_string(size)};
    }
    // The host after lease-lost: the lockspace joined again (generation 2), the volumes of
    // lvs_three.json, their leases as the loss left them (dump_rejoin_leases.txt), their
    // devices as lease-lost left them (info_fenced_vg_san.txt).
    void fenced_host(const std::string &leases_at, const std::string &leases_file = "dump_rejoin_leases.txt") {
        sys.on(k_status, ok_out(data_file("sanlock/status_D_joined_vg_san_gen2.txt")));
        lvs({"lvs_three.json"});
        sys.on(k_delta, ok_out(data_file("sanlock/dump_delta_rejoined.txt")));
        sys.on({"sanlock", "direct", "dump", leases_at}, ok_out(data_file("sanlock/" + leases_file)));
        sys.on({"dmsetup", "info"}, ok_out(data_file("dm/info_fenced_vg_san.txt")));
    }
    // The lockspace was gone: the first status lists none, the ones after the lock-start list it.
    void lockspace_gone() {
        sys.on(k_status, std::vector<CommandOutput>{ok_out(data_file("sanlock/status_D_no_lockspace.txt")),
                                                    ok_out(data_file("sanlock/status_D_joined_vg_san_gen2.txt"))});
    }
    // dmsetup's report with the open count of device `name` set to `open`.
    static std::string with_open_count(std::string info, const std::string &name, uint32_t open) {
        const size_t line = info.find(name + ":");
        const size_t end = info.find('\n', line);
        EXPECT_NE(line, std::string::npos) << name;
        const size_t colon = info.rfind(':', end);
        info.replace(colon + 1, end - colon - 1, std::to_string(open));
        return info;
    }
    Result<RejoinResult> rejoin(std::vector<RejoinVolume> volumes) { return backend->rejoin_pool(pool, {std::move(volumes)}); }
    // `name` is a plain pointer: g++ 14 (Debian 13) warns "possibly dangling reference to a
    // temporary" when a function returning a reference is passed a temporary std::string,
    // and werror turns that into a failed build.
    static const RejoinedVolume &named(const RejoinResult &r, const char *name) {
        for (const auto &v : r.volumes)
            if (v.name == name) return v;
        throw std::runtime_error("no volume " + std::string(name) + " in the result");
    }
};

// (a) The lockspace is gone: dropped from lvmlockd, started, asked again. vm1's lease still
// names this host from generation 1: it is locked again, its lease shows this acquisition
// alone (generation 2, lver 3 -> 4), its table is loaded again. vm3, not asked back, is
// closed: its device is removed, and the result names host 2, which holds it now.
TEST_F(Rejoin, TakesBackAnUntouchedVolumeAfterJoiningTheLockspaceAgain) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:10485760");
    lockspace_gone();
    sys.on(k_vm1_lease, ok_out(data_file("sanlock/dump_rejoin_vm1_taken_back.txt")));
    auto r = rejoin({{"vm1", true}, {"vm3", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    expect_golden("pool-rejoin", sys.transcript());
    EXPECT_TRUE(r->lockspace_started);
    ASSERT_EQ(r->volumes.size(), 2u);
    const auto &vm1 = r->volumes[0];
    EXPECT_EQ(vm1.name, "vm1");
    EXPECT_EQ(vm1.verdict, RejoinVerdict::taken_back) << vm1.detail;
    EXPECT_FALSE(vm1.holder);
    EXPECT_NE(vm1.detail.find("lver 3 -> 4"), std::string::npos) << vm1.detail;
    const auto &vm3 = r->volumes[1];
    EXPECT_EQ(vm3.verdict, RejoinVerdict::released) << vm3.detail;
    ASSERT_TRUE(vm3.holder);
    EXPECT_EQ(std::tuple(vm3.holder->host_id, vm3.holder->host_name), std::tuple(2u, std::string("kvm-b")));
    expect_in_order({"lvmlockctl --drop vg_san", "vgchange --lock-start vg_san", "lvchange -aey -K vg_san/vm1",
                     "sanlock direct dump /dev/mapper/vg_san-lvmlock:70254592:8388608", "lvchange --refresh vg_san/vm1",
                     "dmsetup remove vg_san-vm3"});
}

// A lockspace sanlock still has joined: nothing dropped or started, and nothing is asked of
// sanlock twice.
TEST_F(Rejoin, AJoinedLockspaceIsLeftAsItIs) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_vm1_lease, std::vector<CommandOutput>{ok_out(data_file("sanlock/dump_rejoin_leases.txt")),
                                                   ok_out(data_file("sanlock/dump_rejoin_vm1_taken_back.txt"))});
    auto r = rejoin({{"vm1", true}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->lockspace_started);
    EXPECT_EQ(named(*r, "vm1").verdict, RejoinVerdict::taken_back) << named(*r, "vm1").detail;
    expect_not_run(k_drop);
    expect_not_run(k_lock_start);
    size_t statuses = 0;
    for (const auto &c : sys.commands) statuses += c.argv.size() > 2 && c.argv[0] == "sanlock" && c.argv[1] == "client";
    EXPECT_EQ(statuses, 1u);
}

// (b) Host 2 acquired vm2's and vm3's leases while this host was cut off: neither is locked
// here, even though a domain here uses them. vm2 is still open (its paused domain): left, in
// use; vm3 is not: its device goes. Both name host 2.
TEST_F(Rejoin, AVolumeAnotherHostTookIsNeverTakenBack) {
    fenced_host("/dev/mapper/vg_san-lvmlock:71303168:9437184");
    auto r = rejoin({{"vm2", true}, {"vm3", true}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    expect_not_run({"lvchange"});
    const auto &vm2 = named(*r, "vm2");
    EXPECT_EQ(vm2.verdict, RejoinVerdict::in_use) << vm2.detail;
    EXPECT_EQ(vm2.detail, "open 1 time: destroy what uses it first");
    ASSERT_TRUE(vm2.holder);
    EXPECT_EQ(std::tuple(vm2.holder->host_id, vm2.holder->host_name, vm2.holder->shared),
              std::tuple(2u, std::string("kvm-b"), false));
    expect_not_run({"dmsetup", "remove", "vg_san-vm2"});
    const auto &vm3 = named(*r, "vm3");
    EXPECT_EQ(vm3.verdict, RejoinVerdict::released) << vm3.detail;
    ASSERT_TRUE(vm3.holder);
    EXPECT_EQ(vm3.holder->host_id, 2u);
    EXPECT_NE(vm3.detail.find("host 2 (kvm-b) acquired its lease"), std::string::npos) << vm3.detail;
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"dmsetup remove vg_san-vm3"});
}

// (c) lvchange got the lock, but the lease went from lver 3 to 5: another acquisition came
// between (another host had it, however briefly). The lock is ours; the table stays wiped.
TEST_F(Rejoin, ALeaseThatChangedHandsMeanwhileFailsTheTakeBack) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_vm1_lease, std::vector<CommandOutput>{ok_out(data_file("sanlock/dump_rejoin_leases.txt")),
                                                   ok_out(data_file("sanlock/dump_rejoin_vm1_changed_hands.txt"))});
    auto r = rejoin({{"vm1", true}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto &vm1 = named(*r, "vm1");
    EXPECT_EQ(vm1.verdict, RejoinVerdict::failed);
    EXPECT_EQ(vm1.detail, "its lease changed hands while it was taken back (lver 3 -> 5)");
    EXPECT_TRUE(sys.ran(k_activate_vm1));
    expect_not_run(k_refresh_vm1);
}

TEST_F(Rejoin, ARefusedLockFailsTheTakeBackAndTheOthersGoOn) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:10485760");
    sys.on(k_activate_vm1, fail_out(5, data_file("stderr/lvchange-aey-locked-by-other-host.txt")));
    auto r = rejoin({{"vm1", true}, {"vm3", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto &vm1 = named(*r, "vm1");
    EXPECT_EQ(vm1.verdict, RejoinVerdict::failed);
    EXPECT_NE(vm1.detail.find("lvchange -aey vg_san/vm1: "), std::string::npos) << vm1.detail;
    EXPECT_NE(vm1.detail.find("locked by other host"), std::string::npos) << vm1.detail;
    expect_not_run(k_vm1_lease);
    expect_not_run(k_refresh_vm1);
    EXPECT_EQ(named(*r, "vm3").verdict, RejoinVerdict::released);
}

TEST_F(Rejoin, AFailedRefreshFailsTheTakeBack) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_vm1_lease, std::vector<CommandOutput>{ok_out(data_file("sanlock/dump_rejoin_leases.txt")),
                                                   ok_out(data_file("sanlock/dump_rejoin_vm1_taken_back.txt"))});
    sys.on(k_refresh_vm1, fail_out(5, "  device-mapper: reload ioctl on  (253:3) failed: Invalid argument\n"));
    auto r = rejoin({{"vm1", true}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(named(*r, "vm1").verdict, RejoinVerdict::failed);
    EXPECT_NE(named(*r, "vm1").detail.find("lvchange --refresh vg_san/vm1: device-mapper: reload ioctl"), std::string::npos)
        << named(*r, "vm1").detail;
}

// vm1's lease is untouched, but no domain here uses it any more: its device goes, and the
// lease, still naming this host from generation 1, names no other host.
TEST_F(Rejoin, AnUntouchedVolumeNotAskedBackIsLetGo) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on({"dmsetup", "info"}, ok_out(with_open_count(data_file("dm/info_fenced_vg_san.txt"), "vg_san-vm1", 0)));
    auto r = rejoin({{"vm1", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto &vm1 = named(*r, "vm1");
    EXPECT_EQ(vm1.verdict, RejoinVerdict::released) << vm1.detail;
    EXPECT_FALSE(vm1.holder);
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"dmsetup remove vg_san-vm1"});
}

// This host locked vm1 again since the rejoin (an earlier pool-rejoin whose take-back failed
// its lease check; its domain is gone since): removing the device alone would leave the lock
// held in lvmlockd and every other host refused, so LVM deactivates it and lets the lock go.
TEST_F(Rejoin, AVolumeLockedSinceTheRejoinIsDeactivatedThroughLvm) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608", "dump_rejoin_vm1_taken_back.txt");
    sys.on({"dmsetup", "info"}, ok_out(with_open_count(data_file("dm/info_fenced_vg_san.txt"), "vg_san-vm1", 0)));
    auto r = rejoin({{"vm1", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(named(*r, "vm1").verdict, RejoinVerdict::released) << named(*r, "vm1").detail;
    EXPECT_FALSE(named(*r, "vm1").holder);   // this host itself
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"lvchange -an vg_san/vm1"});
}

// `old` was removed by another host meanwhile: not in lvs, its device still here and closed.
// `gone` has neither. Neither has a lease to read.
TEST_F(Rejoin, AVolumeNoLongerInThePoolHasItsDeviceRemoved) {
    fenced_host("unused");
    auto r = rejoin({{"old", true}, {"gone", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(named(*r, "old").verdict, RejoinVerdict::released);
    EXPECT_NE(named(*r, "old").detail.find("no longer a volume of the pool"), std::string::npos) << named(*r, "old").detail;
    EXPECT_EQ(named(*r, "gone").verdict, RejoinVerdict::released);
    expect_not_run({"sanlock", "direct"});
    EXPECT_EQ(sys.mutating_commands(), std::vector<std::string>{"dmsetup remove vg_san-old"});
}

TEST_F(Rejoin, AFailedRemovalIsThatVolumesFailure) {
    fenced_host("/dev/mapper/vg_san-lvmlock:72351744:8388608");
    sys.on({"dmsetup", "remove"}, fail_out(1, "device-mapper: remove ioctl on vg_san-vm3  failed: Device or resource busy\n"
                                              "Command failed.\n"));
    auto r = rejoin({{"vm3", false}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(named(*r, "vm3").verdict, RejoinVerdict::failed);
    EXPECT_NE(named(*r, "vm3").detail.find("Device or resource busy"), std::string::npos) << named(*r, "vm3").detail;
}

// (d) sanlock is still joining the lockspace (or leaving it): nothing is changed.
TEST_F(Rejoin, ALockspaceStillJoiningIsAConflictAndNothingChanges) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_status, ok_out(data_file("sanlock/status_joining_vg_san.txt")));
    auto r = rejoin({{"vm1", true}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(r.error().message, "lockspace lvm_vg_san is still being joined or left; run pool-rejoin again in a minute");
    EXPECT_NE(r.error().hint.find("ADD"), std::string::npos) << r.error().hint;
    expect_no_mutation();
    EXPECT_EQ(sys.commands.size(), 1u) << sys.transcript();
}

// Renewal failed and sanlock is ending the lockspace (lvmlockd still holds leases in it): it is
// still listed without ADD/REM, but it is not one to lock in.
TEST_F(Rejoin, ADeadLockspaceIsAConflictAndNothingChanges) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_status, ok_out(data_file("sanlock/status_D_dead_vg_san.txt")));
    auto r = rejoin({{"vm1", true}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_NE(r.error().hint.find("space_dead=1"), std::string::npos) << r.error().hint;
    expect_no_mutation();
}

// (e) The lock-start fails: its error, with the restart hint; nothing after it.
TEST_F(Rejoin, AFailedLockStartIsTheErrorAndNothingFollows) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    lockspace_gone();
    sys.on(k_lock_start, fail_out(5, "  VG vg_san start failed: lock manager sanlock is not running\n"));
    auto r = rejoin({{"vm1", true}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_EQ(r.error().message, "vgchange --lock-start vg_san: VG vg_san start failed: lock manager sanlock is not running");
    EXPECT_NE(r.error().hint.find("systemctl restart lvmlockd"), std::string::npos) << r.error().hint;
    EXPECT_NE(r.error().hint.find("stop guard"), std::string::npos) << r.error().hint;
    EXPECT_EQ(sys.mutating_commands(), (std::vector<std::string>{"lvmlockctl --drop vg_san", "vgchange --lock-start vg_san"}));
    EXPECT_EQ(sys.commands.back().display(), "vgchange --lock-start vg_san");
}

// A lock-start that exits 0 without joining (pool-start's check) is the same failure.
TEST_F(Rejoin, ALockStartThatDidNotJoinIsTheError) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    sys.on(k_status, ok_out(data_file("sanlock/status_D_no_lockspace.txt")));
    auto r = rejoin({{"vm1", true}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("sanlock has not joined lockspace lvm_vg_san"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().hint.find("systemctl restart lvmlockd"), std::string::npos) << r.error().hint;
    expect_not_run({"lvs"});
}

// lvmlockctl --drop exits 0 even when lvmlockd no longer had the lockspace; when it fails
// (lvmlockd does not answer) the lock-start still runs and decides.
TEST_F(Rejoin, AFailedDropDoesNotStopTheLockStart) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:8388608");
    lockspace_gone();
    sys.on(k_drop, fail_out(255, "Cannot connect to lvmlockd.\n"));
    sys.on(k_vm1_lease, std::vector<CommandOutput>{ok_out(data_file("sanlock/dump_rejoin_leases.txt")),
                                                   ok_out(data_file("sanlock/dump_rejoin_vm1_taken_back.txt"))});
    auto r = rejoin({{"vm1", true}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->lockspace_started);
    expect_in_order({"lvmlockctl --drop vg_san", "vgchange --lock-start vg_san", "lvchange -aey -K vg_san/vm1"});
}

// Without the leases nothing can be told apart: an error before anything changes (a paused
// domain would otherwise be destroyed for a failed read).
TEST_F(Rejoin, UnreadableLeasesAreAnErrorBeforeAnythingChanges) {
    fenced_host("/dev/mapper/vg_san-lvmlock:70254592:10485760");
    sys.on(k_delta, fail_out(1, "open error -5 /dev/mapper/vg_san-lvmlock\n"));
    auto r = rejoin({{"vm1", true}, {"vm3", false}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_NE(r.error().message.find("cannot read the sanlock leases of vg_san"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().hint.find("pool-rejoin san again"), std::string::npos) << r.error().hint;
    expect_no_mutation();
}

TEST_F(Rejoin, WithoutSanlockNothingIsDecided) {
    sys.on(k_status, fail_out(1, "sanlock daemon is not running\n"));
    auto r = rejoin({{"vm1", true}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::system);
    EXPECT_NE(r.error().hint.find("is sanlock running"), std::string::npos) << r.error().hint;
    expect_no_mutation();
}

// No volume asked about: the lockspace alone.
TEST_F(Rejoin, AnEmptyRequestRejoinsTheLockspaceOnly) {
    lockspace_gone();
    auto r = rejoin({});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->lockspace_started);
    EXPECT_TRUE(r->volumes.empty());
    expect_not_run({"lvs"});
    expect_not_run({"dmsetup"});
}

// (f) Only a sanlock pool has a lease to lose; a request naming a volume twice or a name
// LVM refuses is refused too. Nothing runs.
TEST_F(Rejoin, RefusedRequestsRunNothing) {
    use_pool("local.xml");
    auto local = rejoin({{"vm1", true}});
    ASSERT_FALSE(local.ok());
    EXPECT_EQ(local.error().code, ErrorCode::invalid_input);
    EXPECT_NE(local.error().message.find("sanlock"), std::string::npos) << local.error().message;
    use_pool("san.xml");
    for (const auto &bad : std::vector<std::vector<RejoinVolume>>{{{"vm1", true}, {"vm1", false}}, {{"lvmlock", false}},
                                                                  {{"-rf", false}}}) {
        auto r = rejoin(bad);
        ASSERT_FALSE(r.ok()) << bad[0].name;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << bad[0].name;
    }
    EXPECT_TRUE(sys.commands.empty()) << sys.transcript();
}

// --- XML -------------------------------------------------------------------------------

TEST(RejoinXml, ParsesTheHostsRequest) {
    auto req = parse_rejoin_request_xml(host::format_rejoin_request({{"web1", true}, {"db-1", false}}));
    ASSERT_TRUE(req.ok()) << req.error().message;
    ASSERT_EQ(req->volumes.size(), 2u);
    EXPECT_EQ(std::tuple(req->volumes[0].name, req->volumes[0].take_back), std::tuple(std::string("web1"), true));
    EXPECT_EQ(std::tuple(req->volumes[1].name, req->volumes[1].take_back), std::tuple(std::string("db-1"), false));
    auto bare = parse_rejoin_request_xml("<rejoin><volume name='vm1'/></rejoin>");
    ASSERT_TRUE(bare.ok());
    EXPECT_FALSE(bare->volumes[0].take_back);
    auto none = parse_rejoin_request_xml("");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->volumes.empty());
}

TEST(RejoinXml, RefusesBadRequests) {
    for (const char *bad : {"<rejoin><volume name='../etc'/></rejoin>", "<rejoin><volume name='lvmlock'/></rejoin>",
                            "<rejoin><volume name='-x'/></rejoin>", "<rejoin><volume/></rejoin>",
                            "<rejoin><volume name='vm1' take_back='maybe'/></rejoin>",
                            "<rejoin><volume name='vm1'/><volume name='vm1' take_back='yes'/></rejoin>",
                            "<rejoin><domain name='vm1'/></rejoin>", "<reconcile/>", "<rejoin>",
                            "<!DOCTYPE rejoin [<!ENTITY x 'vm1'>]><rejoin><volume name='&x;'/></rejoin>"}) {
        auto r = parse_rejoin_request_xml(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << bad;
    }
}

// What the module sends across the ABI is what the host reads, every field.
TEST(RejoinXml, TheHostReadsTheModulesAnswer) {
    PoolDef pool;
    pool.name = "san";
    pool.vg_name = "vg_san";
    RejoinResult r;
    r.lockspace_started = true;
    r.volumes.push_back({"web1", RejoinVerdict::taken_back, std::nullopt, "nobody acquired it (lver 3 -> 4)"});
    r.volumes.push_back({"db1", RejoinVerdict::in_use, sanlock::Holder{2, "kvm-b", false}, "open 1 time: destroy what uses it first"});
    r.volumes.push_back({"old", RejoinVerdict::released, sanlock::Holder{3, "", false}, ""});
    r.volumes.push_back({"x", RejoinVerdict::failed, std::nullopt, "lvchange -aey vg_san/x: it's <odd> & 'quoted'\nsecond"});
    const std::string xml = format_rejoin_xml(pool, r);
    EXPECT_EQ(xml.substr(0, xml.find('\n')), "<rejoin pool='san' vg='vg_san' lockspace='started'>");
    auto view = host::parse_rejoin(xml);
    ASSERT_TRUE(view.ok()) << view.error().message;
    EXPECT_TRUE(view->lockspace_started);
    ASSERT_EQ(view->volumes.size(), 4u);
    EXPECT_EQ(view->volumes[0].volume, "web1");
    EXPECT_TRUE(view->volumes[0].taken_back());
    EXPECT_EQ(view->volumes[0].holder_id, 0u);
    EXPECT_EQ(view->volumes[0].detail, r.volumes[0].detail);
    EXPECT_EQ(view->volumes[1].result, "in-use");
    EXPECT_EQ(std::tuple(view->volumes[1].holder_id, view->volumes[1].holder_name), std::tuple(2u, std::string("kvm-b")));
    EXPECT_TRUE(view->volumes[2].released());
    EXPECT_EQ(std::tuple(view->volumes[2].holder_id, view->volumes[2].holder_name), std::tuple(3u, std::string()));
    EXPECT_EQ(view->volumes[2].detail, "");
    EXPECT_EQ(view->volumes[3].result, "failed");
    EXPECT_EQ(view->volumes[3].detail, "lvchange -aey vg_san/x: it's <odd> & 'quoted' second");
    r.lockspace_started = false;
    auto joined = host::parse_rejoin(format_rejoin_xml(pool, r));
    ASSERT_TRUE(joined.ok());
    EXPECT_FALSE(joined->lockspace_started);
}

// The host refuses an answer that is not the module's (host/core/rejoin_wire).
TEST(RejoinXml, TheHostRefusesAnswersThatAreNotTheModules) {
    EXPECT_FALSE(host::parse_rejoin("<fencing/>").ok());
    EXPECT_FALSE(host::parse_rejoin("<rejoin><volume result='released'/></rejoin>").ok());
    EXPECT_FALSE(host::parse_rejoin("<rejoin><volume name='a' result='in-use' holder_id='x'/></rejoin>").ok());
    EXPECT_FALSE(host::parse_rejoin("<rejoin").ok());
}

}  // namespace
}  // namespace ilvm::test
