// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvm host-validate: sanlock's client output (recorded in the lab) and the checks run
// against FakeSystem, passing and failing.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/hostprep/host_validate.hpp"
#include "cli/hostprep/libvirt_pool_types.hpp"
#include "cli/hostprep/lvmlockd_guard.hpp"
#include "cli/hostprep/multipath_conf.hpp"
#include "common/host_system.hpp"
#include "common/pki_files.hpp"
#include "fake_system.hpp"
#include "sanlock/client_status.hpp"
#include "test_pki.hpp"

namespace ilvm::test {
namespace {

using cli::HostRoot;

std::string replaced(std::string text, const std::string &from, const std::string &to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

TEST(SanlockClient, ParsesRecordedStatusWithDebugLines) {
    auto st = sanlock::parse_sanlock_status(recorded("sanlock-client-status-D.txt"));
    EXPECT_EQ(st.daemon_name, "8c58c3fb-810e-4bb5-8d7c-13adfdc4d880.hosta");
    EXPECT_EQ(st.use_watchdog, true);
    ASSERT_EQ(st.lockspaces.size(), 1u);
    EXPECT_EQ(st.lockspaces[0].name, "lvm_vg");
    EXPECT_EQ(st.lockspaces[0].host_id, 1u);
}

TEST(SanlockClient, PlainStatusHasNoWatchdogField) {
    auto st = sanlock::parse_sanlock_status(recorded("sanlock-client-status.txt"));
    EXPECT_FALSE(st.use_watchdog);
    ASSERT_EQ(st.lockspaces.size(), 1u);
    auto off = sanlock::parse_sanlock_status(replaced(recorded("sanlock-client-status-D.txt"), "use_watchdog=1", "use_watchdog=0"));
    EXPECT_EQ(off.use_watchdog, false);
}

// sanlock 3.8 client_cmd.c prints " ADD" / " REM" / " ORPHAN" after a lockspace that is not
// (or no longer) joined: its host_id is known, but the host is not in the lockspace yet.
TEST(SanlockClient, ALockspaceStillJoiningIsNotJoined) {
    const std::string joined = recorded("sanlock-client-status.txt");
    EXPECT_EQ(sanlock::joined_host_id(sanlock::parse_sanlock_status(joined), "lvm_vg"), 1u);
    for (const char *list : {"ADD", "REM", "ORPHAN"}) {
        auto st = sanlock::parse_sanlock_status(replaced(joined, "vg-lvmlock:0\n", std::string("vg-lvmlock:0 ") + list + "\n"));
        ASSERT_NE(sanlock::find_lockspace(st, "lvm_vg"), nullptr) << list;
        EXPECT_EQ(sanlock::find_lockspace(st, "lvm_vg")->list, list);
        EXPECT_EQ(sanlock::find_lockspace(st, "lvm_vg")->host_id, 1u);
        EXPECT_EQ(sanlock::joined_host_id(st, "lvm_vg"), std::nullopt) << list;
    }
}

TEST(SanlockClient, ParsesRecordedHostStatus) {
    auto hosts = sanlock::parse_sanlock_host_status(recorded("sanlock-client-host_status.txt"));
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[1].host_id, 2u);
    EXPECT_EQ(hosts[1].timestamp, 160u);
    EXPECT_EQ(hosts[1].last_check, 177u);
    EXPECT_EQ(hosts[1].io_timeout, 10u);
    EXPECT_EQ(hosts[1].owner_name, "10ea238d-cc8b-41ae-afec-1e3a11c9d2fd.hostb");
    EXPECT_TRUE(sanlock::sanlock_host_live(hosts[0]));
    EXPECT_TRUE(sanlock::sanlock_host_live(hosts[1]));
}

TEST(SanlockClient, LivenessFollowsSanlocksFailTime) {
    sanlock::SanlockHost h{2, 160, 300, 220, 10, "x.hostb"};
    EXPECT_TRUE(sanlock::sanlock_host_live(h));    // 80 s without a renewal: not yet failing
    h.last_check = 301;
    EXPECT_FALSE(sanlock::sanlock_host_live(h));   // 81 s: failing, then dead
    h.last_live = 0;
    EXPECT_TRUE(sanlock::sanlock_host_live(h));    // never seen moving yet: it may be live
    h.timestamp = 0;
    EXPECT_FALSE(sanlock::sanlock_host_live(h));   // left the lockspace cleanly
    EXPECT_EQ(sanlock::sanlock_client_host_status("lvm_vg").display(), "sanlock client host_status -s lvm_vg -D");
}

class HostValidate : public ::testing::Test {
protected:
    const std::string root = "/r";
    const std::string hook_dir = "/etc/libvirt/hooks/qemu.d";
    FakeSystem fake;

