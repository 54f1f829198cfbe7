#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of `ilvm host-setup` and `ilvm host-validate` as a user runs them: the binary
against a copy of Debian's config files in a temporary ILVM_HOST_ROOT, with systemctl,
lvmconfig and sanlock answered by the recording fake (fake_cmd.py). Nothing on this
machine is read or changed outside the temporary directory.

Usage: test_host.py <ilvm binary> <tests/data dir>"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import assert_one_error_line, logged_commands, start_log

ILVM, DATA = sys.argv[1:3]
HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(DATA, "..", "e2e", "recorded")

EXIT_INVALID, EXIT_CONFLICT, EXIT_SYSTEM = 2, 4, 5
HOOK = "etc/libvirt/hooks/qemu.d/50-iscsi-lvm"
IQN = "iqn.2024-04.com.example:kvm-a"
UNITS = ["wdmd", "sanlock", "lvmlockd", "iscsid"]
OUR_UNITS = ["iscsi-lvm.service", "iscsi-lvm-reconcile.timer", "iscsi-lvm-mirror.service", "ilvmd.service"]
SOFTDOG_FILE = "etc/modules-load.d/iscsi-lvm.conf"
MODULES = "dm_mod 184320 9 - Live 0x0\niscsi_tcp 24576 2 - Live 0x0\nsoftdog 16384 2 - Live 0x0\n"


def recorded(name):
    """A lab recording without its '#' header: what the command printed."""
    with open(os.path.join(RECORDED, name), encoding="utf-8") as f:
        return "".join(l for l in f if not l.startswith("#"))


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.read()


DROP_IN = "etc/systemd/system/lvmlockd.service.d/50-iscsi-lvm.conf"

class HostCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # libvirt's TLS files of a host whose CA signed them (tests/data/pki/make-pki.sh).
        cls.pki = tempfile.mkdtemp(prefix="ilvm-host-pki-")
        subprocess.run(["sh", os.path.join(DATA, "pki", "make-pki.sh"), cls.pki], check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki, ignore_errors=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-host-")
        self.root = os.path.join(self.tmp, "root")
        self.log = os.path.join(self.tmp, "commands.log")
        self.script = os.path.join(self.tmp, "script.json")
        self.hook_binary = os.path.join(self.tmp, "50-iscsi-lvm.built")
        with open(self.hook_binary, "wb") as f:
            f.write(b"\x7fELF stand-in for the built hook\n")
        for src, dst in [("lvm.conf", "etc/lvm/lvm.conf"), ("lvmlocal.conf", "etc/lvm/lvmlocal.conf"),
                         ("sanlock.default", "etc/default/sanlock")]:
            os.makedirs(os.path.dirname(self.path(dst)), exist_ok=True)
            shutil.copy(os.path.join(DATA, "host", src), self.path(dst))
        self.write("etc/iscsi/initiatorname.iscsi", "## DO NOT EDIT OR REMOVE THIS FILE!\nGenerateName=yes\n", 0o600)
        self.write("proc/1/comm", "systemd\n")   # no lvmlockd runs
        self.env = dict(os.environ)
        self.env.update({
            "ILVM_HOST_ROOT": self.root,
            "ILVM_HOOK_BINARY": self.hook_binary,
            "ILVM_CONFIG_DIR": os.path.join(self.tmp, "etc-ilvm"),
            "ILVM_RUN_DIR": os.path.join(self.tmp, "run"),
            "ILVM_COMMAND_WRAPPER": os.path.join(HERE, "fake_cmd.py"),
            "ILVM_FAKE_LOG": self.log,
            "ILVM_FAKE_SCRIPT": self.script,
        })
        start_log(self.log)
        self.daemons("disabled", "inactive")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------
    def path(self, rel):
        return os.path.join(self.root, rel)

    def read(self, rel):
        with open(self.path(rel), encoding="utf-8") as f:
            return f.read()

    def write(self, rel, text, mode=0o644):
        os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
        with open(self.path(rel), "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.path(rel), mode)

    def rules(self, rules):
        with open(self.script, "w", encoding="utf-8") as f:
            json.dump(rules, f)

    def daemons(self, enabled, active, extra=(), kill_command=""):
        """Every unit in one state; `extra` rules after those; lvmconfig's answer for the kill
        command (asked on its own) last, so that a rule for every lvmconfig does not answer it."""
        self.rules([
            {"prefix": ["systemctl", "is-enabled"], "stdout": (enabled + "\n") * 4, "exit": 0 if enabled == "enabled" else 1},
            {"prefix": ["systemctl", "is-active"], "stdout": (active + "\n") * 4, "exit": 0 if active == "active" else 3},
            {"prefix": ["systemctl", "is-enabled", OUR_UNITS[0]], "stdout": (enabled + "\n") * 4,
             "exit": 0 if enabled == "enabled" else 1},
            {"prefix": ["systemctl", "is-active", OUR_UNITS[0]], "stdout": (active + "\n") * 4,
             "exit": 0 if active == "active" else 3},
            # libvirtd runs on a host whose daemons do (Debian 12's answer: every backend built in).
            {"prefix": ["virsh", "--connect", "qemu:///system", "pool-capabilities"],
             **({"stdout": data("libvirt/pool-capabilities-libvirt-9.0.xml")} if active == "active" else
                {"exit": 1, "stderr": data("libvirt/pool-capabilities-no-daemon.stderr")})},
            *extra,
            {"prefix": ["lvmconfig", "--typeconfig", "full", "global/lvmlockctl_kill_command"],
             "stdout": 'lvmlockctl_kill_command="%s"\n' % kill_command},
        ])

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=60)

    def commands(self):
        return logged_commands(self.log)

    def snapshot(self):
        """Every file under the root: content, mode and mtime."""
        files = {}
        for d, _, names in os.walk(self.root):
            for n in names:
                p = os.path.join(d, n)
                st = os.stat(p)
                with open(p, "rb") as f:
                    files[os.path.relpath(p, self.root)] = (f.read(), stat.S_IMODE(st.st_mode), st.st_mtime_ns)
        return files

    def assert_error(self, r, code, fragment):
        assert_one_error_line(self, r, code, fragment)

    def ready_host(self):
        """What the kernel and the daemons of a set-up host report (host_id 3, lab's sanlock),
        and the certificates its administrator installed for libvirt's TLS."""
        self.write("proc/modules", MODULES)
        shutil.copytree(os.path.join(self.pki, "good", "etc", "pki"), self.path("etc/pki"), dirs_exist_ok=True)
        for key in ("serverkey.pem", "clientkey.pem"):
            os.chmod(self.path("etc/pki/libvirt/private/" + key), 0o600)
        status = recorded("sanlock-client-status-D.txt").replace("s lvm_vg:1:", "s lvm_vg:3:")
        hosts = recorded("sanlock-client-host_status.txt").replace("\n1 timestamp", "\n3 timestamp")
        self.daemons("enabled", "active", [
            {"prefix": ["lvmconfig"], "stdout": "use_lvmlockd=1\nhost_id=3\nscan_lvs=0\n"},
            {"prefix": ["sanlock", "client", "status", "-D"], "stdout": status},
            {"prefix": ["sanlock", "client", "host_status", "-s", "lvm_vg", "-D"], "stdout": hosts},
        ])

    # --- host-setup ---------------------------------------------------------------------
    def test_setup_twice_second_run_changes_nothing(self):
        lvm_before = self.read("etc/lvm/lvm.conf")
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--no-fence-on-lease-loss")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "changed      global/use_lvmlockd = 1 in /etc/lvm/lvm.conf",
            "changed      local/host_id = 3 in /etc/lvm/lvmlocal.conf",
            "changed      sanlock uses the watchdog (sanlock_opts in /etc/default/sanlock)",
            f"changed      InitiatorName {IQN} in /etc/iscsi/initiatorname.iscsi",
            "changed      qemu hook /etc/libvirt/hooks/qemu.d/50-iscsi-lvm (mode 0755)",
            f"changed      lvmlockd refuses a manual stop or restart (/{DROP_IN})",
            "changed      softdog loaded, now and at boot (/etc/modules-load.d/iscsi-lvm.conf)",
            "unchanged    multipath-tools not installed: pools with several portals need it (apt install "
            "multipath-tools, then ilvm host-setup again)",
            "changed      enable and start wdmd sanlock lvmlockd iscsid (systemctl enable --now)",
            "changed      enable and start iscsi-lvm.service iscsi-lvm-reconcile.timer iscsi-lvm-mirror.service "
            "ilvmd.service (systemctl enable --now)",
            "Host set up: 9 changes made. Check it with ilvm host-validate.",
        ])
        self.assertIn("\n[Unit]\nRefuseManualStop=yes\n", self.read(DROP_IN))
        self.assertEqual(stat.S_IMODE(os.stat(self.path(DROP_IN)).st_mode), 0o644)
        # systemd must read the drop-in before lvmlockd starts.
        ran = [c[:2] for c in self.commands()]
        self.assertLess(ran.index(["systemctl", "daemon-reload"]), ran.index(["systemctl", "enable"]))
        self.assertIn("warning: restart libvirtd", r.stderr)
        # lvm.conf: exactly the shipped example line changed.
        changed = [(a, b) for a, b in zip(lvm_before.splitlines(), self.read("etc/lvm/lvm.conf").splitlines()) if a != b]
        self.assertEqual(changed, [("\t# use_lvmlockd = 0", "\tuse_lvmlockd = 1")])
        self.assertIn("\thost_id = 3\n", self.read("etc/lvm/lvmlocal.conf"))
        self.assertIn('\nsanlock_opts="-w 1"\n', self.read("etc/default/sanlock"))
        self.assertEqual(self.read("etc/iscsi/initiatorname.iscsi"),
                         f"## DO NOT EDIT OR REMOVE THIS FILE!\nInitiatorName={IQN}\n")
        self.assertEqual(stat.S_IMODE(os.stat(self.path("etc/iscsi/initiatorname.iscsi")).st_mode), 0o600)
        with open(self.path(HOOK), "rb") as f, open(self.hook_binary, "rb") as g:
            self.assertEqual(f.read(), g.read())
        self.assertEqual(stat.S_IMODE(os.stat(self.path(HOOK)).st_mode), 0o755)
        self.assertIn(["systemctl", "enable", "--now", *UNITS], self.commands())
        self.assertIn(["systemctl", "enable", "--now", *OUR_UNITS], self.commands())
        self.assertIn(["modprobe", "softdog"], self.commands())
        self.assertTrue(self.read(SOFTDOG_FILE).endswith("\nsoftdog\n"))
        self.assertEqual(stat.S_IMODE(os.stat(self.path(SOFTDOG_FILE)).st_mode), 0o644)
        # The watchdog first (wdmd needs it), then the daemons, then our units (they need them).
        ran = self.commands()
        self.assertLess(ran.index(["modprobe", "softdog"]), ran.index(["systemctl", "enable", "--now", *UNITS]))
        self.assertLess(ran.index(["systemctl", "enable", "--now", *UNITS]),
                        ran.index(["systemctl", "enable", "--now", *OUR_UNITS]))

        # The daemons now run and softdog is loaded; a second run finds nothing to do and
        # touches nothing.
        self.daemons("enabled", "active")
        self.write("proc/modules", MODULES)
        before = self.snapshot()
        logged = len(self.commands())
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--no-fence-on-lease-loss")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 11, r.stdout)
        self.assertTrue(all(l.startswith("unchanged    ") for l in lines[:10]), r.stdout)
        self.assertEqual(lines[-1], "Host already set up: nothing changed.")
        self.assertEqual(r.stderr, "")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual([c[:2] for c in self.commands()[logged:]],
                         [["systemctl", "is-enabled"], ["systemctl", "is-active"]] * 2)

    def test_multipath_drop_in_when_multipath_tools_is_installed(self):
        # Issue 19: the drop-in with multipath_queueing_for's numbers, mode 0644, its directory
        # made; multipathd enabled with the daemons; host-validate then checks it.
        os.makedirs(self.path("usr/sbin"), exist_ok=True)
        self.write("usr/sbin/multipathd", "")
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("changed      multipath settings for pools with several portals "
                      "(/etc/multipath/conf.d/iscsi-lvm.conf)", r.stdout.splitlines())
        conf = self.read("etc/multipath/conf.d/iscsi-lvm.conf")
        self.assertIn("defaults {\n\tuser_friendly_names no\n\tfind_multipaths strict\n\tpolling_interval 5\n}\n"
                      "overrides {\n\tno_path_retry 13\n}\n", conf)
        self.assertEqual(stat.S_IMODE(os.stat(self.path("etc/multipath/conf.d/iscsi-lvm.conf")).st_mode), 0o644)
        self.assertIn(["systemctl", "enable", "--now", *UNITS, "multipathd"], self.commands())
        self.assertNotIn(["multipathd", "reconfigure"], self.commands())

        self.daemons("enabled", "active", [
            {"prefix": ["lvmconfig", "--typeconfig", "full", "devices/multipath_component_detection"],
             "stdout": "multipath_component_detection=0\n"},
            {"prefix": ["systemctl", "is-active", "multipathd"], "stdout": "active\n"},
        ])
        r = self.ilvm("host-validate")
        self.assertIn("FAIL multipath: devices/multipath_component_detection is 0: LVM would take a multipath map's "
                      "paths for PVs as well (fix: set multipath_component_detection = 1 in the devices section of "
                      "/etc/lvm/lvm.conf)", r.stdout.splitlines())

    def test_the_kill_command_is_set_by_default_once(self):
        # The default (issue 19): Debian's commented example becomes the setting, naming this
        # build's ilvm by its full path; nothing else in lvm.conf changes but use_lvmlockd.
        lvm_before = self.read("etc/lvm/lvm.conf")
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assertEqual(r.returncode, 0, r.stderr)
        after = self.read("etc/lvm/lvm.conf")
        changed = [(a, b) for a, b in zip(lvm_before.splitlines(), after.splitlines()) if a != b]
        self.assertEqual(len(changed), 2, changed)
        self.assertEqual(changed[0], ("\t# use_lvmlockd = 0", "\tuse_lvmlockd = 1"))
        self.assertEqual(changed[1][0], '\t# lvmlockctl_kill_command = ""')
        m = re.fullmatch(r'\tlvmlockctl_kill_command = "(/\S+/ilvm) lease-lost"', changed[1][1])
        self.assertTrue(m, changed[1][1])
        ilvm_path = m.group(1)
        self.assertEqual(r.stdout.splitlines()[1],
                         f'changed      global/lvmlockctl_kill_command = "{ilvm_path} lease-lost" in /etc/lvm/lvm.conf')
        self.assertIn(f'It sets global/lvmlockctl_kill_command = "{ilvm_path} lease-lost"',
                      self.ilvm("host-setup", "--help").stdout)
        # Again, with the old opt-in flag (still accepted): nothing changes; with
        # --no-fence-on-lease-loss the setting stays as it is; both flags at once are refused.
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--fence-on-lease-loss")
        self.assertIn(f'unchanged    global/lvmlockctl_kill_command = "{ilvm_path} lease-lost" in /etc/lvm/lvm.conf',
                      r.stdout.splitlines())
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--no-fence-on-lease-loss")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("lvmlockctl_kill_command", r.stdout)
        self.assertEqual(self.read("etc/lvm/lvm.conf"), after)
        self.assert_error(self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--fence-on-lease-loss",
                                    "--no-fence-on-lease-loss"),
                          EXIT_INVALID, "--fence-on-lease-loss and --no-fence-on-lease-loss contradict each other")

        # host-validate: our command, whose binary is not in this root yet, then is.
        self.ready_host()
        self.daemons("enabled", "active", [
            {"prefix": ["lvmconfig"], "stdout": "use_lvmlockd=1\nhost_id=3\nscan_lvs=0\n"},
            {"prefix": ["sanlock", "client", "status", "-D"],
             "stdout": recorded("sanlock-client-status-D.txt").replace("s lvm_vg:1:", "s lvm_vg:3:")},
            {"prefix": ["sanlock", "client", "host_status", "-s", "lvm_vg", "-D"],
             "stdout": recorded("sanlock-client-host_status.txt").replace("\n1 timestamp", "\n3 timestamp")},
        ], kill_command=f"{ilvm_path} lease-lost")
        r = self.ilvm("host-validate")
        self.assert_error(r, EXIT_SYSTEM, "1 of 28 host checks failed")
        self.assertIn(f"FAIL lvm lvmlockctl_kill_command: {ilvm_path} lease-lost, but {ilvm_path} does not exist: "
                      "lvmlockctl cannot run it, a host that loses the LUN is reset by its watchdog "
                      "(fix: install iscsi-lvm, then ilvm host-setup --host-id N)", r.stdout.splitlines())
        self.write(ilvm_path.lstrip("/"), "#!/bin/sh\n", 0o755)
        r = self.ilvm("host-validate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"ok   lvm lvmlockctl_kill_command: {ilvm_path} lease-lost: a pool whose VG loses its lease has "
                      "its I/O stopped here, not the host reset", r.stdout.splitlines())

    def test_another_kill_command_is_replaced_with_a_warning(self):
        conf = self.read("etc/lvm/lvm.conf").replace('\t# lvmlockctl_kill_command = ""',
                                                     '\tlvmlockctl_kill_command = "/usr/local/bin/stop-vms"')
        self.write("etc/lvm/lvm.conf", conf)
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--fence-on-lease-loss", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('warning: global/lvmlockctl_kill_command was "/usr/local/bin/stop-vms" in /etc/lvm/lvm.conf: '
                      'replaced by "', r.stderr)
        self.assertEqual(self.read("etc/lvm/lvm.conf"), conf)   # a dry run
        self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN, "--fence-on-lease-loss")
        self.assertNotIn("stop-vms", self.read("etc/lvm/lvm.conf"))

    def test_dry_run_changes_nothing(self):
        before = self.snapshot()
        r = self.ilvm("host-setup", "--host-id", "7", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("would change local/host_id = 7 in /etc/lvm/lvmlocal.conf\n", r.stdout)
        self.assertIn("unchanged    InitiatorName generated by iscsid in /etc/iscsi/initiatorname.iscsi\n", r.stdout)
        self.assertTrue(r.stdout.endswith("Dry run: 9 changes would be made; nothing was changed.\n"), r.stdout)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(any(c[:2] == ["systemctl", "enable"] or c[0] == "modprobe" for c in self.commands()))

    def test_a_hardware_watchdog_gets_no_softdog(self):
        self.write("sys/class/watchdog/watchdog0/identity", "iTCO_wdt\n")
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("unchanged    watchdog device: iTCO_wdt (hardware, no softdog needed)\n", r.stdout)
        self.assertFalse(any(c[0] == "modprobe" for c in self.commands()))
        self.assertFalse(os.path.exists(self.path(SOFTDOG_FILE)))

    def test_refusals_change_nothing(self):
        self.write("etc/iscsi/initiatorname.iscsi", "InitiatorName=iqn.1993-08.org.debian:01:5c295537cb2d\n", 0o600)
        before = self.snapshot()
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assert_error(r, EXIT_CONFLICT, "initiator name is already iqn.1993-08.org.debian:01:5c295537cb2d")
        self.assertIn("hint: targets grant access by initiator name", r.stderr)
        self.assertEqual(r.stdout, "")
        for args, fragment in [(["--host-id", "0"], "host_id '0' is not a number from 1 to 2000"),
                               (["--host-id", "two"], "host_id 'two' is not"),
                               ([], "host-setup needs --host-id N"),
                               (["--host-id", "3", "--initiator", "IQN.2024-04.x"], "initiator name")]:
            with self.subTest(args=args):
                self.assert_error(self.ilvm("host-setup", *args), EXIT_INVALID, fragment)
        self.write("etc/iscsi/initiatorname.iscsi", "InitiatorName=\n")
        before = self.snapshot()
        self.assert_error(self.ilvm("host-setup", "--host-id", "3"), EXIT_INVALID, "no InitiatorName in")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(any(c[:2] == ["systemctl", "enable"] for c in self.commands()))

    def test_failing_daemon_start_is_a_system_error_and_a_rerun_finishes(self):
        self.daemons("disabled", "inactive", [
            {"prefix": ["systemctl", "enable"], "exit": 1, "stderr": "Failed to enable unit: Unit file lvmlockd.service does not exist.\n"}])
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assert_error(r, EXIT_SYSTEM, "systemctl enable --now wdmd sanlock lvmlockd iscsid: Failed to enable unit: "
                                          "Unit file lvmlockd.service does not exist.")
        self.assertIn("changed      qemu hook", r.stdout)
        self.daemons("disabled", "inactive")
        self.write("proc/modules", MODULES)   # the first run's modprobe
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([l.split()[0] for l in r.stdout.splitlines()[:11]], ["unchanged"] * 9 + ["changed"] * 2)

    # --- host-validate ------------------------------------------------------------------
    def test_validate_fresh_host_fails_with_exact_lines(self):
        self.daemons("disabled", "inactive", [
            {"prefix": ["lvmconfig"], "stdout": "use_lvmlockd=0\nhost_id=0\nscan_lvs=0\n"},
            {"prefix": ["sanlock", "client", "status"], "exit": 1, "stderr": "connect error -2\n"},
        ])
        before = self.snapshot()
        r = self.ilvm("host-validate")
        self.assert_error(r, EXIT_SYSTEM, "24 of 28 host checks failed")
        self.assertEqual(r.stdout.splitlines(), [
            "FAIL kernel module dm_mod: not loaded (fix: modprobe dm_mod && echo dm_mod >> /etc/modules-load.d/iscsi-lvm.conf)",
            "FAIL kernel module iscsi_tcp: not loaded (fix: modprobe iscsi_tcp && echo iscsi_tcp >> /etc/modules-load.d/iscsi-lvm.conf)",
            "FAIL watchdog device: no /dev/watchdog and softdog is not loaded (fix: ilvm host-setup --host-id N (loads "
            "softdog now and at boot), or load your hardware watchdog's driver)",
            "FAIL lvm use_lvmlockd: global/use_lvmlockd is 0 (fix: ilvm host-setup --host-id N (sets use_lvmlockd = 1 in /etc/lvm/lvm.conf))",
            "FAIL lvm host_id: local/host_id is not set (fix: ilvm host-setup --host-id N (N from 1 to 2000, unique among the hosts sharing a LUN))",
            "ok   lvm scan_lvs off",
            "WARN lvm lvmlockctl_kill_command: not set: a host that loses the LUN is reset by its watchdog, its pools' "
            "I/O is not stopped first (fix: ilvm host-setup --host-id N (sets it unless --no-fence-on-lease-loss))",
            "FAIL initiator name: no InitiatorName yet (GenerateName=yes: iscsid makes one when it first starts) "
            "(fix: systemctl start iscsid, or ilvm host-setup --host-id N --initiator IQN)",
            "FAIL libvirt hook: /etc/libvirt/hooks/qemu.d/50-iscsi-lvm is missing (fix: ilvm host-setup --host-id N, then restart libvirtd)",
            "FAIL libvirt logical pool backend: virsh pool-capabilities failed: Failed to connect socket to "
            "'/run/libvirt/absent-sock': No such file or directory (the mirror pool needs libvirt) (fix: systemctl start "
            "libvirtd, then ilvm host-validate again)",
            "FAIL daemon wdmd: inactive (fix: systemctl enable --now wdmd)",
            "FAIL daemon sanlock: inactive (fix: systemctl enable --now sanlock)",
            "FAIL daemon lvmlockd: inactive (fix: systemctl enable --now lvmlockd)",
            "FAIL daemon iscsid: inactive (fix: systemctl enable --now iscsid)",
            "ok   multipath: multipath-tools not installed: pools with one portal only (apt install multipath-tools "
            "for pools with several)",
            f"FAIL lvmlockd stop guard: no RefuseManualStop=yes in /{DROP_IN}: a manual stop or restart of lvmlockd "
            "(an upgrade's too) leaves LVM without its lock daemon while volumes are active (fix: ilvm host-setup --host-id N)",
            "ok   lvmlockd pid file",
            "FAIL sanlock uses the watchdog: sanlock client status failed: connect error -2 (fix: systemctl enable --now wdmd sanlock)",
            "FAIL host_id unique: sanlock client status failed: connect error -2 (fix: systemctl enable --now wdmd sanlock)",
            *[f"FAIL unit {u} enabled: disabled (fix: systemctl enable --now {u})" for u in OUR_UNITS],
            *[f"FAIL unit {u} active: inactive (fix: systemctl enable --now {u})" for u in OUR_UNITS],
            "FAIL agent certificates: /etc/pki/CA/cacert.pem is missing; /etc/pki/libvirt/servercert.pem is missing; "
            "/etc/pki/libvirt/private/serverkey.pem is missing; /etc/pki/libvirt/clientcert.pem is missing; "
            "/etc/pki/libvirt/private/clientkey.pem is missing: a stock virsh migrate to or from this host is refused "
            "(ilvm migrate still works) (fix: install the cluster CA and this host's libvirt server and client "
            "certificates (the files virsh migrate over qemu+tls:// uses; virt-pki-validate checks them; see "
            "docs/agent.md, Peer channel))",
        ])
        self.assertEqual(self.snapshot(), before)
        self.assertIn(["systemctl", "is-active", *UNITS], self.commands())
        self.assertIn(["lvmconfig", "--typeconfig", "full", "global/use_lvmlockd", "local/host_id", "devices/scan_lvs"],
                      self.commands())

    def test_validate_passes_after_setup(self):
        r = self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ready_host()
        r = self.ilvm("host-validate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr, "")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 28, r.stdout)
        # The fake lvmconfig reports no kill command (host-setup wrote one): a warning, not a failure.
        self.assertEqual([l for l in lines if not l.startswith("ok   ")],
                         [l for l in lines if l.startswith("WARN lvm lvmlockctl_kill_command: not set: ")], r.stdout)
        self.assertIn(["sanlock", "client", "host_status", "-s", "lvm_vg", "-D"], self.commands())

    def test_validate_after_setup_catches_what_setup_cannot_fix(self):
        """A hook made non-executable, scan_lvs on, another live host with our host_id."""
        self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.ready_host()
        os.chmod(self.path(HOOK), 0o644)
        hosts = recorded("sanlock-client-host_status.txt").replace("\n1 timestamp", "\n3 timestamp")
        hosts = hosts.replace("\n2 timestamp", "\n3 timestamp")   # hostb is live as host_id 3 too
        self.daemons("enabled", "active", [
            {"prefix": ["lvmconfig"], "stdout": "use_lvmlockd=1\nhost_id=3\nscan_lvs=1\n"},
            {"prefix": ["sanlock", "client", "status", "-D"],
             "stdout": recorded("sanlock-client-status-D.txt").replace("s lvm_vg:1:", "s lvm_vg:3:")},
            {"prefix": ["sanlock", "client", "host_status", "-s", "lvm_vg", "-D"], "stdout": hosts},
        ])
        r = self.ilvm("host-validate")
        self.assert_error(r, EXIT_SYSTEM, "3 of 28 host checks failed")
        self.assertEqual([l for l in r.stdout.splitlines() if l.startswith("FAIL")], [
            "FAIL lvm scan_lvs off: devices/scan_lvs is 1: LVM here reads PVs inside volumes, guests' too "
            "(fix: set scan_lvs = 0 in the devices section of /etc/lvm/lvm.conf)",
            "FAIL libvirt hook: /etc/libvirt/hooks/qemu.d/50-iscsi-lvm is not executable "
            "(fix: chmod 0755 /etc/libvirt/hooks/qemu.d/50-iscsi-lvm)",
            "FAIL host_id unique: live host hostb also uses host_id 3 in lockspace lvm_vg (fix: give one of the two "
            "hosts another host_id: ilvm pool-destroy its pools, ilvm host-setup --host-id N, ilvm pool-start)",
        ])

    def test_validate_names_a_readable_key_and_a_certificate_from_another_ca(self):
        self.ilvm("host-setup", "--host-id", "3", "--initiator", IQN)
        self.ready_host()
        rogue = os.path.join(self.pki, "rogue", "etc", "pki", "libvirt", "servercert.pem")
        shutil.copy(rogue, self.path("etc/pki/libvirt/servercert.pem"))
        os.chmod(self.path("etc/pki/libvirt/private/clientkey.pem"), 0o640)
        before = self.snapshot()
        r = self.ilvm("host-validate")
        self.assert_error(r, EXIT_SYSTEM, "1 of 28 host checks failed")
        self.assertEqual([l for l in r.stdout.splitlines() if l.startswith("FAIL")], [
            "FAIL agent certificates: the server certificate /etc/pki/libvirt/servercert.pem is not signed by the CA "
            "in /etc/pki/CA/cacert.pem; /etc/pki/libvirt/private/clientkey.pem is readable by other users than its "
            "owner (mode 0640): a stock virsh migrate to or from this host is refused (ilvm migrate still works) "
            "(fix: install the cluster CA and this host's libvirt server and client certificates (the files virsh "
            "migrate over qemu+tls:// uses; virt-pki-validate checks them; see docs/agent.md, Peer channel))",
        ])
        self.assertEqual(self.snapshot(), before)

    def test_validate_json(self):
        self.ready_host()
        r = self.ilvm("host-validate", "--json")
        self.assertEqual(r.returncode, EXIT_SYSTEM)
        checks = json.loads(r.stdout)
        self.assertEqual(len(checks), 28)
        failed = [c for c in checks if not c["ok"]]
        # softdog is loaded, but nothing loads it at boot until host-setup runs.
        self.assertEqual([c["check"] for c in failed],
                         ["watchdog device", "initiator name", "libvirt hook", "lvmlockd stop guard"])
        self.assertEqual(failed[2]["fix"], "ilvm host-setup --host-id N, then restart libvirtd")
        self.assertNotIn("problem", checks[0])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
