#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CLI tests of `ilvm lease-lost VG` (issue 19), the command lvmlockctl --kill runs when a VG's
sanlock lease is lost: the real ilvm binary and module against the recording fake
(fake_cmd.py) answering dmsetup and virsh, libvirt's status files in a temporary directory.
dmsetup's answer is tests/data/dm/info_two_vgs.txt, constructed in dmsetup's format (not
recorded). Also: the record it leaves (RUN_DIR/pools/POOL.fenced), `ilvm doctor` reporting it
first, and pool-start keeping it when the start fails (a start that succeeds needs a LUN no
CLI test has: its removal is unit-tested, FenceRecord.AFreshStartForgetsIt). Then `ilvm
pool-rejoin POOL`, the way back, against sanlock and dmsetup answers constructed in their
formats (tests/data/sanlock/README.md).

Usage: test_lease_lost.py <ilvm binary> <backend module dir> <tests/data dir>"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import assert_one_error_line, fake_env, logged_commands, mark_active, status_file, write_rules

ILVM, MODULE_DIR, DATA = sys.argv[1:4]

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_SYSTEM = 2, 3, 5
WIPE = ["dmsetup", "wipe_table", "--noflush", "--nolockfs"]
INFO = ["dmsetup", "info", "-c", "--noheadings", "--separator", ":", "-o", "name,uuid,open"]
# vg_san's devices in the fixture, lvmlock left out.
WIPED = ["vg_san-vm1", "vg_san-vm2", "vg_san-win--disk"]


def data(*parts):
    with open(os.path.join(DATA, *parts), encoding="utf-8") as f:
        return f.read()