    // A host that passes every check, as hosta of the lab recordings (host_id 1).
    void SetUp() override {
        fake.files[root + "/proc/modules"] =
            "dm_mod 184320 9 - Live 0x0000000000000000\niscsi_tcp 24576 2 - Live 0x0000000000000000\n";
        fake.paths.insert(root + "/dev/watchdog");
        fake.files[root + "/etc/iscsi/initiatorname.iscsi"] = data_file("host/initiatorname.iscsi");
        ASSERT_TRUE(fake.write_file(root + hook_dir + "/50-iscsi-lvm", "hook", 0755).ok());
        fake.files[root + cli::kLvmlockdDropIn] = cli::lvmlockd_drop_in();
        processes({{1, "systemd"}, {234, "lvmlockd"}});
        fake.files[root + "/run/lvmlockd.pid"] = "234\n";
        lvmconfig("1", "1", "0");
        kill_command("");   // Debian's default: commented out, empty
        fake.on({"systemctl", "is-active"}, ok_out("active\nactive\nactive\nactive\n"));
        fake.on({"systemctl", "is-active", "iscsi-lvm.service"}, ok_out("active\nactive\nactive\nactive\n"));
        fake.on({"systemctl", "is-enabled", "iscsi-lvm.service"}, ok_out("enabled\nenabled\nenabled\nenabled\n"));
        fake.on({"sanlock", "client", "status"}, ok_out(recorded("sanlock-client-status-D.txt")));
        fake.on({"sanlock", "client", "host_status", "-s", "lvm_vg"}, ok_out(recorded("sanlock-client-host_status.txt")));
        fake.on(cli::virsh_pool_capabilities().argv, ok_out(data_file("libvirt/pool-capabilities-libvirt-9.0.xml")));
        install_pki("good");
    }
    // libvirt's TLS files from tests/data/pki/make-pki.sh's `which` (good, rogue), keys 0600.
    void install_pki(const std::string &which) {
        ASSERT_NE(test_pki_dir(), nullptr) << "openssl could not make the test PKI (tests/data/pki/make-pki.sh)";
        const PkiFiles from = libvirt_pki(*test_pki_dir() + "/" + which), to = libvirt_pki(root);
        for (auto file : {&PkiFiles::ca, &PkiFiles::server_cert, &PkiFiles::server_key, &PkiFiles::client_cert,
                          &PkiFiles::client_key}) {
            HostSystem host;
            auto text = host.read_file(from.*file);
            ASSERT_TRUE(text.ok()) << text.error().message;
            fake.files[to.*file] = *text;
        }
        fake.modes[to.server_key] = 0600;
        fake.modes[to.client_key] = 0600;
    }
    void processes(const std::vector<std::pair<long, std::string>> &running) {
        auto &names = fake.dirs[root + "/proc"];
        names = {"self", "meminfo"};
        for (const auto &[pid, comm] : running) {
            names.push_back(std::to_string(pid));
            fake.files[root + "/proc/" + std::to_string(pid) + "/comm"] = comm + "\n";
        }
    }
    void lvmconfig(const std::string &lockd, const std::string &host_id, const std::string &scan_lvs) {
        fake.on({"lvmconfig", "--typeconfig", "full", "global/use_lvmlockd", "local/host_id", "devices/scan_lvs"},
                ok_out("use_lvmlockd=" + lockd + "\nhost_id=" + host_id + "\nscan_lvs=" + scan_lvs + "\n"));
    }
    // lvmconfig's answer for global/lvmlockctl_kill_command (asked on its own).
    void kill_command(const std::string &value) {
        fake.on({"lvmconfig", "--typeconfig", "full", "global/lvmlockctl_kill_command"},
                ok_out("lvmlockctl_kill_command=\"" + value + "\"\n"));
    }
    std::string kill_command_line() {
        for (const auto &l : lines())
            if (l.find(" lvm lvmlockctl_kill_command") != std::string::npos) return l;
        return "";
    }
    std::vector<std::string> lines() {
        std::vector<std::string> out;
        for (const auto &c : cli::validate_host(fake, HostRoot(root), hook_dir)) out.push_back(cli::format_check(c));
        return out;
    }
    std::vector<std::string> failures() {
        std::vector<std::string> out;
        for (const auto &l : lines())
            if (l.rfind("FAIL ", 0) == 0) out.push_back(l);
        return out;
    }
};

TEST_F(HostValidate, AReadyHostPassesEveryCheck) {
    EXPECT_EQ(lines(), (std::vector<std::string>{
                           "ok   kernel module dm_mod", "ok   kernel module iscsi_tcp", "ok   watchdog device",
                           "ok   lvm use_lvmlockd", "ok   lvm host_id", "ok   lvm scan_lvs off",
                           "WARN lvm lvmlockctl_kill_command: not set: a host that loses the LUN is reset by its "
                           "watchdog, its pools' I/O is not stopped first (fix: ilvm host-setup --host-id N (sets it "
                           "unless --no-fence-on-lease-loss))",
                           "ok   initiator name",
                           "ok   libvirt hook", "ok   libvirt logical pool backend", "ok   daemon wdmd", "ok   daemon sanlock", "ok   daemon lvmlockd",
                           "ok   daemon iscsid",
                           "ok   multipath: multipath-tools not installed: pools with one portal only (apt install "
                           "multipath-tools for pools with several)",
                           "ok   lvmlockd stop guard", "ok   lvmlockd pid file",
                           "ok   sanlock uses the watchdog", "ok   host_id unique",
                           "ok   unit iscsi-lvm.service enabled", "ok   unit iscsi-lvm-reconcile.timer enabled",
                           "ok   unit iscsi-lvm-mirror.service enabled", "ok   unit ilvmd.service enabled",
                           "ok   unit iscsi-lvm.service active", "ok   unit iscsi-lvm-reconcile.timer active",
                           "ok   unit iscsi-lvm-mirror.service active", "ok   unit ilvmd.service active",
                           "ok   agent certificates"}));
    std::ostringstream out;
    EXPECT_TRUE(cli::host_validate_run(fake, HostRoot(root), hook_dir, false, out).ok());
}

// Debian 13's libvirt loads only the storage backends installed (one package each): without
// libvirt-daemon-driver-storage-logical the mirror pool cannot start (the lab's first Debian
// 13 run: "missing backend for pool type 3 (logical)"). libvirt then answers the same
// document with supported='no' for `logical`.
TEST(LibvirtPoolTypes, ReadsWhichTypesHaveABackend) {
    auto types = cli::supported_pool_types(data_file("libvirt/pool-capabilities-libvirt-9.0.xml"));
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(types->count("logical"), 1u);
    EXPECT_EQ(types->count("iscsi"), 1u);
    EXPECT_EQ(types->count("rbd"), 0u);   // supported='no': not built into Debian 12's libvirt-daemon
    EXPECT_EQ(cli::virsh_pool_capabilities().display(), "virsh --connect qemu:///system pool-capabilities");
    EXPECT_FALSE(cli::supported_pool_types("").ok());
    EXPECT_FALSE(cli::supported_pool_types("<capabilities><pool type='logical' supported='yes'/></capabilities>").ok());
}

TEST_F(HostValidate, AMissingLogicalBackendFailsNamingThePackage) {
    fake.on(cli::virsh_pool_capabilities().argv,
            ok_out(replaced(data_file("libvirt/pool-capabilities-libvirt-9.0.xml"), "<pool type='logical' supported='yes'>",
                            "<pool type='logical' supported='no'>")));
    EXPECT_EQ(failures(), (std::vector<std::string>{
                              "FAIL libvirt logical pool backend: libvirt has no backend for logical pools: the mirror "
                              "pool cannot start and virsh shows no volume of this host's pools (fix: apt-get install "
                              "libvirt-daemon-driver-storage-logical (Debian 13), then systemctl restart libvirtd)"}));
}

// A check that cannot decide does not pass: no libvirtd to ask, or an answer that is not
// libvirt's pool capabilities.
TEST_F(HostValidate, ALogicalBackendThatCannotBeAskedFails) {
    fake.on(cli::virsh_pool_capabilities().argv, fail_out(1, data_file("libvirt/pool-capabilities-no-daemon.stderr")));
    EXPECT_EQ(failures(), (std::vector<std::string>{
                              "FAIL libvirt logical pool backend: virsh pool-capabilities failed: Failed to connect "
                              "socket to '/run/libvirt/absent-sock': No such file or directory (the mirror pool needs "
                              "libvirt) (fix: systemctl start libvirtd, then ilvm host-validate again)"}));
    fake.on(cli::virsh_pool_capabilities().argv, ok_out("error: unknown command: 'pool-capabilities'\n"));
    EXPECT_EQ(failures(), (std::vector<std::string>{
                              "FAIL libvirt logical pool backend: cannot read virsh pool-capabilities: libvirt's pool "
                              "capabilities is not well-formed: line 1: Start tag expected, '<' not found (fix: check "
                              "that virsh --connect qemu:///system pool-capabilities prints libvirt's pool capabilities)"}));
    // No virsh at all (libvirt-clients not installed): the runner could not start it.
    fake.fail_to_run(cli::virsh_pool_capabilities().argv, system_error("cannot run virsh: No such file or directory"));
    EXPECT_EQ(failures(), (std::vector<std::string>{
                              "FAIL libvirt logical pool backend: cannot run virsh: No such file or directory (fix: "
                              "apt-get install libvirt-clients)"}));
}

TEST_F(HostValidate, BuiltInModulesAndSoftdogLoadedAtBootCount) {
    fake.files[root + "/proc/modules"] = "softdog 16384 2 - Live 0x0000000000000000\n";
    fake.paths = {root + "/sys/module/dm_mod", root + "/sys/module/iscsi_tcp"};
    fake.files[root + "/etc/modules"] = "# /etc/modules\nsoftdog   # wdmd\n";
    EXPECT_EQ(failures(), std::vector<std::string>{});
}

// wdmd starts before any pool at boot: softdog loaded by hand today is gone after a reboot,
// and with it wdmd, sanlock and every pool.
TEST_F(HostValidate, SoftdogLoadedOnlyUntilTheNextBootFails) {
    fake.files[root + "/proc/modules"] += "softdog 16384 2 - Live 0x0000000000000000\n";
    fake.files[root + "/sys/class/watchdog/watchdog0/identity"] = "Software Watchdog\n";
    fake.dirs[root + "/etc/modules-load.d"] = {"other.conf"};
    fake.files[root + "/etc/modules-load.d/other.conf"] = "# softdog\n;softdog\nsoftdogs\n";
    EXPECT_EQ(failures(), std::vector<std::string>{
                              "FAIL watchdog device: softdog is loaded now but not at boot: after a reboot wdmd, sanlock "
                              "and every pool fail (fix: ilvm host-setup --host-id N (loads softdog now and at boot), or "
                              "load your hardware watchdog's driver)"});
    fake.files[root + "/sys/class/watchdog/watchdog0/identity"] = "iTCO_wdt\n";   // a hardware one needs nothing
    EXPECT_EQ(failures(), std::vector<std::string>{});
}

TEST_F(HostValidate, EachProblemIsOneFailLineWithItsFix) {
    fake.files.erase(root + "/proc/modules");
    fake.paths.clear();
    fake.files[root + "/etc/iscsi/initiatorname.iscsi"] = "InitiatorName=\n";
    fake.modes[root + hook_dir + "/50-iscsi-lvm"] = 0644;
    lvmconfig("0", "0", "1");
    fake.on({"systemctl", "is-active"}, CommandOutput{3, "active\ninactive\nactive\nfailed\n", {}});
    fake.on({"systemctl", "is-active", "iscsi-lvm.service"}, CommandOutput{3, "active\nactive\ninactive\nactive\n", {}});
    fake.on({"sanlock", "client", "status"},
            ok_out(replaced(recorded("sanlock-client-status-D.txt"), "use_watchdog=1", "use_watchdog=0")));
    EXPECT_EQ(failures(),
              (std::vector<std::string>{
                  "FAIL kernel module dm_mod: not loaded (fix: modprobe dm_mod && echo dm_mod >> /etc/modules-load.d/iscsi-lvm.conf)",
                  "FAIL kernel module iscsi_tcp: not loaded (fix: modprobe iscsi_tcp && echo iscsi_tcp >> /etc/modules-load.d/iscsi-lvm.conf)",
                  "FAIL watchdog device: no /dev/watchdog and softdog is not loaded (fix: ilvm host-setup --host-id N (loads "
                  "softdog now and at boot), or load your hardware watchdog's driver)",
                  "FAIL lvm use_lvmlockd: global/use_lvmlockd is 0 (fix: ilvm host-setup --host-id N (sets use_lvmlockd = 1 in "
                  "/etc/lvm/lvm.conf))",
                  "FAIL lvm host_id: local/host_id is not set (fix: ilvm host-setup --host-id N (N from 1 to 2000, unique among "
                  "the hosts sharing a LUN))",
                  "FAIL lvm scan_lvs off: devices/scan_lvs is 1: LVM here reads PVs inside volumes, guests' too (fix: set "
                  "scan_lvs = 0 in the devices section of /etc/lvm/lvm.conf)",
                  "FAIL initiator name: no InitiatorName in /etc/iscsi/initiatorname.iscsi (fix: ilvm host-setup --host-id N "
                  "--initiator iqn.YYYY-MM.reversed.domain:host)",
                  "FAIL libvirt hook: /etc/libvirt/hooks/qemu.d/50-iscsi-lvm is not executable (fix: chmod 0755 "
                  "/etc/libvirt/hooks/qemu.d/50-iscsi-lvm)",
                  "FAIL daemon sanlock: inactive (fix: systemctl enable --now sanlock)",
                  "FAIL daemon iscsid: failed (fix: systemctl enable --now iscsid)",
                  "FAIL sanlock uses the watchdog: sanlock runs with -w 0 (fix: ilvm host-setup --host-id N (sets -w 1 in "
                  "/etc/default/sanlock), then systemctl restart wdmd sanlock while no pool is started here)",
                  "FAIL host_id unique: no valid host_id to compare (fix: ilvm host-setup --host-id N)",
                  "FAIL unit iscsi-lvm-mirror.service active: inactive (fix: systemctl enable --now "
                  "iscsi-lvm-mirror.service)",
              }));
    std::ostringstream out;
    Status st = cli::host_validate_run(fake, HostRoot(root), hook_dir, false, out);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::system);
    EXPECT_EQ(st.error().message, "13 of 28 host checks failed");
}

// multipath-tools installed: host-setup's drop-in with its values, multipathd running and LVM
// telling a map's paths from PVs; every problem in the one check, the first one's fix.
TEST_F(HostValidate, MultipathWhenInstalled) {
    auto multipath_line = [&] {
        for (const auto &l : lines())
            if (l.find(" multipath") == 4) return l;
        return std::string();
    };
    fake.paths.insert(root + "/usr/sbin/multipathd");
    fake.on({"systemctl", "is-active", "multipathd"}, ok_out("active\n"));
    fake.on({"lvmconfig", "--typeconfig", "full", "devices/multipath_component_detection"},
            ok_out("multipath_component_detection=1\n"));
    EXPECT_EQ(multipath_line(),
              "FAIL multipath: /etc/multipath/conf.d/iscsi-lvm.conf is missing (fix: ilvm host-setup --host-id N)");
    fake.files[root + "/etc/multipath/conf.d/iscsi-lvm.conf"] = cli::multipath_drop_in();
    EXPECT_EQ(multipath_line(), "ok   multipath: /etc/multipath/conf.d/iscsi-lvm.conf, multipathd active");
    EXPECT_EQ(failures(), std::vector<std::string>{});

    fake.files[root + "/etc/multipath/conf.d/iscsi-lvm.conf"] =
        replaced(cli::multipath_drop_in(), "no_path_retry 13", "no_path_retry queue");
    fake.on({"systemctl", "is-active", "multipathd"}, CommandOutput{3, "inactive\n", {}});
    fake.on({"lvmconfig", "--typeconfig", "full", "devices/multipath_component_detection"},
            ok_out("multipath_component_detection=0\n"));
    EXPECT_EQ(multipath_line(),
              "FAIL multipath: /etc/multipath/conf.d/iscsi-lvm.conf sets overrides/no_path_retry to queue, not 13; "
              "multipathd is inactive; devices/multipath_component_detection is 0: LVM would take a multipath map's "
              "paths for PVs as well (fix: ilvm host-setup --host-id N)");
    fake.files[root + "/etc/multipath/conf.d/iscsi-lvm.conf"] = cli::multipath_drop_in();
    EXPECT_EQ(multipath_line(),
              "FAIL multipath: multipathd is inactive; devices/multipath_component_detection is 0: LVM would take a "
              "multipath map's paths for PVs as well (fix: systemctl enable --now multipathd)");
}

// Measured in e2e `faults`: a timed-out `systemctl restart lvmlockd` leaves the same lvmlockd
// running and systemd deletes its pid file; LVM then takes lvmlockd for stopped.
TEST_F(HostValidate, LvmlockdWithoutItsPidFileFailsAndTheRestoreWritesIt) {
    fake.files.erase(root + "/run/lvmlockd.pid");
    auto f = failures();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rfind("FAIL lvmlockd pid file: lvmlockd (pid 234) runs but /run/lvmlockd.pid is missing", 0), 0u) << f[0];
    auto restored = cli::restore_lvmlockd_pid_file(fake, HostRoot(root));
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(*restored, 234);
    EXPECT_EQ(fake.files[root + "/run/lvmlockd.pid"], "234\n");
    EXPECT_EQ(fake.modes[root + "/run/lvmlockd.pid"], 0644u);
    EXPECT_EQ(failures(), std::vector<std::string>{});
    // A second restore has nothing to do.
    restored = cli::restore_lvmlockd_pid_file(fake, HostRoot(root));
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(*restored, std::nullopt);
}

