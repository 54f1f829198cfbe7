#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One writer per volume on a host (issue 14): each of the ten ways the first version let two
users at one volume on one host, reproduced against the real `ilvm` and hook binaries with the
recording fake (fake_cmd.py, its small LVM in $ILVM_FAKE_LVM). Every case failed on the
version before the per-volume locks, owner records and device matching (see the issue's note).

Usage: test_exclusivity.py <ilvm> <hook> <backend module dir> <tests/data dir>"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from cli_helpers import assert_one_error_line, fake_env, logged_commands, mark_active, write_rules

ILVM, HOOK, MODULE_DIR, DATA = sys.argv[1:5]


def domain(name, *disks):
    """A domain XML with (type, attribute, path) disks, vda, vdb, …"""
    body = "".join("<disk type='%s' device='disk'><source %s='%s'/><target dev='vd%s'/></disk>" % (t, a, p, chr(97 + i))
                   for i, (t, a, p) in enumerate(disks))
    return "<domain type='kvm'><name>%s</name><devices>%s</devices></domain>" % (name, body)


def on_vm1(name):
    return domain(name, ("block", "dev", "/dev/vg_san/vm1"))


class Exclusivity(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-excl-")
        self.status = os.path.join(self.tmp, "status")
        os.makedirs(self.status)
        self.lvm = os.path.join(self.tmp, "lvm.json")
        self.set_lvs({"vm1": {}})
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=self.status, ILVM_FAKE_LVM=self.lvm,
                            ILVM_RECONCILE_GRACE_SECONDS="0", ILVM_HOOK_TIMEOUT="30")
        self.log = self.env["ILVM_FAKE_LOG"]
        self.rules([])
        r = self.ilvm("pool-define", os.path.join(DATA, "pools", "san.xml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        mark_active(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------
    def set_lvs(self, lvs):
        with open(self.lvm, "w", encoding="utf-8") as f:
            json.dump(lvs, f)

    def lvs_state(self):
        with open(self.lvm, encoding="utf-8") as f:
            return json.load(f)

    def rules(self, extra):
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["vgs"], "stdout": self.vgs()}] + extra)

    def vgs(self):
        with open(os.path.join(DATA, "lvm", "vgs_vg_san.json"), encoding="utf-8") as f:
            return f.read()

    def ilvm(self, *args, timeout=120):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def ilvm_bg(self, *args):
        return subprocess.Popen([ILVM, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def hook(self, name, op, sub, xml, env=None):
        return subprocess.run([HOOK, name, op, sub, "-"], env=env or self.env, input=xml, capture_output=True, text=True,
                              timeout=120)

    def hook_bg(self, name, op, sub, xml):
        p = subprocess.Popen([HOOK, name, op, sub, "-"], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        p.stdin.write(xml)
        p.stdin.close()
        return p

    def commands(self):
        return logged_commands(self.log)

    def wait_for_command(self, prefix, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(c[: len(prefix)] == prefix for c in self.commands()):
                return
            time.sleep(0.05)
        self.fail("%s never ran: %s" % (prefix, self.commands()))

    def running(self, name, xml):
        """What libvirt's status file says of a running domain."""
        with open(os.path.join(self.status, name + ".xml"), "w", encoding="utf-8") as f:
            f.write("<domstatus state='running' reason='booted' pid='1'>%s</domstatus>" % xml)

    def assert_refused(self, r, fragment):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(fragment, r.stderr)

    # --- 1. maintenance and the hook ----------------------------------------------------
    def start_during(self, verb_args, slow_prefix, operation):
        self.rules([{"prefix": slow_prefix, "sleep": 3}])
        job = self.ilvm_bg(*verb_args)
        self.wait_for_command(slow_prefix)
        before = len(self.commands())
        r = self.hook("web1", "prepare", "begin", on_vm1("web1"))
        self.assert_refused(r, operation)
        self.assertNotIn(["lvchange", "-aey", "-K", "vg_san/vm1"], self.commands()[before:])
        out, err = job.communicate(timeout=60)
        self.assertEqual(job.returncode, 0, err)

    def test_1_a_start_is_refused_while_the_volume_is_wiped_naming_the_wipe(self):
        self.start_during(["vol-wipe", "vm1", "--pool", "san"], ["blkdiscard"], "vol-wipe")

    def test_1_a_start_is_refused_while_the_volume_is_cloned_from(self):
        self.start_during(["vol-clone", "vm1", "copy", "--pool", "san"], ["dd", "if=/dev/vg_san/vm1"], "vol-clone")

    def test_1_a_start_is_refused_while_the_volume_is_uploaded_to(self):
        image = os.path.join(self.tmp, "image.raw")
        with open(image, "wb") as f:
            f.write(b"\0" * 4096)
        self.start_during(["vol-upload", "vm1", image, "--pool", "san"], ["dd"], "vol-upload")

    def test_1_maintenance_is_refused_on_a_volume_a_domain_uses(self):
        self.assertEqual(self.hook("web1", "prepare", "begin", on_vm1("web1")).returncode, 0)
        before = len(self.commands())
        r = self.ilvm("vol-wipe", "vm1", "--pool", "san")
        assert_one_error_line(self, r, 4, "is in use by domain web1 on this host")
        self.assertEqual(self.commands()[before:], [])

    # --- 2. two domains preparing at the same moment ------------------------------------
    def test_2_two_domains_preparing_on_one_volume_at_once_only_one_passes(self):
        self.rules([{"prefix": ["lvchange", "-aey"], "sleep": 1.5}])
        a = self.hook_bg("web1", "prepare", "begin", on_vm1("web1"))
        b = self.hook_bg("web2", "prepare", "begin", on_vm1("web2"))
        results = [p.wait(timeout=90) for p in (a, b)]
        self.assertEqual(sorted(results), [0, 1], [p.stderr.read() for p in (a, b)])

    # --- 3. disks matched however their path is written ---------------------------------
    def test_3_a_volume_in_use_is_refused_however_its_path_is_written(self):
        self.running("web1", on_vm1("web1"))
        for kind, attr, path in (("block", "dev", "/dev//vg_san/vm1"), ("block", "dev", "/dev/vg_san//vm1"),
                                 ("block", "dev", "/dev/./vg_san/vm1"), ("block", "dev", "/dev/disk/by-id/dm-name-vg_san-vm1"),
                                 ("file", "file", "/dev/vg_san/vm1")):
            with self.subTest(path=path, kind=kind):
                r = self.hook("web2", "prepare", "begin", domain("web2", (kind, attr, path)))
                self.assert_refused(r, "in use by another running domain on this host")

    def test_3_the_lock_lv_is_refused_however_its_path_is_written(self):
        for path in ("/dev/mapper/vg_san-lvmlock", "/dev//mapper/vg_san-lvmlock"):
            with self.subTest(path=path):
                r = self.hook("web2", "prepare", "begin", domain("web2", ("block", "dev", path)))
                self.assert_refused(r, "cannot check the disks of domain 'web2'")

    # --- 4. the hook fails closed ------------------------------------------------------
    def test_4_a_large_status_file_is_read_not_skipped(self):
        padding = "<!-- %s -->" % ("x" * (1536 * 1024))
        with open(os.path.join(self.status, "web1.xml"), "w", encoding="utf-8") as f:
            f.write("<domstatus state='running'>%s%s</domstatus>" % (on_vm1("web1"), padding))
        r = self.hook("web2", "prepare", "begin", on_vm1("web2"))
        self.assert_refused(r, "in use by another running domain")

    def test_4_an_unparsable_status_file_refuses_a_start(self):
        with open(os.path.join(self.status, "web1.xml"), "w", encoding="utf-8") as f:
            f.write("<domstatus state='running'><domain>")
        r = self.hook("web2", "prepare", "begin", on_vm1("web2"))
        self.assert_refused(r, "web1.xml")
        self.assertEqual(self.hook("web2", "release", "end", on_vm1("web2")).returncode, 0)

    def test_4_an_unreadable_config_dir_refuses_a_start(self):
        env = dict(self.env)
        not_a_dir = os.path.join(self.tmp, "a-file")
        with open(not_a_dir, "w", encoding="utf-8") as f:
            f.write("x")
        env["ILVM_CONFIG_DIR"] = not_a_dir
        r = self.hook("web2", "prepare", "begin", on_vm1("web2"), env=env)
        # The directory check (the one every verb makes) refuses before any definition is read.
        self.assert_refused(r, not_a_dir + " is not a directory")

    # --- 5. an active pool's identity ---------------------------------------------------
    def test_5_an_active_pool_cannot_be_redefined_onto_another_vg(self):
        with open(os.path.join(DATA, "pools", "san.xml"), encoding="utf-8") as f:
            xml = f.read()
        other = os.path.join(self.tmp, "other.xml")
        with open(other, "w", encoding="utf-8") as f:
            f.write(xml.replace("<name>vg_san</name>", "<name>vg_other</name>").replace("/dev/vg_san", "/dev/vg_other"))
        r = self.ilvm("pool-define", other)
        assert_one_error_line(self, r, 4, "volume group vg_san -> vg_other cannot change while it runs")
        # Nor onto other portals: a second <host> is a session the running pool does not have.
        with open(os.path.join(DATA, "pools", "san_multipath.xml"), encoding="utf-8") as f:
            multipath = f.read()
        with open(other, "w", encoding="utf-8") as f:
            f.write(multipath)
        r = self.ilvm("pool-define", other)
        assert_one_error_line(self, r, 4, "portal 10.0.0.50:3260 -> 10.0.0.50:3260, 10.0.1.50:3260 cannot change while it runs")
        self.assertIn("destroy it first", r.stderr)
        # The stop still acts on the VG the pool runs with.
        with open(os.path.join(DATA, "iscsi", "session_list.txt"), encoding="utf-8") as f:
            self.rules([{"prefix": ["iscsiadm", "--mode", "session"], "stdout": f.read()}])
        r = self.ilvm("pool-destroy", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["vgchange", "--lock-stop", "vg_san"], self.commands())

    # --- 6. reads never write the run state --------------------------------------------
    def test_6_a_read_that_outlives_pool_destroy_does_not_bring_the_pool_back(self):
        self.rules([{"prefix": ["vgs"], "sleep": 3, "stdout": self.vgs()}])
        lister = self.ilvm_bg("vol-list", "san")
        self.wait_for_command(["vgs"])
        r = self.ilvm("pool-destroy", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        out, err = lister.communicate(timeout=60)
        self.assertEqual(lister.returncode, 0, err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "run", "pools", "san.xml")))
        self.assertIn("inactive", self.ilvm("pool-list", "--all").stdout)

    def test_6_pool_define_and_autostart_wait_for_the_pool_lock(self):
        with open(os.path.join(self.tmp, "run", "pools", "san.lock"), "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            for args in (("pool-autostart", "san"), ("pool-define", os.path.join(DATA, "pools", "san.xml"))):
                with self.subTest(verb=args[0]):
                    r = self.ilvm(*args, "--no-wait")
                    assert_one_error_line(self, r, 4, "pool 'san' is busy")

    # --- 7. an interrupted create -------------------------------------------------------
    def test_7_sigterm_during_a_create_removes_the_half_made_volume(self):
        self.rules([{"prefix": ["blkdiscard"], "sleep": 30}])
        job = self.ilvm_bg("vol-create-as", "san", "vm9", "1G")
        self.wait_for_command(["blkdiscard"])
        job.send_signal(signal.SIGTERM)
        out, err = job.communicate(timeout=60)
        self.assertEqual(job.returncode, 5, err)
        self.assertIn("interrupted", err)
        self.assertIn(["lvremove", "--yes", "--config", "backup{retain_min=4 retain_days=0}", "vg_san/vm9"], self.commands())
        self.assertNotIn("vm9", self.lvs_state())

    def test_7_a_killed_create_leaves_a_volume_that_says_it_is_incomplete(self):
        self.rules([{"prefix": ["blkdiscard"], "sleep": 30}])
        job = self.ilvm_bg("vol-create-as", "san", "vm9", "1G")
        self.wait_for_command(["blkdiscard"])
        job.kill()
        job.communicate(timeout=60)
        self.assertEqual(self.lvs_state()["vm9"]["tags"], ["ilvm_incomplete"])
        self.rules([])
        r = self.ilvm("reconcile", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/vm9: INCOMPLETE", r.stdout)
        self.assertIn("vm9", self.lvs_state())
        r = self.ilvm("reconcile", "--remove-incomplete")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/vm9: removed the incomplete volume", r.stdout)
        self.assertNotIn("vm9", self.lvs_state())

    # --- 8. a new volume never shows an earlier one's data ------------------------------
    def test_8_a_new_volume_is_zeroed_end_to_end(self):
        r = self.ilvm("vol-create-as", "san", "vm9", "1G")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["blkdiscard", "--zeroout", "/dev/vg_san/vm9"], self.commands())
        self.assertEqual(self.lvs_state()["vm9"]["tags"], [])

    # --- 9. parallel creates ------------------------------------------------------------
    def test_9_parallel_creates_all_succeed(self):
        self.rules([{"prefix": ["blkdiscard"], "sleep": 1}])
        jobs = [self.ilvm_bg("vol-create-as", "san", "par%d" % i, "64M") for i in range(6)]
        results = [(j.wait(timeout=120), j.stderr.read()) for j in jobs]
        self.assertEqual([rc for rc, _ in results], [0] * 6, results)
        self.assertEqual(sorted(n for n in self.lvs_state() if n.startswith("par")), ["par%d" % i for i in range(6)])

    # --- 10. a hook timeout is all or nothing -------------------------------------------
    def test_10_a_timed_out_start_undoes_the_volume_it_had_activated(self):
        self.set_lvs({"vm1": {}, "vm9": {}})
        self.rules([{"prefix": ["lvchange", "-aey", "-K", "vg_san/vm9"], "sleep": 60}])
        env = dict(self.env, ILVM_HOOK_TIMEOUT="3")
        two = domain("web1", ("block", "dev", "/dev/vg_san/vm1"), ("block", "dev", "/dev/vg_san/vm9"))
        r = self.hook("web1", "prepare", "begin", two, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("hook timed out", r.stderr)
        self.assertIn(["lvchange", "-an", "vg_san/vm1"], self.commands())
        self.assertNotIn("active", self.lvs_state()["vm1"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
