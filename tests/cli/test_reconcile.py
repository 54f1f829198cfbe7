#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CLI tests of `ilvm reconcile`, the boot verbs and the libvirt mirror pool, with the
recording fake of lvm/iscsiadm (fake_cmd.py) and libvirt's in-process test driver
(ILVM_LIBVIRT_URI=test:///default: a fresh state per ilvm run, holding one 'dir' pool
named default-pool).

Usage: test_reconcile.py <ilvm binary> <backend module dir> <tests/data dir>"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import fake_env

ILVM, MODULE_DIR, DATA = sys.argv[1:4]

EXIT_CONFLICT, EXIT_SYSTEM = 4, 5
MUTATING = ("lvchange", "lvcreate", "lvremove", "vgchange", "iscsiadm")

DOMAIN_USING_VM3 = """<domstatus state='running' pid='4242'>
  <domain type='kvm'>
    <name>web3</name>
    <devices>
      <disk type='block' device='disk'>
        <source dev='/dev/vg_san/vm3'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
  </domain>
</domstatus>
"""


class ReconcileCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-reconcile-")
        self.log = os.path.join(self.tmp, "commands.log")
        self.script = os.path.join(self.tmp, "script.json")
        self.status = os.path.join(self.tmp, "status")
        os.makedirs(self.status)
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=self.status,
                            ILVM_RECONCILE_GRACE_SECONDS="0")
        self.rules([])
        r = self.ilvm("pool-define", os.path.join(DATA, "pools", "san.xml"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def rules(self, rules):
        with open(self.script, "w", encoding="utf-8") as f:
            json.dump(rules, f)

    def lvs(self, name):
        with open(os.path.join(DATA, "lvm", name), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=60)

    def commands(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def mutations(self):
        return [c for c in self.commands() if c[0] in MUTATING]

    def make_active(self, pool="san"):
        run = os.path.join(self.tmp, "run", "pools")
        os.makedirs(run, exist_ok=True)
        shutil.copy(os.path.join(self.tmp, "etc", "pools", pool + ".xml"), os.path.join(run, pool + ".xml"))

    def define_named(self, name, vg, target):
        with open(os.path.join(DATA, "pools", "san.xml"), encoding="utf-8") as f:
            xml = f.read().replace("<name>san</name>", f"<name>{name}</name>").replace("vg_san", vg)
        xml = xml.replace("iqn.2024-04.com.example:vms", target)
        path = os.path.join(self.tmp, name + ".xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        r = self.ilvm("pool-define", path)
        self.assertEqual(r.returncode, 0, r.stderr)

    def assert_one_error(self, r, code, fragment):
        self.assertEqual(r.returncode, code, f"stdout={r.stdout!r} stderr={r.stderr!r}")
        errors = [l for l in r.stderr.splitlines() if l.startswith("error: ")]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn(fragment, errors[0])

    # --- reconcile -----------------------------------------------------------------
    def test_no_started_pool_runs_nothing(self):
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(self.commands(), [])

    def test_all_in_order_prints_nothing_and_runs_only_lvs(self):
        self.make_active()
        self.lvs("lvs_vm1.json")
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual([c[0] for c in self.commands()], ["lvs"])

    def test_missing_flags_are_set_and_an_idle_lv_goes_on_the_second_pass(self):
        self.make_active()
        self.lvs("lvs_flags_missing.json")
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "san/fromvirsh: set activation skip on and autoactivation off (activation skip flag off and autoactivation on)",
            "san/byhand: set activation skip on and autoactivation off (autoactivation on)",
        ])
        self.assertNotIn(["lvchange", "-an", "vg_san/fromvirsh"], self.commands())
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/fromvirsh: deactivated (active on this host, not open, used by no running domain)",
                      r.stdout.splitlines())
        self.assertIn(["lvchange", "-an", "vg_san/fromvirsh"], self.commands())
        self.assertFalse(any("lvmlock" in " ".join(c) for c in self.mutations()))

    def test_a_held_volume_stays_active_until_its_hold_ends(self):
        self.make_active()
        self.lvs("lvs_three.json")
        r = self.ilvm("vol-activate", "vm3", "--pool", "san", "--hold", "1h")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("held for 3600 s (ilvm vol-deactivate vm3 ends the hold)", r.stdout)
        hold = os.path.join(self.tmp, "run", "pools", "san.volumes", "vm3.hold")
        self.assertTrue(os.path.exists(hold))
        for _ in range(2):   # the grace is 0 here: without the hold the second pass deactivates vm3
            r = self.ilvm("reconcile", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
        steps = {(s["volume"], s["action"]): s for s in json.loads(r.stdout)}
        self.assertEqual(steps[("vm3", "keep")]["reason"], "held on this host by ilvm vol-activate --hold")
        self.assertNotIn(["lvchange", "-an", "vg_san/vm3"], self.commands())
        # The hold ends: the next passes release it and remove the hold.
        with open(hold, "w", encoding="utf-8") as f:
            f.write("1\n")
        for _ in range(2):
            r = self.ilvm("reconcile")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["lvchange", "-an", "vg_san/vm3"], self.commands())
        self.assertFalse(os.path.exists(hold))

    def test_a_hold_that_is_no_duration_is_refused_before_anything_runs(self):
        self.make_active()
        self.lvs("lvs_three.json")
        r = self.ilvm("vol-activate", "vm3", "--pool", "san", "--hold", "2w")
        self.assert_one_error(r, 2, "--hold '2w' is not a duration")
        self.assertEqual(self.commands(), [])

    def test_vol_deactivate_ends_the_hold(self):
        self.make_active()
        self.lvs("lvs_three.json")
        self.assertEqual(self.ilvm("vol-activate", "vm3", "--pool", "san", "--hold", "30m").returncode, 0)
        hold = os.path.join(self.tmp, "run", "pools", "san.volumes", "vm3.hold")
        self.assertTrue(os.path.exists(hold))
        r = self.ilvm("vol-deactivate", "vm3", "--pool", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(hold))

    def test_grace_period_keeps_a_just_activated_lv(self):
        self.env["ILVM_RECONCILE_GRACE_SECONDS"] = "3600"
        self.make_active()
        self.lvs("lvs_three.json")
        for _ in range(2):
            r = self.ilvm("reconcile")
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(self.mutations(), [])

    def write_owner(self, volume, domain, since):
        d = os.path.join(self.tmp, "run", "pools", "san.volumes")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, volume + ".owners")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"{domain}\texclusive\t{since}\n")
        return path

    def test_a_volume_whose_domain_is_gone_is_released_in_the_pass_that_removes_its_owner_record(self):
        # libvirt deletes a stopping domain's status file before it runs the release hook: a
        # pass in between removes the owner record, and the hook then leaves the volume alone
        # ("this domain did not activate it here"). Measured in the lab after a stock
        # migration: the source kept the volume shared 24 s longer, and the destination waited.
        # The pass that removes the last record releases the volume as the hook would have,
        # without an idle grace (the grace is for a domain that may still be starting).
        self.env["ILVM_RECONCILE_GRACE_SECONDS"] = "3600"
        self.make_active()
        self.lvs("lvs_vm1_active_here.json")
        owners = self.write_owner("vm1", "gone", 1000)
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(owners))
        self.assertIn("removed the stale owner record of vm1 for domain gone", r.stderr)
        self.assertIn(["lvchange", "-an", "vg_san/vm1"], self.commands())
        self.assertIn("san/vm1: deactivated (active on this host, not open, used by no running domain)",
                      r.stdout.splitlines())

    def test_an_open_volume_whose_domain_is_gone_keeps_its_owner_record_until_it_is_released(self):
        # The same race, when the pass comes while QEMU still has the volume open: had the pass
        # removed the record, the hook's release 184 ms later would have left the volume active
        # ("no owner record") and the destination's finisher would have waited for a later
        # pass's idle grace (17 s in the lab). The record stays while the volume is active here;
        # the first pass that finds it closed releases it and removes the record.
        self.env["ILVM_RECONCILE_GRACE_SECONDS"] = "3600"
        self.make_active()
        with open(os.path.join(DATA, "lvm", "lvs_three.json"), encoding="utf-8") as f:
            report = f.read()
        self.assertEqual(report.count('"lv_device_open":"1"'), 1)   # vm2 only
        self.rules([{"prefix": ["lvs"], "stdout": report}])
        owners = self.write_owner("vm2", "gone", 1000)
        r = self.ilvm("-v", "reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(owners), r.stderr)
        self.assertIn("san/vm2: keeps the owner record of domain gone (no longer here) until the volume is released "
                      "(open on this host)", r.stderr)
        self.assertEqual(self.mutations(), [])
        self.rules([{"prefix": ["lvs"], "stdout": report.replace('"lv_device_open":"1"', '"lv_device_open":"0"')}])
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["lvchange", "-an", "vg_san/vm2"], self.commands())
        self.assertFalse(os.path.exists(owners))

    def test_a_stale_owner_record_of_a_volume_not_active_here_is_removed(self):
        self.make_active()
        self.lvs("lvs_three.json")   # vm1 inactive here
        owners = self.write_owner("vm1", "gone", 1000)
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(owners))
        self.assertNotIn(["lvchange", "-an", "vg_san/vm1"], self.commands())

    def test_a_stale_owner_record_beside_a_live_one_goes_and_the_volume_stays(self):
        import time
        self.make_active()
        self.lvs("lvs_vm1_active_here.json")
        owners = self.write_owner("vm1", "gone", 1000)
        with open(owners, "a", encoding="utf-8") as f:
            f.write(f"starting\tshared\t{int(time.time())}\n")
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        with open(owners, encoding="utf-8") as f:
            self.assertEqual([l.split("\t")[0] for l in f.read().splitlines()], ["starting"])
        self.assertEqual(self.mutations(), [])

    def test_a_fresh_owner_record_keeps_its_volume(self):
        # A domain that is starting has its record before libvirt writes its status file.
        import time
        self.make_active()
        self.lvs("lvs_vm1_active_here.json")
        owners = self.write_owner("vm1", "starting", int(time.time()))
        for _ in range(2):
            r = self.ilvm("reconcile")
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertTrue(os.path.exists(owners))
        self.assertEqual(self.mutations(), [])

    def test_open_lv_and_lv_of_running_domain_are_left_alone_with_the_reason(self):
        with open(os.path.join(self.status, "web3.xml"), "w", encoding="utf-8") as f:
            f.write(DOMAIN_USING_VM3)
        self.make_active()
        self.lvs("lvs_three.json")
        for _ in range(2):
            r = self.ilvm("reconcile", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
        steps = {(s["volume"], s["action"]): s for s in json.loads(r.stdout)}
        self.assertEqual(steps[("vm2", "keep")]["reason"], "open on this host")
        self.assertEqual(steps[("vm3", "keep")]["reason"], "used by a running domain on this host")
        self.assertEqual(self.mutations(), [])

    def test_dry_run_changes_nothing(self):
        self.make_active()
        self.lvs("lvs_flags_missing.json")
        r = self.ilvm("reconcile", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/byhand: would set activation skip on and autoactivation off (autoactivation on)",
                      r.stdout.splitlines())
        self.assertEqual(self.mutations(), [])
        # Nor does it count as a sighting: the next real pass only starts the grace period.
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "run", "pools", "san.idle")))

    def test_failed_change_is_reported_and_exits_5(self):
        self.make_active()
        with open(os.path.join(DATA, "lvm", "lvs_flags_missing.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()},
                        {"prefix": ["lvchange", "--setactivationskip"], "exit": 5, "stderr": "  Device busy\n"}])
        r = self.ilvm("reconcile")
        self.assert_one_error(r, EXIT_SYSTEM, "reconcile change(s) failed")
        self.assertIn("san/byhand: FAILED to set activation skip / autoactivation (autoactivation on): Device busy",
                      r.stdout.splitlines())

    def test_pool_option_needs_an_active_pool(self):
        self.assert_one_error(self.ilvm("reconcile", "--pool", "san"), EXIT_CONFLICT, "is not active")
        self.assertEqual(self.commands(), [])

    def test_volume_change_runs_a_reconcile_pass(self):
        self.make_active()
        with open(os.path.join(DATA, "lvm", "lvs_flags_missing.json"), encoding="utf-8") as f:
            self.rules([{"prefix": ["lvs"], "stdout": f.read()}])
        r = self.ilvm("vol-delete", "vm1", "--pool", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(["lvchange", "--setactivationskip", "y", "--setautoactivation", "n", "--config", "backup{retain_min=4 retain_days=0}",
                       "vg_san/fromvirsh"],
                      self.commands())

    # --- mirror pool ---------------------------------------------------------------
    def test_pool_start_refuses_a_foreign_libvirt_pool_of_the_same_name(self):
        self.define_named("default-pool", "vg_other", "iqn.2024-04.com.example:other")
        r = self.ilvm("pool-start", "default-pool")
        self.assert_one_error(r, EXIT_CONFLICT, "libvirt already has a pool named 'default-pool'")
        self.assertIn("hint: ", r.stderr)
        self.assertEqual(self.commands(), [])

    def test_pool_info_shows_the_mirror_state(self):
        info = json.loads(self.ilvm("pool-info", "san", "--json").stdout)
        self.assertEqual(info["libvirt_mirror"]["state"], "absent")
        self.env["ILVM_LIBVIRT_URI"] = "test:///nonexistent/ilvm-no-such-file.xml"
        r = self.ilvm("pool-info", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Libvirt mirror:", r.stdout)
        self.assertIn("unknown (cannot connect to libvirt at test:///nonexistent", r.stdout)

    def test_pool_info_shows_the_host_agent_as_doctor_does(self):
        # Issue 17: pool-info shows the agent's view. No status file: it never ran since boot.
        r = self.ilvm("pool-info", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Host agent:\s+FAIL: ilvmd has not run on this host since boot \(no status "
                                   r"file\) \(fix: systemctl enable --now ilvmd\)$")
        agent = json.loads(self.ilvm("pool-info", "san", "--json").stdout)["agent"]
        self.assertEqual((agent["health"], agent["fix"]), ("fail", "systemctl enable --now ilvmd"))
        # A live agent (this test's own pid stands in for it) that passed a second ago.
        import time
        now = int(time.time())
        os.makedirs(os.path.join(self.tmp, "run"), exist_ok=True)
        with open(os.path.join(self.tmp, "run", "ilvmd.status"), "w", encoding="utf-8") as f:
            f.write(f"pid={os.getpid()}\nstarted={now - 60}\nupdated={now - 1}\npasses=7\nsafety_net=300\n"
                    f"libvirt=connected\nlibvirt_error=\nlast_event=domain web1 started\nlast_event_at={now - 2}\n"
                    f"handover=ready (port 16520)\n")
        r = self.ilvm("pool-info", "san")
        self.assertRegex(r.stdout, r"(?m)^Host agent:\s+ilvmd \(pid %d\) running, 7 passes, last \d+ s ago, last event "
                                   r"\d+ s ago: domain web1 started; hand-over ready \(port 16520\)$" % os.getpid())
        agent = json.loads(self.ilvm("pool-info", "san", "--json").stdout)["agent"]
        self.assertEqual((agent["health"], agent["fix"]), ("ok", None))
        doctor = self.ilvm("doctor")
        self.assertIn("ok   host: agent: ilvmd (pid %d) running, 7 passes" % os.getpid(), doctor.stdout)

    def test_pool_destroy_without_libvirt_warns_once_and_succeeds(self):
        self.make_active()
        self.env["ILVM_LIBVIRT_URI"] = "test:///nonexistent/ilvm-no-such-file.xml"
        r = self.ilvm("pool-destroy", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Pool san destroyed\n")

    # --- boot ----------------------------------------------------------------------
    def test_autostart_all_starts_only_autostart_pools_and_reports_failures(self):
        r = self.ilvm("pool-autostart-all")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(self.commands(), [])
        self.assertEqual(self.ilvm("pool-autostart", "san").returncode, 0)
        # The LUN never appears (no device in a test): the start fails, the verb says so.
        r = self.ilvm("pool-autostart-all")
        self.assert_one_error(r, EXIT_SYSTEM, "1 of 1 pool(s) could not be started")
        self.assertIn("warning: pool san not started:", r.stderr)

    def test_destroy_all_stops_active_pools(self):
        self.make_active()
        r = self.ilvm("pool-destroy-all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Pool san destroyed\n")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "run", "pools", "san.xml")))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