class FencedPoolCase(unittest.TestCase):
    """Pool san defined and started here (run state only), libvirt's status files in a
    temporary directory, the recording fake for every command."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-lease-lost-")
        self.status = os.path.join(self.tmp, "status")
        os.makedirs(self.status)
        self.root = os.path.join(self.tmp, "host")
        os.makedirs(os.path.join(self.root, "proc", "1"))
        with open(os.path.join(self.root, "proc", "1", "comm"), "w", encoding="utf-8") as f:
            f.write("systemd\n")
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=self.status, ILVM_HOST_ROOT=self.root)
        self.rules([])
        r = self.ilvm("pool-define", os.path.join(DATA, "pools", "san.xml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        mark_active(self.tmp)
        self.record = os.path.join(self.tmp, "run", "pools", "san.fenced")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def rules(self, rules):
        write_rules(self.env["ILVM_FAKE_SCRIPT"], rules)

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=60)

    def commands(self):
        return logged_commands(self.env["ILVM_FAKE_LOG"])

    def domain(self, name, vols, **kw):
        """Domain `name` running here with a disk on each of `vols` (of vg_san unless vg=…)."""
        disks = [("vd" + chr(ord("a") + i), v, False) for i, v in enumerate(vols)]
        with open(os.path.join(self.status, name + ".xml"), "w", encoding="utf-8") as f:
            f.write(status_file(name, disks, **kw))

    def lun_lost(self, *extra):
        """dmsetup lists the constructed devices; every wipe and virsh call succeeds unless `extra` says."""
        self.rules([{"prefix": ["dmsetup", "info"], "stdout": data("dm", "info_two_vgs.txt")}, *extra])

    def read_record(self):
        with open(self.record, encoding="utf-8") as f:
            return f.read()

    def redefine(self, element):
        xml = data("pools", "san.xml").replace("</pool>", element + "</pool>")
        path = os.path.join(self.tmp, "redefined.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        # The run-state copy is what a started pool runs with: redefine, then copy it over.
        self.assertEqual(self.ilvm("pool-define", path).returncode, 0)
        mark_active(self.tmp)



class LeaseLostCliTest(FencedPoolCase):
    # --- refusals ------------------------------------------------------------------------
    def test_a_vg_no_pool_uses_is_not_found_and_nothing_runs(self):
        r = self.ilvm("lease-lost", "vg_nope")
        assert_one_error_line(self, r, EXIT_NOT_FOUND, "no pool defined on this host uses volume group vg_nope")
        self.assertEqual(len(r.stderr.splitlines()), 2, r.stderr)
        self.assertTrue(r.stderr.splitlines()[1].startswith("hint: "), r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(self.commands(), [])
        self.assertFalse(os.path.exists(self.record))

    def test_a_malformed_vg_name_is_refused(self):
        r = self.ilvm("lease-lost", "--", "-vg")
        assert_one_error_line(self, r, EXIT_INVALID)
        self.assertEqual(self.commands(), [])

    # --- the fencing ---------------------------------------------------------------------
    def test_a_running_domain_is_paused_after_its_volumes_io_is_stopped(self):
        self.domain("web1", ["vm1"])
        self.domain("local1", [], vg="vg_local")          # a VM on local disks: left alone
        self.domain("other1", ["vm1"], vg="vg_other")     # another VG's volume: left alone
        self.domain("off1", ["vm2"], state="shutoff", reason="destroyed")   # not running: nothing to pause
        self.lun_lost()
        r = self.ilvm("lease-lost", "vg_san")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "pool san (VG vg_san) lost its lease: I/O stopped on 3 of 3 devices; paused: web1"])
        self.assertEqual(r.stderr, "")
        cmds = self.commands()
        self.assertEqual(cmds, [INFO] + [WIPE + [d] for d in WIPED] +
                         [["virsh", "-c", "test:///default", "suspend", "--domain", "web1"]])
        # The record: mode 0600, what was done.
        self.assertEqual(stat.S_IMODE(os.stat(self.record).st_mode), 0o600)
        lines = self.read_record().splitlines()
        self.assertRegex(lines[0], r"^time\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(lines[1:], ["vg\tvg_san", "policy\tpause", "wiped\tvg_san-vm1\topen=1",
                                     "wiped\tvg_san-vm2\topen=0", "wiped\tvg_san-win--disk\topen=2",
                                     "domain\tweb1\tpause\tdone", ""])

    def test_a_second_run_appends_its_own_block(self):
        # sanlock runs the kill path again about every second until the locks are dropped.
        self.lun_lost()
        for _ in range(2):
            self.assertEqual(self.ilvm("lease-lost", "vg_san").returncode, 0)
        text = self.read_record()
        self.assertEqual(text.count("time\t"), 2)
        self.assertEqual(text.count("wiped\tvg_san-vm1\t"), 2)
        self.assertIn("no domain here uses them", self.ilvm("lease-lost", "vg_san").stdout)

    def test_poweroff_and_a_failed_action_is_a_warning_not_a_failure(self):
        self.redefine("<on_lockfailure>poweroff</on_lockfailure>")
        self.domain("web1", ["vm1"])
        self.domain("db1", ["win-disk"], state="paused", reason="ioerror")   # paused by werror=stop: still running
        self.lun_lost({"prefix": ["virsh", "-c", "test:///default", "destroy", "--domain", "db1"], "exit": 1,
                       "stderr": "error: Failed to destroy domain 'db1'\nerror: Timed out during operation: cannot acquire state change lock\n"})
        r = self.ilvm("lease-lost", "vg_san")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "pool san (VG vg_san) lost its lease: I/O stopped on 3 of 3 devices; powered off: web1; "
            "could not be powered off: db1"])
        self.assertIn("warning: pool san: could not power off domain db1 after its lease was lost: virsh destroy db1: "
                      "error: Failed to destroy domain 'db1'", r.stderr)
        self.assertNotIn("error: ", [l[:7] for l in r.stderr.splitlines()])
        self.assertEqual([c for c in self.commands() if c[0] == "virsh"],
                         [["virsh", "-c", "test:///default", "destroy", "--domain", "db1"],
                          ["virsh", "-c", "test:///default", "destroy", "--domain", "web1"]])
        self.assertIn("domain\tdb1\tpoweroff\tfailed: virsh destroy db1: error: Failed to destroy domain 'db1'",
                      self.read_record())

    def test_a_domain_the_hook_let_start_counts_before_its_status_file(self):
        # The hook's owner record (volume_owners.hpp): libvirt has not written a status file yet.
        owners = os.path.join(self.tmp, "run", "pools", "san.volumes")
        os.makedirs(owners)
        with open(os.path.join(owners, "vm2.owners"), "w", encoding="utf-8") as f:
            f.write("starting1\texclusive\t1700000000\n")
        self.lun_lost()
        r = self.ilvm("lease-lost", "vg_san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["virsh", "-c", "test:///default", "suspend", "--domain", "starting1"], self.commands())

    def test_a_failed_wipe_fails_the_command_and_the_others_are_still_wiped(self):
        self.domain("web1", ["vm2"])
        self.lun_lost({"prefix": WIPE + ["vg_san-vm2"], "exit": 1,
                       "stderr": "device-mapper: reload ioctl on vg_san-vm2  failed: Device or resource busy\nCommand failed.\n"})
        r = self.ilvm("lease-lost", "vg_san")
        assert_one_error_line(self, r, EXIT_SYSTEM, "could not stop the I/O to 1 of 3 devices of VG vg_san: vg_san-vm2: "
                                                    "dmsetup wipe_table vg_san-vm2: device-mapper: reload ioctl")
        self.assertEqual(r.stdout.splitlines(), [
            "pool san (VG vg_san) lost its lease: I/O stopped on 2 of 3 devices (not on vg_san-vm2); paused: web1"])
        self.assertEqual([c for c in self.commands() if c[:2] == WIPE[:2]], [WIPE + [d] for d in WIPED])
        self.assertIn("wipe-failed\tvg_san-vm2\topen=0\tdmsetup wipe_table vg_san-vm2: device-mapper: reload ioctl",
                      self.read_record())

    def test_no_listing_no_wipe_and_a_failure(self):
        self.lun_lost({"prefix": ["dmsetup", "info"], "exit": 1,
                       "stderr": "/dev/mapper/control: open failed: Permission denied\n"})
        r = self.ilvm("lease-lost", "vg_san")
        assert_one_error_line(self, r, EXIT_SYSTEM, "dmsetup info: /dev/mapper/control: open failed: Permission denied")
        self.assertEqual(r.stdout.splitlines(), [
            "pool san (VG vg_san) lost its lease: its devices could not be listed, no I/O was stopped"])
        self.assertEqual(self.commands(), [INFO])
        self.assertIn("problem\tno I/O stopped: dmsetup info: /dev/mapper/control: open failed", self.read_record())

    # --- what follows: doctor, pool-start ----------------------------------------------------
    def test_doctor_reports_the_lost_lease_first(self):
        self.domain("web1", ["vm1"])
        self.lun_lost()
        self.assertEqual(self.ilvm("lease-lost", "vg_san").returncode, 0)
        self.rules([])
        r = self.ilvm("doctor")
        self.assertEqual(r.returncode, EXIT_SYSTEM, r.stdout + r.stderr)
        first = r.stdout.splitlines()[0]
        self.assertRegex(first, r"^FAIL san: lease lost: VG vg_san lost its sanlock lease at \d{4}-\d\d-\d\dT[\d:]+Z; "
                                r"I/O stopped on 3 device\(s\); domains web1 \(pause\) \(lease-lost ran 1 time\(s\): "
                                r"\S+/run/pools/san\.fenced\) \(fix: once the LUN answers again: ilvm pool-rejoin san\)$")
        findings = json.loads(self.ilvm("doctor", "san", "--json").stdout)["findings"]
        self.assertEqual((findings[0]["check"], findings[0]["severity"]), ("lease lost", "fail"))

    def test_a_failed_start_keeps_the_record(self):
        self.lun_lost()
        self.assertEqual(self.ilvm("lease-lost", "vg_san").returncode, 0)
        os.remove(os.path.join(self.tmp, "run", "pools", "san.xml"))   # the pool is no longer started here
        self.rules([{"prefix": ["iscsiadm", "--mode", "node"], "exit": 8,
                     "stderr": "iscsiadm: Could not login to [iface: default, target: t, portal: 10.0.0.50,3260].\n"}])
        self.env["ILVM_LIBVIRT_URI"] = "test:///nonexistent/ilvm-no-such-file.xml"
        r = self.ilvm("pool-start", "san")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(os.path.exists(self.record), "a start that failed is not a fresh start")



# --- pool-rejoin: the way back -------------------------------------------------------------
LEASES = "/dev/mapper/vg_san-lvmlock"
STATUS = ["sanlock", "client", "status", "-D"]
# The leases of vm1..vm3 (lvs_three.json: 1 MiB apart from 70254592), read as one range.
RANGE = ["sanlock", "direct", "dump", LEASES + ":70254592:10485760"]
VM1_LEASE = ["sanlock", "direct", "dump", LEASES + ":70254592:8388608"]
RESUME_WEB1 = ["virsh", "-c", "test:///default", "resume", "--domain", "web1"]
DESTROY_DB1 = ["virsh", "-c", "test:///default", "destroy", "--domain", "db1"]
# What lease-lost left: three wiped devices; web1 (vm1) and db1 (vm2) paused.
RECORD = ("time\t2026-12-05T12:50:00Z\nvg\tvg_san\npolicy\tpause\nwiped\tvg_san-vm1\topen=1\n"
          "wiped\tvg_san-vm2\topen=1\nwiped\tvg_san-vm3\topen=0\ndomain\tweb1\tpause\tdone\n"
          "domain\tdb1\tpause\tdone\n\n")


class PoolRejoinCliTest(FencedPoolCase):
    """`ilvm pool-rejoin san` after lease-lost: the backend's answers constructed from
    tests/data/sanlock (README there): vm1's lease still host 1's from before the loss, vm2's
    and vm3's taken by host 2 meanwhile."""

    def fenced(self):
        with open(self.record, "w", encoding="utf-8") as f:
            f.write(RECORD)
        self.domain("web1", ["vm1"], state="paused", reason="user")
        self.domain("db1", ["vm2"], state="paused", reason="user")

    def rejoin_rules(self, *extra):
        info = data("dm", "info_fenced_vg_san.txt")
        # After db1 is destroyed, nothing holds vm2 open any more.
        closed = info.replace("vg_san-vm2:LVM-KONMr0bGNikQ3PrWNyNrKt9EPRC1tqtOexxNPXwZdOuCNyyiGaaJGTJKVlarfcYT:1",
                              "vg_san-vm2:LVM-KONMr0bGNikQ3PrWNyNrKt9EPRC1tqtOexxNPXwZdOuCNyyiGaaJGTJKVlarfcYT:0")
        self.assertNotEqual(info, closed)
        self.rules([
            {"prefix": STATUS, "stdout_seq": [data("sanlock", "status_D_no_lockspace.txt"),
                                              data("sanlock", "status_D_joined_vg_san_gen2.txt")]},
            {"prefix": ["lvs"], "stdout": data("lvm", "lvs_three.json")},
            {"prefix": ["sanlock", "direct", "dump", LEASES + ":0:8388608"], "stdout": data("sanlock", "dump_delta_rejoined.txt")},
            {"prefix": RANGE, "stdout": data("sanlock", "dump_rejoin_leases.txt")},
            {"prefix": VM1_LEASE, "stdout": data("sanlock", "dump_rejoin_vm1_taken_back.txt")},
            {"prefix": ["dmsetup", "info"], "stdout_seq": [info, closed]},
            *extra])

    def test_no_record_nothing_to_rejoin_and_nothing_runs(self):
        r = self.ilvm("pool-rejoin", "san")
        assert_one_error_line(self, r, 4, "pool 'san' has not lost its lease on this host: there is nothing to rejoin")
        self.assertEqual(self.commands(), [])

    def test_a_pool_not_started_here_is_refused(self):
        self.fenced()
        os.remove(os.path.join(self.tmp, "run", "pools", "san.xml"))
        r = self.ilvm("pool-rejoin", "san")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.commands(), [])
        self.assertTrue(os.path.exists(self.record))

    def test_untouched_volume_taken_back_and_its_domain_resumed_the_others_destroyed_and_released(self):
        self.fenced()
        self.rejoin_rules()
        r = self.ilvm("pool-rejoin", "san")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "Pool san joined its lockspace again",
            "db1: destroyed here: vm2 is held by host 2 (kvm-b) now",
            "web1: resumed",
            "Pool san rejoined: 1 volume(s) taken back, 2 released"])
        cmds = self.commands()
        # The lockspace first, vm1 taken back before web1 resumes, db1 destroyed before its
        # device goes; vm3 (no domain) removed at once; nothing of host 2's is activated here.
        order = [["lvmlockctl", "--drop", "vg_san"], ["vgchange", "--lock-start", "vg_san"],
                 ["lvchange", "-aey", "-K", "vg_san/vm1"], VM1_LEASE, ["lvchange", "--refresh", "vg_san/vm1"],
                 ["dmsetup", "remove", "vg_san-vm3"], DESTROY_DB1, RESUME_WEB1, ["dmsetup", "remove", "vg_san-vm2"]]
        at = [cmds.index(c) if c in cmds else -1 for c in order]
        self.assertNotIn(-1, at, "missing: %s\nran: %s" % ([c for c, i in zip(order, at) if i < 0], cmds))
        self.assertLess(at[0], at[1])
        self.assertLess(at[1], at[2])
        self.assertLess(at[2], at[3])
        self.assertLess(at[3], at[4])
        self.assertLess(at[4], at[7])
        self.assertLess(at[6], at[8])
        self.assertFalse([c for c in cmds if c[0] == "lvchange" and c[-1] in ("vg_san/vm2", "vg_san/vm3")
                          and c[1] != "-an"], cmds)
        self.assertFalse(os.path.exists(self.record), "the record outlived a pool made whole")
        self.assertEqual(self.ilvm("doctor", "san").stdout.count("lease lost"), 0)

    def test_a_lease_that_changed_hands_while_taken_back_destroys_the_domain(self):
        self.fenced()
        changed = data("sanlock", "dump_rejoin_vm1_changed_hands.txt")
        info = data("dm", "info_fenced_vg_san.txt")
        # Once web1 and db1 are destroyed, nothing holds vm1 or vm2 open.
        closed = info.replace("tqtO7xoDtuyvNMiwQxC94tBbYsUzBlo8hAIa:1", "tqtO7xoDtuyvNMiwQxC94tBbYsUzBlo8hAIa:0").replace(
            "tqtOexxNPXwZdOuCNyyiGaaJGTJKVlarfcYT:1", "tqtOexxNPXwZdOuCNyyiGaaJGTJKVlarfcYT:0")
        self.rejoin_rules({"prefix": VM1_LEASE, "stdout": changed},
                          # The second pass reads the leases of vm1 and vm2 alone.
                          {"prefix": ["sanlock", "direct", "dump", LEASES + ":70254592:9437184"], "stdout": changed},
                          {"prefix": ["dmsetup", "info"], "stdout_seq": [info, closed]})
        r = self.ilvm("pool-rejoin", "san")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        cmds = self.commands()
        self.assertNotIn(RESUME_WEB1, cmds)
        self.assertIn(["virsh", "-c", "test:///default", "destroy", "--domain", "web1"], cmds)
        self.assertNotIn(["lvchange", "--refresh", "vg_san/vm1"], cmds)
        self.assertRegex(r.stdout, r"(?m)^web1: destroyed here: vm1: .*changed hands")
        # The lock taken again is let go through LVM, so that lvmlockd releases it too.
        self.assertIn(["lvchange", "-an", "vg_san/vm1"], cmds)
        self.assertNotIn(["dmsetup", "remove", "vg_san-vm1"], cmds)
        self.assertFalse(os.path.exists(self.record))

    def test_a_device_still_open_keeps_the_record_and_says_what_is_left(self):
        self.fenced()
        os.remove(os.path.join(self.status, "db1.xml"))   # vm2 open by something that is no domain
        self.rejoin_rules({"prefix": ["dmsetup", "info"], "stdout": data("dm", "info_fenced_vg_san.txt")})
        r = self.ilvm("pool-rejoin", "san")
        assert_one_error_line(self, r, EXIT_SYSTEM, "pool san is not whole yet: vm2: in-use")
        self.assertIn("web1: resumed", r.stdout)
        self.assertNotIn(["dmsetup", "remove", "vg_san-vm2"], self.commands())
        self.assertTrue(os.path.exists(self.record))

    def test_a_resume_that_failed_is_tried_again_without_taking_the_volume_again(self):
        self.fenced()
        self.rejoin_rules({"prefix": RESUME_WEB1, "exit": 1,
                           "stderr": "error: Timed out during operation: cannot acquire state change lock\n"})
        r = self.ilvm("pool-rejoin", "san")
        assert_one_error_line(self, r, EXIT_SYSTEM, "domain web1 is still paused")
        self.assertIn("taken-back\tvm1\n", self.read_record())
        # The second run: web1 resumes; vm1, locked here since the first run, is not asked about.
        self.rejoin_rules()
        os.remove(self.env["ILVM_FAKE_LOG"])
        os.remove(os.path.join(self.status, "db1.xml"))   # destroyed by the first run
        r = self.ilvm("pool-rejoin", "san")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("web1: resumed", r.stdout)
        cmds = self.commands()
        self.assertIn(RESUME_WEB1, cmds)
        self.assertFalse([c for c in cmds if c[0] == "lvchange" and c[-1] == "vg_san/vm1"], cmds)
        self.assertFalse(os.path.exists(self.record))

    def test_a_lockspace_still_being_joined_is_refused_with_nothing_changed(self):
        self.fenced()
        self.rules([{"prefix": STATUS, "stdout": data("sanlock", "status_joining_vg_san.txt")}])
        r = self.ilvm("pool-rejoin", "san")
        assert_one_error_line(self, r, 4)
        self.assertEqual(self.commands(), [STATUS])
        self.assertTrue(os.path.exists(self.record))

if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
