#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ilvmd, the host agent, as a process: against the recording fake of lvm (fake_cmd.py), a
private pool store and libvirt's in-process test driver (test:///default). What the agent
decides per event is tested in tests/unit/test_agent.cpp; here: it starts, passes over the
started pools at once, follows up an idle volume after its grace without waiting for the
safety net, waits for a pool an ilvm verb holds, and stops cleanly on SIGTERM.

Usage: test_agent.py <ilvmd binary> <ilvm binary> <backend module dir> <tests/data dir>"""
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from cli_helpers import assert_one_error_line, fake_env, logged_commands, mark_active, write_rules

ILVMD, ILVM, MODULE_DIR, DATA = sys.argv[1:5]
EXIT_USAGE = 2


def lvm(name):
    with open(os.path.join(DATA, "lvm", name), encoding="utf-8") as f:
        return f.read()


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-agent-")
        status = os.path.join(self.tmp, "status")
        os.makedirs(status)
        # A safety net far away: whatever happens within a test was caused by an event or a
        # follow-up, not by the periodic pass.
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=status,
                            ILVM_RECONCILE_GRACE_SECONDS="1", ILVM_AGENT_SAFETY_NET_SECONDS="3600")
        self.env.pop("JOURNAL_STREAM", None)
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [])
        r = subprocess.run([ILVM, "pool-define", os.path.join(DATA, "pools", "san.xml")], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.proc = subprocess.Popen([ILVMD, "-v"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err

    def commands(self):
        return logged_commands(self.env["ILVM_FAKE_LOG"])

    def wait_for(self, argv, seconds=20):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if argv in self.commands():
                return time.monotonic()
            if self.proc.poll() is not None:
                self.fail("ilvmd exited early: " + self.proc.stderr.read())
            time.sleep(0.05)
        self.fail(f"{argv} not run within {seconds} s; ran {self.commands()}")

    def test_usage(self):
        r = subprocess.run([ILVMD, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: ilvmd", r.stdout)
        r = subprocess.run([ILVMD, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("ilvmd "), r.stdout)
        r = subprocess.run([ILVMD, "--frobnicate"], capture_output=True, text=True, timeout=30)
        assert_one_error_line(self, r, EXIT_USAGE, "unknown option '--frobnicate'")

    def test_no_started_pool_runs_nothing_and_stops_on_sigterm(self):
        self.start()
        time.sleep(1.5)
        code, err = self.stop()
        self.assertEqual(code, 0, err)
        self.assertIn("ilvmd ready: 0 started pool(s)", err)
        self.assertIn("ilvmd stopping", err)
        self.assertEqual(self.commands(), [])

    def test_start_pass_repairs_flags_and_the_follow_up_releases_the_idle_volume(self):
        mark_active(self.tmp)
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["lvs"], "stdout": lvm("lvs_flags_missing.json")}])
        t0 = time.monotonic()
        self.start()
        self.wait_for(["lvchange", "--setactivationskip", "y", "--setautoactivation", "n",
                       "--config", "backup{retain_min=4 retain_days=0}", "vg_san/fromvirsh"])
        # Idle for its grace (1 s): the pass after it deactivates it, long before the safety net (1 h).
        t = self.wait_for(["lvchange", "-an", "vg_san/fromvirsh"])
        self.assertLess(t - t0, 15)
        end = time.monotonic() + 10
        while True:   # the status is written once the pass's result is back on the main loop
            with open(os.path.join(self.tmp, "run", "ilvmd.status"), encoding="utf-8") as f:
                status = dict(line.split("=", 1) for line in f.read().splitlines())
            if int(status["passes"]) >= 2 or time.monotonic() > end:
                break
            time.sleep(0.05)
        self.assertEqual(int(status["pid"]), self.proc.pid)
        self.assertGreaterEqual(int(status["passes"]), 2)
        self.assertEqual(status["libvirt"], "connected")   # test:///default
        code, err = self.stop()
        self.assertEqual(code, 0, err)
        self.assertIn("reconcile: san/fromvirsh: set activation skip on and autoactivation off", err)
        self.assertIn("reconcile: san/fromvirsh: deactivated", err)
        # Nothing but the volumes: the sanlock lease LV is never touched.
        self.assertFalse(any("lvmlock" in " ".join(c) for c in self.commands() if c[0] == "lvchange"))

    def test_a_pool_an_ilvm_verb_holds_is_passed_over_once_it_is_free(self):
        mark_active(self.tmp)
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["lvs"], "stdout": lvm("lvs_vm1.json")}])
        with open(os.path.join(self.tmp, "run", "pools", "san.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)   # what an ilvm verb changing the pool holds
            self.start()
            time.sleep(2.5)
            self.assertEqual(self.commands(), [], "a pass ran while the pool was locked")
        end = time.monotonic() + 10
        while time.monotonic() < end and not any(c[0] == "lvs" for c in self.commands()):
            time.sleep(0.05)
        self.assertTrue(any(c[0] == "lvs" for c in self.commands()), "no pass after the lock was released")
        code, err = self.stop()
        self.assertEqual(code, 0, err)

    @unittest.skipUnless(os.geteuid() == 0, "the agent's socket answers root only (SO_PEERCRED)")
    def test_a_verb_hands_the_mirror_and_the_reconcile_to_the_agent(self):
        """With ilvmd running, a verb that changed a pool asks it to refresh the libvirt mirror
        and waits for the answer; it loads no libvirt and runs no reconcile itself (issue 16:
        that was most of a verb's own cost); the agent's pass follows once the verb is gone."""
        mark_active(self.tmp)
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["lvs"], "stdout": lvm("lvs_vm1.json")}])
        self.start()
        self.wait_for_count("lvs", 0, 1, seconds=20)   # the start pass
        socket = os.path.join(self.tmp, "run", "ilvmd.sock")
        end = time.monotonic() + 20
        while not os.path.exists(socket) and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.5)   # the start pass over
        before = len(self.commands())
        r = subprocess.run([ILVM, "-vv", "vol-delete", "vm1", "--pool", "san"], env=dict(self.env, LD_DEBUG="files"),
                           capture_output=True, text=True, timeout=60)
        # LD_DEBUG's lines start with the pid; the verb's own log is the rest.
        log = "\n".join(line for line in r.stderr.splitlines() if not re.match(r"\s+\d+:", line))
        self.assertEqual(r.returncode, 0, log)
        self.assertIn("ilvmd: mirror of pool san refreshed", log)
        loaded = [line.strip() for line in r.stderr.splitlines() if "file=libvirt.so.0" in line]
        self.assertEqual(loaded, [], "the verb loaded libvirt")
        verb = self.commands()[before:]
        self.assertEqual([c[0] for c in verb], ["lvs", "lvremove"], verb)
        self.wait_for_count("lvs", before, 2, seconds=15)   # the agent's pass, after the verb
        code, err = self.stop()
        self.assertEqual(code, 0, err)

    @unittest.skipUnless(os.geteuid() == 0, "the agent's socket answers root only (SO_PEERCRED)")
    def test_pool_info_asks_the_agent_about_the_mirror(self):
        """pool-info's mirror line comes from the agent, which has libvirt loaded; the verb loads
        none. test:///default has no pool san: the mirror is absent."""
        mark_active(self.tmp)
        write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["lvs"], "stdout": lvm("lvs_vm1.json")},
                                                   {"prefix": ["vgs"], "stdout": lvm("vgs_vg_san.json")},
                                                   {"prefix": ["sanlock"], "exit": 1}])
        self.start()
        socket = os.path.join(self.tmp, "run", "ilvmd.sock")
        end = time.monotonic() + 20
        while not os.path.exists(socket) and time.monotonic() < end:
            time.sleep(0.05)
        r = subprocess.run([ILVM, "pool-info", "san", "--json"], env=dict(self.env, LD_DEBUG="files"),
                           capture_output=True, text=True, timeout=60)
        log = "\n".join(line for line in r.stderr.splitlines() if not re.match(r"\s+\d+:", line))
        self.assertEqual(r.returncode, 0, log)
        self.assertEqual(json.loads(r.stdout)["libvirt_mirror"]["state"], "absent")
        loaded = [line.strip() for line in r.stderr.splitlines() if "file=libvirt.so.0" in line]
        self.assertEqual(loaded, [], "the verb loaded libvirt")
        code, err = self.stop()
        self.assertEqual(code, 0, err)

    def wait_for_count(self, tool, since, count, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if sum(1 for c in self.commands()[since:] if c[0] == tool) >= count:
                return
            time.sleep(0.05)
        self.fail(f"fewer than {count} {tool} since the verb within {seconds} s: {self.commands()[since:]}")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
