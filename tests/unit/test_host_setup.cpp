// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvm host-setup: the config-file editors on Debian's shipped files, and the plan run
// against FakeSystem (idempotence, dry run, refusals that change nothing).
#include <gtest/gtest.h>

#include <sstream>

#include "cli/hostprep/host_setup.hpp"
#include "cli/hostprep/kill_command.hpp"
#include "cli/hostprep/lvmlockd_guard.hpp"
#include "cli/hostprep/kv_file.hpp"
#include "cli/hostprep/lvm_conf.hpp"
#include "cli/hostprep/multipath_conf.hpp"
#include "cli/hostprep/watchdog.hpp"
#include "fake_system.hpp"
#include "log_capture.hpp"

namespace ilvm::test {
namespace {

using cli::HostRoot;
using cli::HostSetupOptions;

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// The lines that differ between two texts of the same length, as "before|after".
std::vector<std::string> changed_lines(const std::string &before, const std::string &after) {
    auto a = lines_of(before);
    auto b = lines_of(after);
    EXPECT_EQ(a.size(), b.size()) << "a line was added or removed";
    std::vector<std::string> diff;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (a[i] != b[i]) diff.push_back(a[i] + "|" + b[i]);
    return diff;
}

// --- lvm.conf / lvmlocal.conf ------------------------------------------------------

TEST(LvmConf, UncommentsTheShippedExampleInGlobalOnly) {
    const std::string conf = data_file("host/lvm.conf");
    ASSERT_FALSE(cli::lvm_conf_value(conf, "global", "use_lvmlockd"));
    auto edit = cli::set_lvm_conf_value(conf, "global", "use_lvmlockd", "1");
    ASSERT_TRUE(edit.ok()) << edit.error().message;
    EXPECT_TRUE(edit->changed);
    EXPECT_EQ(changed_lines(conf, edit->text), std::vector<std::string>{"\t# use_lvmlockd = 0|\tuse_lvmlockd = 1"});
    EXPECT_EQ(cli::lvm_conf_value(edit->text, "global", "use_lvmlockd"), "1");
    EXPECT_FALSE(cli::lvm_conf_value(edit->text, "devices", "use_lvmlockd"));
}

// Debian's lvm.conf carries the kill command as a commented example with an empty string:
// it becomes the setting, one line, nothing else changes.
TEST(LvmConf, SetsTheKillCommandOnDebiansExample) {
    const std::string conf = data_file("host/lvm.conf");
    ASSERT_FALSE(cli::lvm_conf_value(conf, "global", "lvmlockctl_kill_command"));
    auto edit = cli::set_lvm_conf_value(conf, "global", "lvmlockctl_kill_command", "\"/usr/sbin/ilvm lease-lost\"");
    ASSERT_TRUE(edit.ok()) << edit.error().message;
    EXPECT_EQ(changed_lines(conf, edit->text),
              std::vector<std::string>{"\t# lvmlockctl_kill_command = \"\"|\tlvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\""});
    EXPECT_EQ(cli::lvm_conf_value(edit->text, "global", "lvmlockctl_kill_command"), "\"/usr/sbin/ilvm lease-lost\"");
}

TEST(KillCommand, OursAndOthers) {
    EXPECT_EQ(cli::lease_lost_kill_command("/usr/sbin/ilvm").value(), "/usr/sbin/ilvm lease-lost");
    for (const char *bad : {"", "ilvm", "/opt/my ilvm/ilvm", "/usr/sbin/\"ilvm"})
        EXPECT_FALSE(cli::lease_lost_kill_command(bad).ok()) << bad;
    EXPECT_FALSE(cli::lease_lost_kill_command("/" + std::string(250, 'a') + "/ilvm").ok());   // past lvmlockctl's 256
    EXPECT_EQ(cli::ilvm_of_kill_command("/usr/sbin/ilvm lease-lost"), "/usr/sbin/ilvm");
    EXPECT_EQ(cli::ilvm_of_kill_command("  /usr/local/sbin/ilvm   lease-lost "), "/usr/local/sbin/ilvm");
    for (const char *other : {"", "/usr/sbin/ilvm", "/usr/sbin/ilvm lease-lost now", "ilvm lease-lost",
                              "/usr/sbin/my-ilvm lease-lost", "/usr/local/bin/stop-vms", "/usr/sbin/ilvm doctor"})
        EXPECT_FALSE(cli::ilvm_of_kill_command(other)) << other;
}

TEST(LvmConf, SecondEditChangesNothing) {
    auto first = cli::set_lvm_conf_value(data_file("host/lvm.conf"), "global", "use_lvmlockd", "1");
    ASSERT_TRUE(first.ok());
    auto second = cli::set_lvm_conf_value(first->text, "global", "use_lvmlockd", "1");
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(second->changed);
    EXPECT_EQ(second->text, first->text);
}

TEST(LvmConf, RewritesALiveSettingAndKeepsItsComment) {
    const std::string conf = "global {\n\tumask = 077\n    use_lvmlockd = 0   # off for now\n}\n";
    auto edit = cli::set_lvm_conf_value(conf, "global", "use_lvmlockd", "1");
    ASSERT_TRUE(edit.ok());
    EXPECT_EQ(edit->text, "global {\n\tumask = 077\n    use_lvmlockd = 1 # off for now\n}\n");
}

TEST(LvmConf, AddsTheSettingToASectionWithoutExample) {
    auto edit = cli::set_lvm_conf_value("global {\n\tumask = 077\n}\n", "global", "use_lvmlockd", "1");
    ASSERT_TRUE(edit.ok());
    EXPECT_EQ(edit->text, "global {\n\tumask = 077\n\tuse_lvmlockd = 1\n}\n");
}

TEST(LvmConf, AppendsAMissingSection) {
    auto edit = cli::set_lvm_conf_value("# local settings\ndevices {\n\tscan_lvs = 0\n}", "local", "host_id", "3");
    ASSERT_TRUE(edit.ok());
    EXPECT_EQ(edit->text, "# local settings\ndevices {\n\tscan_lvs = 0\n}\n\nlocal {\n\thost_id = 3\n}\n");
    auto empty = cli::set_lvm_conf_value("", "local", "host_id", "3");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->text, "local {\n\thost_id = 3\n}\n");
}

TEST(LvmConf, SetsHostIdInDebiansLvmlocal) {
    const std::string local = data_file("host/lvmlocal.conf");
    auto edit = cli::set_lvm_conf_value(local, "local", "host_id", "7");
    ASSERT_TRUE(edit.ok());
    EXPECT_EQ(changed_lines(local, edit->text), std::vector<std::string>{"\t# host_id = 0|\thost_id = 7"});
    // The prose above the example ("# The lvmlockd sanlock host_id.") stays as it was.
    auto again = cli::set_lvm_conf_value(edit->text, "local", "host_id", "9");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(changed_lines(edit->text, again->text), std::vector<std::string>{"\thost_id = 7|\thost_id = 9"});
}

TEST(LvmConf, LeavesOtherSectionsSubsectionsAndStringsAlone) {
    const std::string conf =
        "devices {\n\thost_id = 9\n}\n"
        "local {\n\tsub {\n\t\thost_id = 5\n\t}\n\tsystem_id = \"a#{b}\"\n\t# host_id = 0\n}\n";
    auto edit = cli::set_lvm_conf_value(conf, "local", "host_id", "2");
    ASSERT_TRUE(edit.ok()) << edit.error().message;
    EXPECT_EQ(changed_lines(conf, edit->text), std::vector<std::string>{"\t# host_id = 0|\thost_id = 2"});
    EXPECT_EQ(cli::lvm_conf_value(edit->text, "devices", "host_id"), "9");
    EXPECT_EQ(cli::lvm_conf_value(edit->text, "local", "system_id"), "\"a#{b}\"");
}

TEST(LvmConf, SectionNameOnItsOwnLine) {
    auto edit = cli::set_lvm_conf_value("global\n{\n\t# use_lvmlockd = 0\n}\n", "global", "use_lvmlockd", "1");
    ASSERT_TRUE(edit.ok()) << edit.error().message;
    EXPECT_EQ(edit->text, "global\n{\n\tuse_lvmlockd = 1\n}\n");
}

TEST(LvmConf, RefusesLayoutsItWillNotEditByLines) {
    auto one_line = cli::set_lvm_conf_value("global { use_lvmlockd = 0 }\n", "global", "use_lvmlockd", "1");
    ASSERT_FALSE(one_line.ok());
    EXPECT_EQ(one_line.error().code, ErrorCode::invalid_input);
    EXPECT_NE(one_line.error().hint.find("use_lvmlockd = 1"), std::string::npos);
    EXPECT_FALSE(cli::set_lvm_conf_value("global {\n\tumask = 077\n", "global", "use_lvmlockd", "1").ok());
}

// --- KEY=VALUE files --------------------------------------------------------------

TEST(KvFile, ReadsSetsAndRemovesOnlyLiveLines) {
    const std::string text = "# sanlock_opts=\"-w 9\"\nsanlock_opts = x\nsanlock_opts=\"-w 0\"\nother=1";
    EXPECT_EQ(cli::kv_value(text, "sanlock_opts"), "\"-w 0\"");
    EXPECT_EQ(cli::kv_unquote("\"-w 0\""), "-w 0");
    EXPECT_FALSE(cli::kv_value(text, "missing"));
    EXPECT_EQ(cli::kv_set(text, "sanlock_opts", "y"), "# sanlock_opts=\"-w 9\"\nsanlock_opts = x\nsanlock_opts=y\nother=1");
    EXPECT_EQ(cli::kv_set(text, "new", "1"), text + "\nnew=1\n");
    EXPECT_EQ(cli::kv_remove("a=1\nb=2\na=3\n", "a"), "b=2\n");
}

TEST(SanlockDefaults, DebiansWatchdogOffBecomesOnOnce) {
    const std::string shipped = data_file("host/sanlock.default");
    auto on = cli::sanlock_defaults_with_watchdog(shipped);
    ASSERT_TRUE(on);
    EXPECT_EQ(changed_lines(shipped, *on), std::vector<std::string>{"sanlock_opts=\"-w 0\"|sanlock_opts=\"-w 1\""});
    EXPECT_FALSE(cli::sanlock_defaults_with_watchdog(*on));
}

TEST(SanlockDefaults, KeepsOtherOptionsAndKnowsTheDefault) {
    EXPECT_EQ(cli::sanlock_defaults_with_watchdog("sanlock_opts='-U sanlock -w0 -G disk'\n"),
              "sanlock_opts=\"-U sanlock -w1 -G disk\"\n");
    // No -w at all, or no sanlock_opts: sanlock's default already uses the watchdog.
    EXPECT_FALSE(cli::sanlock_defaults_with_watchdog("sanlock_opts=\"-U sanlock\"\n"));
    EXPECT_FALSE(cli::sanlock_defaults_with_watchdog("enabled=1\n"));
    EXPECT_FALSE(cli::sanlock_defaults_with_watchdog(""));
}

TEST(InitiatorName, WrittenOnlyWhenMissing) {
    const std::string debian = data_file("host/initiatorname.iscsi");
    const std::string iqn = "iqn.2024-04.com.example:kvm-a";
    auto keep = cli::initiator_file_with(debian, std::nullopt);
    ASSERT_TRUE(keep.ok());
    EXPECT_FALSE(*keep);
    auto conflict = cli::initiator_file_with(debian, iqn);
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().code, ErrorCode::conflict);
    EXPECT_NE(conflict.error().message.find("already iqn.1993-08.org.debian:01:"), std::string::npos);

