#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The installed hook binary (50-iscsi-lvm) end to end with the real module and a
recording fake of lvm: the fast path touches nothing, prepare activates through the
module, and the bounded timeout refuses the start *and* kills the LVM command it was
waiting for (found in the lab: an lvs stuck on lvmlockd outlived the hook).

Usage: test_hook_binary.py <hook binary> <ilvm binary> <backend module dir> <tests/data dir>"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from cli_helpers import fake_env, logged_commands, needed, start_log

HOOK, ILVM, MODULE_DIR, DATA = sys.argv[1:5]

DOMAIN = """<domain type='kvm'><name>web1</name><devices>
  <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
</devices></domain>"""


def wait_process_ended(pid, seconds):
    """Waits up to `seconds` for `pid` to exit (a zombie counts: it waits for init to reap
    it); whether it ended."""
    def running():
        try:
            with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    deadline = time.monotonic() + seconds
    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running()


class HookBinaryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-hook-")
        self.log = os.path.join(self.tmp, "commands.log")
        self.script = os.path.join(self.tmp, "script.json")
        os.makedirs(os.path.join(self.tmp, "status"))
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=os.path.join(self.tmp, "status"))
        self.rules([])
        r = subprocess.run([ILVM, "pool-define", os.path.join(DATA, "pools", "san.xml")], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # What pool-start leaves behind: the run-state copy marks the pool active.
        os.makedirs(os.path.join(self.tmp, "run", "pools"), exist_ok=True)
        shutil.copy(os.path.join(self.tmp, "etc", "pools", "san.xml"), os.path.join(self.tmp, "run", "pools", "san.xml"))
        start_log(self.log)   # only what the hook runs

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def rules(self, rules):
        with open(self.script, "w", encoding="utf-8") as f:
            json.dump(rules, f)

    def hook(self, op, sub, stdin=DOMAIN, timeout=60):
        return subprocess.run([HOOK, "web1", op, sub, "-"], env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=timeout)

    def commands(self):
        return logged_commands(self.log)

    def test_the_hook_links_no_libvirt(self):
        # libvirtd waits for the hook: a hook able to call libvirt could deadlock it. The
        # layout check keeps libvirt out of shim/meson.build; this checks the binary itself.
        libs = needed(HOOK)
        self.assertTrue(libs, HOOK)
        self.assertFalse([n for n in libs if "libvirt" in n], libs)

    def test_unrelated_operations_touch_nothing(self):
        for op, sub in (("start", "begin"), ("started", "begin"), ("stopped", "end"), ("migrate", "end")):
            r = self.hook(op, sub)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.commands(), [])

    def test_a_domain_without_our_disks_is_left_before_the_module_loads(self):
        # Most domains of a host are not ours: their start pays no module load (issue 16), and
        # a module that cannot load refuses only the starts it concerns (fail closed there).
        foreign = ("<domain type='kvm'><name>web1</name><devices><disk type='file' device='disk'>"
                   "<source file='/var/lib/libvirt/images/web1.qcow2'/><target dev='vda'/></disk></devices></domain>")
        self.env["ILVM_BACKEND_DIR"] = os.path.join(self.tmp, "no-module-here")
        r = self.hook("prepare", "begin", stdin=foreign)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(self.commands(), [])
        r = self.hook("prepare", "begin")   # one of ours: refused, it cannot be checked
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot check domain 'web1'", r.stderr)

    def test_a_domain_xml_beyond_the_bound_is_refused_for_a_start(self):
        # Read in pieces up to one byte past the parser's bound (1 MiB): larger is refused, not cut.
        padding = "<!-- %s -->" % ("x" * (2 << 20))
        big = DOMAIN.replace("<devices>", padding + "<devices>")
        r = self.hook("prepare", "begin", stdin=big)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("too large", r.stderr)
        self.assertEqual(self.commands(), [])
        # Just under the bound, in many pieces of the read: read whole, the disk found.
        with open(os.path.join(DATA, "lvm", "lvs_vm1.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        fits = DOMAIN.replace("<devices>", "<!-- %s --><devices>" % ("x" * ((1 << 20) - len(DOMAIN) - 100)))
        r = self.hook("prepare", "begin", stdin=fits)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["lvchange", "-aey", "-K", "vg_san/vm1"], self.commands())

    def test_prepare_activates_the_disk_exclusively(self):
        with open(os.path.join(DATA, "lvm", "lvs_vm1.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        r = self.hook("prepare", "begin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["lvchange", "-aey", "-K", "vg_san/vm1"], self.commands())

    def test_prepare_and_release_of_many_disks_read_lvs_once(self):
        # One whole-VG lvs per pool per hook call, not one per disk (issue 16: 16 disks at
        # 10,000 volumes took 4.78 s). fake_cmd.py's small LVM answers lvs and lvchange.
        lvm = os.path.join(self.tmp, "lvm.json")
        with open(lvm, "w", encoding="utf-8") as f:
            json.dump({"d%02d" % i: {} for i in range(16)}, f)
        self.env["ILVM_FAKE_LVM"] = lvm
        domain = ("<domain type='kvm'><name>web1</name><devices>" +
                  "".join("<disk type='block' device='disk'><source dev='/dev/vg_san/d%02d'/><target dev='vd%s'/></disk>"
                          % (i, chr(ord("a") + i)) for i in range(16)) + "</devices></domain>")
        r = self.hook("prepare", "begin", stdin=domain)
        self.assertEqual(r.returncode, 0, r.stderr)
        ran = self.commands()
        self.assertEqual(sum(c[0] == "lvs" for c in ran), 1, ran)
        self.assertEqual(sorted(c[-1] for c in ran if c[:2] == ["lvchange", "-aey"]), ["vg_san/d%02d" % i for i in range(16)])
        start_log(self.log)
        r = self.hook("release", "end", stdin=domain)
        self.assertEqual(r.returncode, 0, r.stderr)
        ran = self.commands()
        self.assertEqual(sum(c[0] == "lvs" for c in ran), 1, ran)
        self.assertEqual(sum(c[:2] == ["lvchange", "-an"] for c in ran), 16, ran)

    # The verbs refuse configuration directories others could change (test_files.py); the
    # hook reads the same definitions, so a start checks them too and refuses before it
    # runs anything; a release never refuses (libvirt cannot undo a stop): it warns and goes on.
    def test_a_start_is_refused_when_a_config_dir_is_writable_by_others(self):
        with open(os.path.join(DATA, "lvm", "lvs_vm1.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        pools = os.path.join(self.tmp, "etc", "pools")
        for op, sub in (("prepare", "begin"), ("migrate", "begin")):
            with self.subTest(op=op):
                os.chmod(pools, 0o777)
                try:
                    r = self.hook(op, sub)
                finally:
                    os.chmod(pools, 0o755)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(pools, r.stderr)
                self.assertIn("writable by", r.stderr)
        self.assertEqual(self.commands(), [])

    def test_a_release_goes_on_when_a_config_dir_is_writable_by_others(self):
        with open(os.path.join(DATA, "lvm", "lvs_vm1.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        self.assertEqual(self.hook("prepare", "begin").returncode, 0)   # web1 activates vm1 here
        with open(os.path.join(DATA, "lvm", "lvs_vm1_active_here.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        start_log(self.log)
        os.chmod(os.path.join(self.tmp, "run", "pools"), 0o777)
        r = self.hook("release", "end")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("writable by", r.stderr)
        self.assertIn(["lvchange", "-an", "vg_san/vm1"], self.commands())

    def test_a_start_whose_libvirtd_exits_meanwhile_undoes_its_activation(self):
        # libvirtd restarted while the hook ran (e2e `faults`): the orphaned hook must not
        # leave the volume active for a start nobody waits for. Its parent here is a shell
        # that exits while lvchange (held 3 s by the fake) runs.
        lvs = []
        for name in ("lvs_vm1.json", "lvs_vm1_active_here.json"):   # before and after the activation
            with open(os.path.join(DATA, "lvm", name), encoding="utf-8") as f:
                lvs.append(f.read())
        self.rules([{"prefix": ["lvs"], "stdout_seq": lvs}, {"prefix": ["lvchange", "-aey"], "sleep": 3}])
        xml = os.path.join(self.tmp, "web1.xml")
        with open(xml, "w", encoding="utf-8") as f:
            f.write(DOMAIN)
        errfile, pidfile = os.path.join(self.tmp, "hook.err"), os.path.join(self.tmp, "hook.pid")
        subprocess.run(["sh", "-c", '"$0" web1 prepare begin - <"$1" 2>"$2" & echo $! >"$3"; sleep 1',
                        HOOK, xml, errfile, pidfile], env=self.env, check=True, timeout=60)
        with open(pidfile, encoding="utf-8") as f:
            pid = int(f.read())
        self.assertTrue(wait_process_ended(pid, 60), "the orphaned hook (pid %d) did not end" % pid)
        with open(errfile, encoding="utf-8") as f:
            err = f.read()
        self.assertIn("libvirt stopped waiting for this hook", err)
        cmds = self.commands()
        self.assertIn(["lvchange", "-aey", "-K", "vg_san/vm1"], cmds)
        self.assertIn(["lvchange", "-an", "vg_san/vm1"], cmds)
        self.assertEqual(os.listdir(os.path.join(self.tmp, "run", "pools", "san.volumes")), ["vm1.lock"])

    def test_timeout_refuses_and_kills_the_stuck_command(self):
        self.rules([{"prefix": ["lvs"], "sleep": 60}])
        self.env["ILVM_HOOK_TIMEOUT"] = "2"
        r = self.hook("prepare", "begin")
        self.assertEqual(r.returncode, 1)
        self.assertIn("hook timed out", r.stderr)
        with open(self.log + ".sleeping", encoding="utf-8") as f:
            pid = int(f.read())
        # The stuck command must die with the hook, not linger for its full 60 s.
        self.assertTrue(wait_process_ended(pid, 20), "the stuck lvs (pid %d) outlived the hook" % pid)
        self.assertNotIn(["lvchange", "-aey", "-K", "vg_san/vm1"], self.commands())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