TEST_F(HostValidate, APidFileNamingAnotherProcessOrGarbageIsRewritten) {
    for (const char *text : {"999\n", "lvmlockd\n", ""}) {
        fake.files[root + "/run/lvmlockd.pid"] = text;
        auto f = failures();
        ASSERT_EQ(f.size(), 1u) << text;
        EXPECT_EQ(f[0].rfind("FAIL lvmlockd pid file: ", 0), 0u) << f[0];
        auto restored = cli::restore_lvmlockd_pid_file(fake, HostRoot(root));
        ASSERT_TRUE(restored.ok());
        EXPECT_EQ(*restored, 234);
        EXPECT_EQ(failures(), std::vector<std::string>{}) << text;
    }
}

TEST_F(HostValidate, TwoLvmlockdOrNoProcfsAreLeftToAHuman) {
    processes({{234, "lvmlockd"}, {901, "lvmlockd"}});
    fake.files.erase(root + "/run/lvmlockd.pid");
    EXPECT_EQ(failures(), std::vector<std::string>{
                              "FAIL lvmlockd pid file: 2 lvmlockd processes run (pids 234, 901) (fix: find the one that "
                              "holds the locks (lvmlockctl -i) before anything else; see troubleshooting, The fault matrix)"});
    auto restored = cli::restore_lvmlockd_pid_file(fake, HostRoot(root));
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(*restored, std::nullopt);
    EXPECT_FALSE(fake.files.count(root + "/run/lvmlockd.pid"));

    fake.dirs.erase(root + "/proc");
    auto f = failures();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0], "FAIL lvmlockd pid file: no such directory: /r/proc (fix: check that /proc is mounted)");
    EXPECT_FALSE(cli::restore_lvmlockd_pid_file(fake, HostRoot(root)).ok());
}