    auto fresh = cli::initiator_file_with("", iqn);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(**fresh, "InitiatorName=" + iqn + "\n");
    auto same = cli::initiator_file_with(**fresh, iqn);
    ASSERT_TRUE(same.ok());
    EXPECT_FALSE(*same);
}

TEST(InitiatorName, GenerateNameAndRefusals) {
    const std::string generate = "## DO NOT EDIT\nGenerateName=yes\n";
    auto later = cli::initiator_file_with(generate, std::nullopt);
    ASSERT_TRUE(later.ok());
    EXPECT_FALSE(*later);   // iscsid makes one at its first start
    auto ours = cli::initiator_file_with(generate, "iqn.2024-04.com.example:kvm-b");
    ASSERT_TRUE(ours.ok());
    EXPECT_EQ(**ours, "## DO NOT EDIT\nInitiatorName=iqn.2024-04.com.example:kvm-b\n");

    auto none = cli::initiator_file_with("InitiatorName=\n", std::nullopt);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, ErrorCode::invalid_input);
    auto bad = cli::initiator_file_with("", "IQN.bogus");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_input);
}

TEST(HostId, OnlyOneTo2000) {
    EXPECT_EQ(*cli::parse_host_id("1"), 1u);
    EXPECT_EQ(*cli::parse_host_id("2000"), 2000u);
    for (const char *bad : {"0", "2001", "", "3x", "-1", " 3", "99999999999"}) {
        auto r = cli::parse_host_id(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
    }
}

// --- the whole plan on FakeSystem ---------------------------------------------------

class HostSetupRun : public ::testing::Test {
protected:
    const std::string root = "/r";
    FakeSystem fake;

    void SetUp() override {
        fake.files[root + "/etc/lvm/lvm.conf"] = data_file("host/lvm.conf");
        fake.files[root + "/etc/lvm/lvmlocal.conf"] = data_file("host/lvmlocal.conf");
        fake.files[root + "/etc/default/sanlock"] = data_file("host/sanlock.default");
        fake.files[root + "/etc/iscsi/initiatorname.iscsi"] = "GenerateName=yes\n";
        fake.modes[root + "/etc/iscsi/initiatorname.iscsi"] = 0600;
        fake.files["/build/50-iscsi-lvm"] = "hook binary v1";
        fake.files[root + "/proc/modules"] = "dm_mod 184320 9 - Live 0x0000000000000000\n";
        daemons("disabled", 1, "inactive", 3);
    }
    // Every unit of host_daemons() (four, five with multipathd) and product_units() (four) in one state.
    void daemons(const std::string &enabled, int enabled_rc, const std::string &active, int active_rc,
                 int host_daemons = 4) {
        auto times = [](const std::string &s, int n) {
            std::string out;
            for (int i = 0; i < n; ++i) out += s + "\n";
            return out;
        };
        fake.on({"systemctl", "is-enabled"}, CommandOutput{enabled_rc, times(enabled, host_daemons), {}});
        fake.on({"systemctl", "is-active"}, CommandOutput{active_rc, times(active, host_daemons), {}});
        fake.on({"systemctl", "is-enabled", "iscsi-lvm.service"}, CommandOutput{enabled_rc, times(enabled, 4), {}});
        fake.on({"systemctl", "is-active", "iscsi-lvm.service"}, CommandOutput{active_rc, times(active, 4), {}});
    }
    void softdog_loaded() {
        fake.files[root + "/proc/modules"] += "softdog 16384 2 - Live 0x0000000000000000\n";
        fake.files[root + "/sys/class/watchdog/watchdog0/identity"] = "Software Watchdog\n";
    }
    HostSetupOptions fencing(bool dry_run = false) {
        HostSetupOptions o = options(dry_run);
        o.fence_on_lease_loss = true;
        o.cli_path = "/usr/sbin/ilvm";
        return o;
    }
    // --no-fence-on-lease-loss: the kill command left as it is (fencing() is the default).
    HostSetupOptions options(bool dry_run = false) {
        HostSetupOptions o;
        o.fence_on_lease_loss = false;
        o.host_id = 3;
        o.initiator = "iqn.2024-04.com.example:kvm-a";
        o.dry_run = dry_run;
        o.hook_source = "/build/50-iscsi-lvm";
        o.hook_dir = "/etc/libvirt/hooks/qemu.d";
        return o;
    }
    std::string run(const HostSetupOptions &o) {
        std::ostringstream out;
        Status st = cli::host_setup_run(fake, HostRoot(root), o, out);
        EXPECT_TRUE(st.ok()) << st.error().message;
        return out.str();
    }
    size_t enables() const {
        size_t n = 0;
        for (const auto &c : fake.commands) n += c.argv.size() > 1 && c.argv[1] == "enable";
        return n;
    }
};

TEST_F(HostSetupRun, FirstRunChangesEverythingSecondRunNothing) {
    std::string first = run(options());
    EXPECT_EQ(first,
              "changed      global/use_lvmlockd = 1 in /etc/lvm/lvm.conf\n"
              "changed      local/host_id = 3 in /etc/lvm/lvmlocal.conf\n"
              "changed      sanlock uses the watchdog (sanlock_opts in /etc/default/sanlock)\n"
              "changed      InitiatorName iqn.2024-04.com.example:kvm-a in /etc/iscsi/initiatorname.iscsi\n"
              "changed      qemu hook /etc/libvirt/hooks/qemu.d/50-iscsi-lvm (mode 0755)\n"
              "changed      lvmlockd refuses a manual stop or restart "
              "(/etc/systemd/system/lvmlockd.service.d/50-iscsi-lvm.conf)\n"
              "changed      softdog loaded, now and at boot (/etc/modules-load.d/iscsi-lvm.conf)\n"
              "unchanged    multipath-tools not installed: pools with several portals need it (apt install "
              "multipath-tools, then ilvm host-setup again)\n"
              "changed      enable and start wdmd sanlock lvmlockd iscsid (systemctl enable --now)\n"
              "changed      enable and start iscsi-lvm.service iscsi-lvm-reconcile.timer iscsi-lvm-mirror.service "
              "ilvmd.service (systemctl enable --now)\n"
              "Host set up: 9 changes made. Check it with ilvm host-validate.\n");
    EXPECT_EQ(fake.files[root + "/etc/systemd/system/lvmlockd.service.d/50-iscsi-lvm.conf"], cli::lvmlockd_drop_in());
    EXPECT_NE(cli::lvmlockd_drop_in().find("\n[Unit]\nRefuseManualStop=yes\n"), std::string::npos);
    EXPECT_TRUE(fake.ran({"systemctl", "daemon-reload"}));
    EXPECT_TRUE(fake.ran({"systemctl", "enable", "--now", "wdmd", "sanlock", "lvmlockd", "iscsid"}));
    EXPECT_TRUE(fake.ran({"systemctl", "enable", "--now", "iscsi-lvm.service", "iscsi-lvm-reconcile.timer",
                          "iscsi-lvm-mirror.service", "ilvmd.service"}));
    EXPECT_TRUE(fake.ran({"modprobe", "softdog"}));
    EXPECT_EQ(fake.files[root + "/etc/modules-load.d/iscsi-lvm.conf"], cli::softdog_boot_file_content());
    EXPECT_EQ(fake.modes[root + "/etc/modules-load.d/iscsi-lvm.conf"], 0644u);
    EXPECT_EQ(fake.files[root + "/etc/libvirt/hooks/qemu.d/50-iscsi-lvm"], "hook binary v1");
    EXPECT_EQ(fake.modes[root + "/etc/libvirt/hooks/qemu.d/50-iscsi-lvm"], 0755u);
    EXPECT_TRUE(fake.dirs.count(root + "/etc/libvirt/hooks/qemu.d"));
    EXPECT_EQ(fake.modes[root + "/etc/iscsi/initiatorname.iscsi"], 0600u);   // kept
    EXPECT_EQ(fake.modes[root + "/etc/lvm/lvm.conf"], 0644u);
    EXPECT_EQ(cli::lvm_conf_value(fake.files[root + "/etc/lvm/lvmlocal.conf"], "local", "host_id"), "3");

    softdog_loaded();
    const auto files_after_first = fake.files;
    daemons("enabled", 0, "active", 0);
    std::string second = run(options());
    EXPECT_EQ(second,
              "unchanged    global/use_lvmlockd = 1 in /etc/lvm/lvm.conf\n"
              "unchanged    local/host_id = 3 in /etc/lvm/lvmlocal.conf\n"
              "unchanged    sanlock uses the watchdog (sanlock_opts in /etc/default/sanlock)\n"
              "unchanged    InitiatorName iqn.2024-04.com.example:kvm-a in /etc/iscsi/initiatorname.iscsi\n"
              "unchanged    qemu hook /etc/libvirt/hooks/qemu.d/50-iscsi-lvm (mode 0755)\n"
              "unchanged    lvmlockd refuses a manual stop or restart "
              "(/etc/systemd/system/lvmlockd.service.d/50-iscsi-lvm.conf)\n"
              "unchanged    softdog loaded, now and at boot (/etc/modules-load.d/iscsi-lvm.conf)\n"
              "unchanged    multipath-tools not installed: pools with several portals need it (apt install "
              "multipath-tools, then ilvm host-setup again)\n"
              "unchanged    daemons enabled and running: wdmd sanlock lvmlockd iscsid\n"
              "unchanged    iscsi-lvm units enabled and running: iscsi-lvm.service iscsi-lvm-reconcile.timer "
              "iscsi-lvm-mirror.service ilvmd.service\n"
              "Host already set up: nothing changed.\n");
    EXPECT_EQ(fake.files, files_after_first);
    EXPECT_EQ(enables(), 2u);
}

// With --no-fence-on-lease-loss the kill command is left alone (a host that loses the LUN is
// reset by its watchdog); by default, Debian's commented example becomes the setting, after
// use_lvmlockd, and the file is exactly Debian's with those two lines changed.
TEST_F(HostSetupRun, TheKillCommandByDefaultNotWithNoFenceOnLeaseLoss) {
    EXPECT_TRUE(HostSetupOptions{}.fence_on_lease_loss);   // the default: lease-lost, not a reset
    const std::string debian = data_file("host/lvm.conf");
    const std::string plain = run(options());
    EXPECT_EQ(plain.find("lvmlockctl_kill_command"), std::string::npos) << plain;
    const std::string without = fake.files[root + "/etc/lvm/lvm.conf"];
    EXPECT_EQ(changed_lines(debian, without), std::vector<std::string>{"\t# use_lvmlockd = 0|\tuse_lvmlockd = 1"});

    fake.files[root + "/etc/lvm/lvm.conf"] = debian;
    const std::string out = run(fencing());
    EXPECT_NE(out.find("changed      global/use_lvmlockd = 1 in /etc/lvm/lvm.conf\n"
                       "changed      global/lvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\" in /etc/lvm/lvm.conf\n"
                       "unchanged    local/host_id = 3"),
              std::string::npos)
        << out;
    const std::string with = fake.files[root + "/etc/lvm/lvm.conf"];
    EXPECT_EQ(changed_lines(debian, with),
              (std::vector<std::string>{"\t# use_lvmlockd = 0|\tuse_lvmlockd = 1",
                                        "\t# lvmlockctl_kill_command = \"\"|\tlvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\""}));
    EXPECT_EQ(fake.modes[root + "/etc/lvm/lvm.conf"], 0644u);

    // Again: nothing to change; and a run with --no-fence-on-lease-loss leaves the setting as it is.
    const std::string again = run(fencing());
    EXPECT_NE(again.find("unchanged    global/lvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\" in /etc/lvm/lvm.conf\n"),
              std::string::npos)
        << again;
    run(options());
    EXPECT_EQ(fake.files[root + "/etc/lvm/lvm.conf"], with);
}

// Only the kill command changes when use_lvmlockd is already on; a dry run writes nothing.
TEST_F(HostSetupRun, TheKillCommandAloneAndInADryRun) {
    const std::string lockd = cli::set_lvm_conf_value(data_file("host/lvm.conf"), "global", "use_lvmlockd", "1")->text;
    fake.files[root + "/etc/lvm/lvm.conf"] = lockd;
    const std::string dry = run(fencing(true));
    EXPECT_NE(dry.find("unchanged    global/use_lvmlockd = 1 in /etc/lvm/lvm.conf\n"
                       "would change global/lvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\" in /etc/lvm/lvm.conf\n"),
              std::string::npos)
        << dry;
    EXPECT_EQ(fake.files[root + "/etc/lvm/lvm.conf"], lockd);
    run(fencing());
    EXPECT_EQ(changed_lines(lockd, fake.files[root + "/etc/lvm/lvm.conf"]),
              std::vector<std::string>{"\t# lvmlockctl_kill_command = \"\"|\tlvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\""});
}

// Another kill command is replaced (lvmlockctl runs one), with a warning naming it.
TEST_F(HostSetupRun, AnotherKillCommandIsReplacedWithAWarning) {
    fake.files[root + "/etc/lvm/lvm.conf"] =
        "global {\n\tuse_lvmlockd = 1\n\tlvmlockctl_kill_command = \"/usr/local/bin/stop-vms\"\n}\n";
    std::string logged;
    {
        LogCapture log;
        run(fencing());
        logged = log.text();
    }
    EXPECT_EQ(fake.files[root + "/etc/lvm/lvm.conf"],
              "global {\n\tuse_lvmlockd = 1\n\tlvmlockctl_kill_command = \"/usr/sbin/ilvm lease-lost\"\n}\n");
    EXPECT_NE(logged.find("[warning] global/lvmlockctl_kill_command was \"/usr/local/bin/stop-vms\" in /etc/lvm/lvm.conf: "
                          "replaced by \"/usr/sbin/ilvm lease-lost\""),
              std::string::npos)
        << logged;
    // Ours already, or empty: no warning.
    LogCapture again;
    run(fencing());
    EXPECT_FALSE(again.contains("was \"")) << again.text();
}

// multipath-tools installed: the drop-in (its directory made), multipathd among the daemons;
// `multipathd reconfigure` only when the file changed under a running multipathd.
TEST_F(HostSetupRun, MultipathDropInWhenMultipathToolsIsInstalled) {
    fake.paths.insert(root + "/sbin/multipathd");
    daemons("disabled", 1, "inactive", 3, 5);
    const std::string first = run(options());
    const std::string dropin = root + "/etc/multipath/conf.d/iscsi-lvm.conf";
    EXPECT_NE(first.find("changed      multipath settings for pools with several portals "
                         "(/etc/multipath/conf.d/iscsi-lvm.conf)\n"
                         "changed      enable and start wdmd sanlock lvmlockd iscsid multipathd (systemctl enable --now)\n"),
              std::string::npos)
        << first;
    EXPECT_EQ(fake.files[dropin], cli::multipath_drop_in());
    EXPECT_EQ(fake.modes[dropin], 0644u);
    EXPECT_TRUE(fake.dirs.count(root + "/etc/multipath/conf.d"));
    EXPECT_FALSE(fake.ran({"multipathd", "reconfigure"}));   // not running: it reads the file when it starts

    // Running, the file as we wrote it: nothing to do.
    daemons("enabled", 0, "active", 0, 5);
    fake.commands.clear();
    const std::string second = run(options());
    EXPECT_NE(second.find("unchanged    multipath settings for pools with several portals"), std::string::npos) << second;
    EXPECT_NE(second.find("unchanged    daemons enabled and running: wdmd sanlock lvmlockd iscsid multipathd\n"),
              std::string::npos)
        << second;
    EXPECT_FALSE(fake.ran({"multipathd"}));

    // Edited by hand: written again, and the running multipathd told.
    fake.files[dropin] = "defaults {\n\tpolling_interval 10\n}\n";
    run(options());
    EXPECT_EQ(fake.files[dropin], cli::multipath_drop_in());
    EXPECT_TRUE(fake.ran({"multipathd", "reconfigure"}));
}

// The numbers are multipath_queueing_for(10)'s, said in the file with why.
TEST(MultipathConf, TheDropInsSettings) {
    const std::string conf = cli::multipath_drop_in();
    EXPECT_EQ(cli::multipath_conf_value(conf, "defaults", "user_friendly_names"), "no");
    EXPECT_EQ(cli::multipath_conf_value(conf, "defaults", "find_multipaths"), "strict");
    EXPECT_EQ(cli::multipath_conf_value(conf, "defaults", "polling_interval"), "5");
    EXPECT_EQ(cli::multipath_conf_value(conf, "overrides", "no_path_retry"), "13");
    EXPECT_FALSE(cli::multipath_conf_value(conf, "defaults", "no_path_retry"));
    EXPECT_EQ(conf.rfind("# Written by `ilvm host-setup`", 0), 0u);
    EXPECT_NE(conf.find("13 x 5 s. Queued I/O then fails 80 to 100 s after the"), std::string::npos) << conf;
}

TEST(MultipathConf, ReadsSectionsCommentsQuotesAndTheLastValue) {
    const std::string conf = "defaults {\n  polling_interval 10 # was 5\n  find_multipaths \"greedy\"\n}\n"
                             "devices {\n  device {\n    polling_interval 2\n    no_path_retry queue\n  }\n}\n"
                             "! another comment\ndefaults {\n  polling_interval 7\n}\n"
                             "overrides {\n#  no_path_retry 13\n}\n";
    EXPECT_EQ(cli::multipath_conf_value(conf, "defaults", "polling_interval"), "7");
    EXPECT_EQ(cli::multipath_conf_value(conf, "defaults", "find_multipaths"), "greedy");
    EXPECT_FALSE(cli::multipath_conf_value(conf, "overrides", "no_path_retry"));
    EXPECT_FALSE(cli::multipath_conf_value(conf, "devices", "no_path_retry"));   // inside device { }
    EXPECT_FALSE(cli::multipath_conf_value("", "defaults", "polling_interval"));
}

// multipath_component_detection = 0 is the admin's: left as it is, with a warning.
TEST_F(HostSetupRun, MultipathComponentDetectionOffIsAWarning) {
    fake.paths.insert(root + "/usr/sbin/multipathd");
    daemons("disabled", 1, "inactive", 3, 5);
    fake.files[root + "/etc/lvm/lvm.conf"] =
        cli::set_lvm_conf_value(data_file("host/lvm.conf"), "devices", "multipath_component_detection", "0")->text;
    LogCapture log;
    run(options());
    EXPECT_TRUE(log.contains("devices/multipath_component_detection = 0 in /etc/lvm/lvm.conf: LVM on this host would "
                             "take the paths of a pool's multipath map for PVs; set it to 1"))
        << log.text();
    EXPECT_NE(fake.files[root + "/etc/lvm/lvm.conf"].find("multipath_component_detection = 0"), std::string::npos);
}

TEST_F(HostSetupRun, OnlyTheDaemonsThatNeedItAreEnabled) {
    fake.on({"systemctl", "is-enabled"}, CommandOutput{1, "enabled\nenabled\ndisabled\nenabled\n", {}});
    fake.on({"systemctl", "is-active"}, CommandOutput{3, "active\ninactive\ninactive\nactive\n", {}});
    fake.on({"systemctl", "is-enabled", "iscsi-lvm.service"}, CommandOutput{1, "enabled\ndisabled\nenabled\nenabled\n", {}});
    fake.on({"systemctl", "is-active", "iscsi-lvm.service"}, CommandOutput{3, "active\ninactive\nactive\nactive\n", {}});
    run(options());
    ASSERT_GE(fake.commands.size(), 2u);
    EXPECT_EQ(fake.commands[fake.commands.size() - 2].argv,
              (std::vector<std::string>{"systemctl", "enable", "--now", "sanlock", "lvmlockd"}));
    EXPECT_EQ(fake.commands.back().argv,
              (std::vector<std::string>{"systemctl", "enable", "--now", "iscsi-lvm-reconcile.timer"}));
}

TEST_F(HostSetupRun, DryRunWritesAndStartsNothing) {
    const auto before = fake.files;
    std::string out = run(options(true));
    EXPECT_NE(out.find("would change global/use_lvmlockd = 1 in /etc/lvm/lvm.conf\n"), std::string::npos);
    EXPECT_NE(out.find("Dry run: 9 changes would be made; nothing was changed.\n"), std::string::npos);
    EXPECT_EQ(fake.files, before);
    EXPECT_EQ(enables(), 0u);
    EXPECT_FALSE(fake.ran({"modprobe"}));
}

TEST_F(HostSetupRun, AHardwareWatchdogGetsNoSoftdog) {
    fake.files[root + "/sys/class/watchdog/watchdog0/identity"] = "iTCO_wdt\n";
    std::string out = run(options());
    EXPECT_NE(out.find("unchanged    watchdog device: iTCO_wdt (hardware, no softdog needed)\n"), std::string::npos);
    EXPECT_FALSE(fake.ran({"modprobe"}));
    EXPECT_FALSE(fake.files.count(root + "/etc/modules-load.d/iscsi-lvm.conf"));
}

TEST_F(HostSetupRun, SoftdogAlreadyLoadedAtBootByAnotherFileIsKept) {
    // The lab's image lists softdog in a file of its own; a second file would only repeat it.
    fake.dirs[root + "/etc/modules-load.d"] = {"README", "ilvm-lab.conf"};
    fake.files[root + "/etc/modules-load.d/ilvm-lab.conf"] = "# lab\nsoftdog\niscsi_tcp\n";
    std::string out = run(options());
    EXPECT_NE(out.find("changed      softdog loaded, now and at boot (/etc/modules-load.d/ilvm-lab.conf)\n"),
              std::string::npos);
    EXPECT_TRUE(fake.ran({"modprobe", "softdog"}));   // listed, but not loaded yet
    EXPECT_FALSE(fake.files.count(root + "/etc/modules-load.d/iscsi-lvm.conf"));
    softdog_loaded();
    out = run(options());
    EXPECT_NE(out.find("unchanged    softdog loaded, now and at boot (/etc/modules-load.d/ilvm-lab.conf)\n"),
              std::string::npos);
}

TEST_F(HostSetupRun, ARefusalChangesNothing) {
    fake.files[root + "/etc/iscsi/initiatorname.iscsi"] = "InitiatorName=iqn.2024-04.com.example:other\n";
    const auto before = fake.files;
    std::ostringstream out;
    Status st = cli::host_setup_run(fake, HostRoot(root), options(), out);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(fake.files, before);
    EXPECT_EQ(enables(), 0u);
    EXPECT_FALSE(fake.ran({"modprobe"}));
}

TEST_F(HostSetupRun, HookWithTheWrongModeOrContentIsReplaced) {
    const std::string hook = root + "/etc/libvirt/hooks/qemu.d/50-iscsi-lvm";
    fake.files[hook] = "hook binary v1";
    fake.modes[hook] = 0644;
    run(options());
    EXPECT_EQ(fake.modes[hook], 0755u);
    fake.files["/build/50-iscsi-lvm"] = "hook binary v2";
    std::string out = run(options());
    EXPECT_NE(out.find("changed      qemu hook"), std::string::npos);
    EXPECT_EQ(fake.files[hook], "hook binary v2");
}

TEST_F(HostSetupRun, MissingHookBinaryOrLvmConfIsNotFound) {
    fake.files.erase("/build/50-iscsi-lvm");
    std::ostringstream out;
    Status st = cli::host_setup_run(fake, HostRoot(root), options(), out);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::not_found);
    fake.files["/build/50-iscsi-lvm"] = "hook";
    fake.files.erase(root + "/etc/lvm/lvm.conf");
    st = cli::host_setup_run(fake, HostRoot(root), options(), out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().hint.find("lvm2"), std::string::npos);
}

}  // namespace
}  // namespace ilvm::test