TEST_F(HostValidate, NoLvmlockdRunningIsNotThisChecksFailure) {
    processes({{1, "systemd"}});
    fake.files.erase(root + "/run/lvmlockd.pid");
    EXPECT_EQ(failures(), std::vector<std::string>{});
}

TEST_F(HostValidate, WithoutTheStopGuardAManualRestartIsNotRefused) {
    fake.files[root + cli::kLvmlockdDropIn] = "[Unit]\nRefuseManualStop=no\n";
    auto f = failures();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rfind("FAIL lvmlockd stop guard: no RefuseManualStop=yes in /etc/systemd/system/lvmlockd.service.d/", 0), 0u);
    fake.files.erase(root + cli::kLvmlockdDropIn);
    EXPECT_EQ(failures().size(), 1u);
}

TEST_F(HostValidate, AnotherLiveHostWithOurHostIdFails) {
    // This host now says host_id 2, but its lockspace runs with 1, and hostb is live as 2.
    lvmconfig("1", "2", "0");
    EXPECT_EQ(failures(), std::vector<std::string>{
                              "FAIL host_id unique: lockspace lvm_vg runs with host_id 1, lvm says 2; live host hostb also "
                              "uses host_id 2 in lockspace lvm_vg (fix: ilvm pool-destroy and ilvm pool-start its pool so "
                              "that it rejoins with host_id 2)"});
}

TEST_F(HostValidate, DeadOrFreeHostsDoNotCount) {
    lvmconfig("1", "2", "0");
    // hostb stopped renewing 100 s before our last check (fail time: 80 s).
    fake.on({"sanlock", "client", "host_status", "-s", "lvm_vg"},
            ok_out(replaced(recorded("sanlock-client-host_status.txt"), "timestamp 160\n    last_check=177\n    last_live=177",
                            "timestamp 160\n    last_check=277\n    last_live=177")));
    auto f = failures();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].find("live host"), std::string::npos) << f[0];
}

TEST_F(HostValidate, SanlockOrLvmconfigUnreachable) {
    fake.on({"sanlock", "client", "status"}, fail_out(1, "connect error -2\n"));
    fake.on({"lvmconfig"}, fail_out(5, "  Parse error at byte 12 (line 1): unexpected token\n"));
    fake.on({"systemctl", "is-active"}, CommandOutput{1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"});
    auto f = failures();
    // 9, and our four units' "active" checks, asked of the same systemctl.
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(f[0],
              "FAIL lvm use_lvmlockd: lvmconfig failed: Parse error at byte 12 (line 1): unexpected token (fix: install lvm2 "
              "and lvm2-lockd; lvmconfig --validate shows errors in /etc/lvm/lvm.conf)");
    EXPECT_EQ(f[3],
              "FAIL daemon wdmd: systemctl is-active answered 0 states for 4 units: System has not been booted with systemd "
              "as init system (PID 1). Can't operate. (fix: check that systemd runs this host: systemctl is-system-running)");
    EXPECT_EQ(f[7], "FAIL sanlock uses the watchdog: sanlock client status failed: connect error -2 (fix: systemctl enable --now wdmd sanlock)");
}

constexpr const char *kRefused = ": a stock virsh migrate to or from this host is refused (ilvm migrate still works)";
constexpr const char *kInstallCertificates =
    " (fix: install the cluster CA and this host's libvirt server and client certificates (the files virsh migrate "
    "over qemu+tls:// uses; virt-pki-validate checks them; see docs/agent.md, Peer channel))";

TEST_F(HostValidate, WithoutCertificatesAStockMigrationIsRefusedAndSaysSo) {
    const PkiFiles pki = libvirt_pki(root);
    for (const auto &f : {pki.ca, pki.server_cert, pki.server_key, pki.client_cert, pki.client_key}) fake.files.erase(f);
    EXPECT_EQ(failures(), std::vector<std::string>{
                              std::string("FAIL agent certificates: /etc/pki/CA/cacert.pem is missing; "
                                          "/etc/pki/libvirt/servercert.pem is missing; /etc/pki/libvirt/private/serverkey.pem "
                                          "is missing; /etc/pki/libvirt/clientcert.pem is missing; "
                                          "/etc/pki/libvirt/private/clientkey.pem is missing") +
                              kRefused + kInstallCertificates});
}

// rogue/: the cluster's cacert.pem, but server and client certificates from another CA.
TEST_F(HostValidate, CertificatesFromAnotherCaFail) {
    install_pki("rogue");
    EXPECT_EQ(failures(), std::vector<std::string>{
                              std::string("FAIL agent certificates: the server certificate /etc/pki/libvirt/servercert.pem "
                                          "is not signed by the CA in /etc/pki/CA/cacert.pem; the client certificate "
                                          "/etc/pki/libvirt/clientcert.pem is not signed by the CA in /etc/pki/CA/cacert.pem") +
                              kRefused + kInstallCertificates});
}

TEST_F(HostValidate, AKeyOthersCanReadFailsWithItsChmod) {
    fake.modes[root + "/etc/pki/libvirt/private/serverkey.pem"] = 0644;
    EXPECT_EQ(failures(), std::vector<std::string>{
                              std::string("FAIL agent certificates: /etc/pki/libvirt/private/serverkey.pem is readable by "
                                          "other users than its owner (mode 0644)") +
                              kRefused + " (fix: chmod 600 /etc/pki/libvirt/private/serverkey.pem)"});
}

// A key that is not the certificate's, or a CA file that holds no certificate.
TEST_F(HostValidate, ACertificateThatDoesNotLoadIsNamed) {
    const PkiFiles pki = libvirt_pki(root);
    fake.files[pki.client_key] = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
    fake.files[pki.ca] = "not a certificate\n";
    auto f = failures();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rfind("FAIL agent certificates: /etc/pki/CA/cacert.pem is not a certificate: ", 0), 0u) << f[0];
    EXPECT_NE(f[0].find("; the client certificate /etc/pki/libvirt/clientcert.pem with its key "
                        "/etc/pki/libvirt/private/clientkey.pem cannot be loaded: "),
              std::string::npos)
        << f[0];
    // Without a CA nothing is verified against it: the server pair only loads.
    EXPECT_EQ(f[0].find("servercert.pem"), std::string::npos) << f[0];
}

// Storage-loss fencing (issue 19, host-setup's default): unset warns (the ready host above),
// another command is informational, ours without its binary fails.
TEST_F(HostValidate, TheKillCommandIsReportedAndFailsOnlyWithoutItsBinary) {
    kill_command("/usr/sbin/ilvm lease-lost");
    ASSERT_TRUE(fake.write_file(root + "/usr/sbin/ilvm", "ilvm", 0755).ok());
    EXPECT_EQ(kill_command_line(), "ok   lvm lvmlockctl_kill_command: /usr/sbin/ilvm lease-lost: a pool whose VG loses its "
                                   "lease has its I/O stopped here, not the host reset");
    fake.files.erase(root + "/usr/sbin/ilvm");
    EXPECT_EQ(failures(), std::vector<std::string>{
                              "FAIL lvm lvmlockctl_kill_command: /usr/sbin/ilvm lease-lost, but /usr/sbin/ilvm does not "
                              "exist: lvmlockctl cannot run it, a host that loses the LUN is reset by its watchdog (fix: "
                              "install iscsi-lvm, then ilvm host-setup --host-id N)"});
    ASSERT_TRUE(fake.write_file(root + "/usr/sbin/ilvm", "ilvm", 0644).ok());
    EXPECT_NE(kill_command_line().find("FAIL lvm lvmlockctl_kill_command: /usr/sbin/ilvm lease-lost, but /usr/sbin/ilvm is "
                                       "not executable"),
              std::string::npos)
        << kill_command_line();
    kill_command("/usr/local/bin/stop-vms --now");
    EXPECT_EQ(kill_command_line(), "ok   lvm lvmlockctl_kill_command: another command, not ilvm's: /usr/local/bin/stop-vms --now");
    // An lvm2 without the setting (before 2.03.12) answers nothing for it: no failure either.
    fake.on({"lvmconfig", "--typeconfig", "full", "global/lvmlockctl_kill_command"},
            fail_out(5, "  Configuration node global/lvmlockctl_kill_command not found\n"));
    EXPECT_EQ(kill_command_line().rfind("ok   lvm lvmlockctl_kill_command: lvmconfig does not report it (lvmconfig failed: "
                                        "Configuration node global/lvmlockctl_kill_command not found): ",
                                        0),
              0u)
        << kill_command_line();
    EXPECT_TRUE(failures().empty());
}

TEST_F(HostValidate, JsonNamesEveryCheck) {
    fake.files.erase(root + hook_dir + "/50-iscsi-lvm");
    std::ostringstream out;
    EXPECT_FALSE(cli::host_validate_run(fake, HostRoot(root), hook_dir, true, out).ok());
    const std::string json = out.str();
    EXPECT_NE(json.find("\"check\" : \"libvirt hook\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"problem\" : \"/etc/libvirt/hooks/qemu.d/50-iscsi-lvm is missing\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"check\" : \"host_id unique\",\n    \"ok\" : true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"check\" : \"lvm lvmlockctl_kill_command\",\n    \"ok\" : true,\n    \"warn\" : true,\n"
                        "    \"problem\" : \"not set: "),
              std::string::npos)
        << json;
}

}  // namespace
}  // namespace ilvm::test
