#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CLI tests of the live-migration hand-over: `ilvm migrate`, `ilvm migrate-finish`, the
reconciler's part, and where vol-info / pool-info say a volume is. They run the real ilvm
and module with the recording fake of lvm/sanlock (fake_cmd.py) and libvirt's in-process
test driver (test:///default: its running domain `test` has no iscsi-lvm disks and the
driver cannot migrate, which is how the failure path is reached). The state machines
themselves are unit-tested on fakes (tests/unit/test_migrate_*.cpp).

Usage: test_migrate.py <ilvm binary> <backend module dir> <tests/data dir>"""
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from cli_helpers import assert_one_error_line, fake_env, logged_commands, mark_active, status_file, write_rules

ILVM, MODULE_DIR, DATA = sys.argv[1:4]
BUILD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ILVM)))

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_SYSTEM = 2, 3, 4, 5
MUTATING = ("lvchange", "lvcreate", "lvremove", "vgchange", "iscsiadm")
UUID = {"vm1": "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa",
        "vm2": "exxNPX-wZdO-uCNy-yiGa-aJGT-JKVl-arfcYT",
        "vm3": "Gk2mQe-8dPz-Lm0v-Yt7R-cW1x-Fb5N-aS3uJh"}


def lockctl(**modes):
    """`lvmlockctl -i` output: this host's LV locks in vg_san (and a decoy VG)."""
    text = "VG vg_other lock_type=sanlock Q9Vr2W-0000-0000-0000-0000-0000-000000\nLS sanlock lvm_vg_other\n"
    text += "LK LV sh " + UUID["vm1"] + "\n\n"
    text += "VG vg_san lock_type=sanlock KONMr0-bGNi-kQ3P-rWNy-NrKt-9EPR-C1tqtO\nLS sanlock lvm_vg_san\nLK VG un ver 4\n"
    for vol, mode in modes.items():
        text += "LK LV %s %s\n" % (mode, UUID[vol])
    return text


class HangingUpLibvirtd:
    """A libvirtd that answers a client's first call (REMOTE_PROC_AUTH_LIST: no
    authentication) and then stops reading its socket, as a daemon going away does."""
    PROGRAM, VERSION, REPLY, OK, AUTH_NONE = 0x20008086, 1, 1, 0, 0

    def __init__(self, path):
        self.answered = False
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.settimeout(60)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.done = threading.Event()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(60)
        self.listener.close()

    def serve(self):
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(60)
            length = struct.unpack(">I", self.read(conn, 4))[0]
            call = self.read(conn, length - 4)
            program, version, procedure, _, serial = struct.unpack(">IIiiI", call[:20])
            if (program, version) != (self.PROGRAM, self.VERSION):
                return
            conn.shutdown(socket.SHUT_RD)   # the client's next write is EPIPE
            body = struct.pack(">IIiiIi", program, version, procedure, self.REPLY, serial, self.OK)
            body += struct.pack(">Ii", 1, self.AUTH_NONE)
            conn.sendall(struct.pack(">I", len(body) + 4) + body)
            self.answered = True
            self.done.wait(120)   # open until ilvm has ended: a close would be EOF, not EPIPE

    @staticmethod
    def read(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError("the client closed the connection")
            data += chunk
        return data


class HandoverCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-migrate-")
        self.status = os.path.join(self.tmp, "status")
        self.migrate_dir = os.path.join(self.tmp, "run", "migrate")
        os.makedirs(self.status)
        self.env = fake_env(self.tmp, MODULE_DIR, ILVM_LIBVIRT_STATUS_DIR=self.status, ILVM_RECONCILE_GRACE_SECONDS="0")
        self.rules([])
        r = self.ilvm("pool-define", os.path.join(DATA, "pools", "san.xml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.held = []

    def tearDown(self):
        for f in self.held:
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def rules(self, rules):
        write_rules(os.path.join(self.tmp, "script.json"), rules)

    def data(self, *path):
        with open(os.path.join(DATA, *path), encoding="utf-8") as f:
            return f.read()

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def commands(self):
        return logged_commands(os.path.join(self.tmp, "commands.log"))

    def mutations(self):
        return [c for c in self.commands() if c[0] in MUTATING]

    def path(self, name):
        return os.path.join(self.migrate_dir, name)

    def hold_lock(self, domain):
        """What a running `ilvm migrate` / `migrate-finish` of `domain` holds."""
        os.makedirs(self.migrate_dir, mode=0o700, exist_ok=True)
        f = open(self.path(domain + ".lock"), "w")
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.held.append(f)

    def touch(self, name, age_seconds=0):
        os.makedirs(self.migrate_dir, mode=0o700, exist_ok=True)
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write("incoming live migration accepted by the qemu hook\n")
        t = time.time() - age_seconds
        os.utime(self.path(name), (t, t))

    def write_status(self, domain, disks, **kw):
        with open(os.path.join(self.status, domain + ".xml"), "w", encoding="utf-8") as f:
            f.write(status_file(domain, disks, **kw))

    # --- ilvm migrate: usage ---------------------------------------------------------
    def test_help_names_the_options(self):
        r = self.ilvm("migrate", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("Usage: ilvm migrate <domain> <desturi>"), r.stdout)
        for opt in ("--migrateuri", "--timeout", "--persistent", "--undefinesource", "--json"):
            self.assertIn(opt, r.stdout)
        r = self.ilvm("migrate-finish", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("Usage: ilvm migrate-finish <domain> [--timeout VALUE]"), r.stdout)

    def test_usage_errors_are_one_error_line_and_exit_2(self):
        for args, fragment in [(("migrate",), "migrate needs <domain>"),
                               (("migrate", "test"), "migrate needs <desturi>"),
                               (("migrate", "test", "test:///default", "--timeout", "soon"), "--timeout 'soon'"),
                               (("migrate", "test", "test:///default", "--timeout", "0"), "from 1 to 86400"),
                               (("migrate", "test", "test:///default", "--live"), "unknown option --live"),
                               (("migrate", "../etc", "test:///default"), "not a usable domain name"),
                               (("migrate-finish",), "migrate-finish needs <domain>"),
                               (("migrate-finish", "a/b"), "not a usable domain name")]:
            r = self.ilvm(*args)
            assert_one_error_line(self, r, EXIT_INVALID, fragment)
        self.assertEqual(self.commands(), [])
        self.assertFalse(os.path.exists(self.migrate_dir))

    # --- ilvm migrate ------------------------------------------------------------------
    def test_unknown_domain_is_not_found_and_touches_nothing(self):
        r = self.ilvm("migrate", "nope", "test:///default")
        assert_one_error_line(self, r, EXIT_NOT_FOUND, "no domain nope on this host")
        self.assertIn("hint: ", r.stderr)
        self.assertEqual(self.commands(), [])
        self.assertFalse(os.path.exists(self.migrate_dir))

    def test_a_hand_over_in_progress_is_a_conflict(self):
        self.hold_lock("test")
        r = self.ilvm("migrate", "test", "test:///default")
        assert_one_error_line(self, r, EXIT_CONFLICT, "another ilvm migrate, migrate-finish or reconcile is handling domain test")
        self.assertEqual(self.commands(), [])

    def test_failed_migration_is_a_system_error_saying_where_the_domain_runs(self):
        r = self.ilvm("migrate", "test", "test:///default", "--persistent", "--migrateuri", "tcp://127.0.0.1")
        assert_one_error_line(self, r, EXIT_SYSTEM, "migration of test to test:///default failed: ")
        self.assertIn("not supported", r.stderr)
        self.assertIn("hint: test keeps running on this host with its volumes exclusive", r.stderr.splitlines())
        self.assertEqual(self.mutations(), [])
        # A clean end: no lock file left for the reconciler.
        self.assertEqual(os.listdir(self.migrate_dir), [])
        self.assertEqual(os.stat(self.migrate_dir).st_mode & 0o777, 0o700)

    def test_unreachable_destination_changes_nothing(self):
        r = self.ilvm("migrate", "test", "test:///nonexistent/ilvm-no-such-file.xml")
        assert_one_error_line(self, r, EXIT_SYSTEM, "cannot connect to libvirt at test:///nonexistent/ilvm-no-such-file.xml")
        self.assertEqual(self.mutations(), [])
        self.assertEqual(os.listdir(self.migrate_dir), [])

    def test_unreachable_local_libvirt_is_a_system_error(self):
        self.env["ILVM_LIBVIRT_URI"] = "test:///nonexistent/ilvm-no-such-file.xml"
        r = self.ilvm("migrate", "test", "test:///default")
        assert_one_error_line(self, r, EXIT_SYSTEM, "cannot connect to libvirt at test:///nonexistent")
        self.assertIn("hint: is libvirtd running?", r.stderr)

    def test_a_libvirtd_that_hangs_up_is_an_error_not_a_killed_ilvm(self):
        # A libvirtd that restarts while ilvm talks to it (stop 49's Debian 13 `migrate`):
        # libvirt's client write()s to a socket the daemon has stopped reading, so the kernel
        # raises SIGPIPE, which by default kills ilvm mid-hand-over without a word (ssh said
        # 255). The fake daemon answers the first call, then stops reading: the next write
        # is the broken pipe, every run, with no race.
        sock_path = os.path.join(self.tmp, "libvirt-sock")
        with HangingUpLibvirtd(sock_path) as daemon:
            self.env["ILVM_LIBVIRT_URI"] = "qemu+unix:///system?socket=" + sock_path
            r = self.ilvm("migrate", "test", "test:///default")
        self.assertTrue(daemon.answered, "the fake libvirtd never answered a call: the broken pipe was not reached")
        assert_one_error_line(self, r, EXIT_SYSTEM, "cannot connect to libvirt at qemu+unix:///system")
        self.assertIn("Broken pipe", r.stderr)
        self.assertEqual(self.mutations(), [])

    # --- ilvm migrate-finish -------------------------------------------------------------
    def test_finish_of_a_domain_that_never_arrives_has_nothing_to_do_and_cleans_up(self):
        self.touch("web9.incoming")
        r = self.ilvm("migrate-finish", "web9", "--timeout", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Nothing to finish for web9: domain web9 did not appear on this host\n")
        self.assertEqual(os.listdir(self.migrate_dir), [])
        self.assertEqual(self.commands(), [])

    def test_finish_of_a_running_domain_without_our_volumes_is_done_at_once(self):
        self.touch("test.incoming", age_seconds=3)
        r = self.ilvm("migrate-finish", "test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Hand-over of test finished (no iscsi-lvm volumes)\n")
        self.assertEqual(os.listdir(self.migrate_dir), [])

    def test_finish_waits_for_another_holder_within_its_bound(self):
        self.touch("test.incoming")
        self.hold_lock("test")
        start = time.monotonic()
        r = self.ilvm("migrate-finish", "test", "--timeout", "1")
        self.assertGreaterEqual(time.monotonic() - start, 0.9)
        assert_one_error_line(self, r, EXIT_CONFLICT, "handling domain test on this host right now")
        self.assertTrue(os.path.exists(self.path("test.incoming")))

    def test_the_unit_runs_migrate_finish_for_the_unescaped_instance(self):
        with open(os.path.join(BUILD_DIR, "systemd", "iscsi-lvm-migrate-finish@.service"), encoding="utf-8") as f:
            unit = f.read()
        lines = unit.splitlines()
        self.assertIn("Type=exec", lines)
        self.assertIn("After=iscsi-lvm.service", lines)
        exec_start = [l for l in lines if l.startswith("ExecStart=")]
        self.assertEqual(len(exec_start), 1)
        self.assertRegex(exec_start[0], r"^ExecStart=/\S+/ilvm -v migrate-finish -- %I$")
        self.assertNotIn("@SBINDIR@", unit)

    # --- reconcile ---------------------------------------------------------------------
    def restore_rules(self, lvchange_exit=0):
        rules = [{"prefix": ["lvs"], "stdout": self.data("lvm", "lvs_vm1_active_here.json")},
                 {"prefix": ["lvmlockctl", "-i"], "stdout": lockctl(vm1="sh")}]
        if lvchange_exit:
            rules.append({"prefix": ["lvchange", "-aey"], "exit": lvchange_exit,
                          "stderr": "  LV locked by other host: vg_san/vm1\n"})
        self.rules(rules)

    def test_reconcile_restores_the_exclusive_lock_a_failed_hand_over_left_shared(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", False)])
        self.touch("web1.lock")   # left behind by a hand-over that did not end cleanly
        self.restore_rules()
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "san/vm1: restored the exclusive lock (active shared here, used by running domain web1 through disk vda)"])
        self.assertEqual(self.mutations(), [["lvchange", "-aey", "-K", "vg_san/vm1"]])
        self.assertFalse(os.path.exists(self.path("web1.lock")))

    def test_reconcile_reports_a_volume_another_host_still_holds_without_failing(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", False)])
        self.touch("web1.lock")
        self.restore_rules(lvchange_exit=5)
        r = self.ilvm("reconcile", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        step = [s for s in json.loads(r.stdout) if s["action"] == "restore-exclusive"]
        self.assertEqual(len(step), 1)
        self.assertEqual(step[0]["result"], "conflict")
        self.assertEqual(step[0]["volume"], "vm1")
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/vm1: still shared: another host holds it too (active shared here, used by running domain web1 "
                      "through disk vda)", r.stdout.splitlines())
        self.assertTrue(os.path.exists(self.path("web1.lock")))

    def test_reconcile_leaves_an_in_flight_hand_over_alone(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", False)])
        self.hold_lock("web1")
        self.restore_rules()
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(self.mutations(), [])
        self.assertFalse(any(c[0] == "lvmlockctl" for c in self.commands()))

    def test_reconcile_without_hand_over_traces_costs_nothing_extra(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", False)])
        self.restore_rules()
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual([c[0] for c in self.commands()], ["lvs"])

    def test_reconcile_dry_run_only_says_it_would_restore(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", False)])
        self.touch("web1.lock")
        self.restore_rules()
        r = self.ilvm("reconcile", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/vm1: would restore the exclusive lock (active shared here, used by running domain web1 through "
                      "disk vda)", r.stdout.splitlines())
        self.assertEqual(self.mutations(), [])
        self.assertTrue(os.path.exists(self.path("web1.lock")))

    def test_shareable_disks_stay_shared(self):
        mark_active(self.tmp)
        self.write_status("web1", [("vda", "vm1", True)])
        self.touch("web1.lock")
        self.restore_rules()
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(self.mutations(), [])

    def test_an_incoming_domain_without_status_file_keeps_every_volume_active(self):
        mark_active(self.tmp)
        self.touch("web9.incoming")   # the hook just took web9's volumes shared
        self.rules([{"prefix": ["lvs"], "stdout": self.data("lvm", "lvs_three.json")}])
        for _ in range(2):
            r = self.ilvm("reconcile")
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(self.mutations(), [])
        os.unlink(self.path("web9.incoming"))   # migrate-finish is done
        r = self.ilvm("reconcile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("san/vm3: deactivated (active on this host, not open, used by no running domain)", r.stdout.splitlines())

    def test_leftovers_of_a_domain_not_here_are_removed(self):
        mark_active(self.tmp)
        self.touch("web9.incoming", age_seconds=120)
        self.touch("web9.lock")
        self.touch("web8.lock")
        self.rules([{"prefix": ["lvs"], "stdout": self.data("lvm", "lvs_vm1.json")}])
        r = self.ilvm("reconcile")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertIn("warning: removed the stale live-migration marker of domain web9", r.stderr)
        self.assertEqual(os.listdir(self.migrate_dir), [])
        self.assertNotIn("web8", r.stderr)   # a lock file alone goes silently

    # --- where a volume is ----------------------------------------------------------------
    def placement_rules(self):
        # pool-info's one vgs also reports the VG's metadata area: 64 MiB, 3 volumes in it.
        vgs = json.loads(self.data("lvm", "vgs_vg_san.json"))
        vgs["report"][0]["vg"][0].update({"vg_mda_free": str((32 << 20) - 1065), "vg_mda_size": str(64 << 20)})
        self.rules([{"prefix": ["vgs"], "stdout": json.dumps(vgs)},
                    {"prefix": ["lvs"], "stdout": self.data("lvm", "lvs_three.json")},
                    {"prefix": ["lvmlockctl", "-i"], "stdout": lockctl(vm2="ex", vm3="sh")},
                    {"prefix": ["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:70254592:8388608"],
                     "stdout": self.data("sanlock", "dump_lv_held_by_2.txt")},
                    {"prefix": ["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"],
                     "stdout": self.data("sanlock", "dump_delta.txt")}])

    def test_pool_info_json_says_where_each_volume_is(self):
        mark_active(self.tmp)
        self.placement_rules()
        r = self.ilvm("pool-info", "san", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        vols = {v["name"]: v for v in json.loads(r.stdout)["volumes"]}
        self.assertEqual((vols["vm1"]["state"], vols["vm1"]["mode"]), ("held-elsewhere", "exclusive"))
        self.assertEqual(vols["vm1"]["holder"], {"host_id": 2, "host_name": "kvm-b", "mode": "exclusive"})
        self.assertEqual((vols["vm2"]["state"], vols["vm2"]["mode"], vols["vm2"]["holder"]), ("active-here", "exclusive", None))
        self.assertEqual((vols["vm3"]["state"], vols["vm3"]["mode"]), ("active-here", "shared"))
        r = self.ilvm("pool-info", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Volumes:\s+3 \(2 active here, 1 held elsewhere, 0 free\)$")

    def test_vol_list_json_says_where_each_volume_is_as_pool_info_does(self):
        # Issue 20: vol-list --json said "holder": null for vm1, which pool-info reports held by host 2.
        mark_active(self.tmp)
        self.placement_rules()
        r = self.ilvm("vol-list", "san", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = {v["name"]: v for v in json.loads(r.stdout)}
        self.assertEqual(listed["vm1"]["holder"], {"host_id": 2, "host_name": "kvm-b", "mode": "exclusive"})
        info = {v["name"]: v for v in json.loads(self.ilvm("pool-info", "san", "--json").stdout)["volumes"]}
        for name in ("vm1", "vm2", "vm3"):
            for field in ("holder", "state", "mode", "activation"):
                self.assertEqual(listed[name][field], info[name][field], (name, field))
        self.assertEqual(self.mutations(), [])

    def test_pool_info_reads_every_lease_at_once(self):
        # vgs (with the metadata area), lvs, one lvmlockctl -i for vm2/vm3 (active here), one
        # dump of the delta leases and one from the first to the end of the last lease of a
        # volume inactive here (vm1's alone): no read per volume, and never the gap between.
        mark_active(self.tmp)
        self.placement_rules()
        r = self.ilvm("pool-info", "san", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        # vgs and lvs by their fields (the last but one argument), the others whole.
        self.assertEqual([c[:2] + c[-2:-1] if c[0] in ("vgs", "lvs") else c for c in self.commands()],
                         [["vgs", "--reportformat", "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,vg_extent_count,"
                           "vg_free_count,lv_count,vg_lock_type,vg_lock_args,vg_mda_free,vg_mda_size"],
                          ["lvs", "--reportformat", "lv_name,lv_uuid,lv_size,lv_path,lv_active_locally,"
                           "lv_active_exclusively,lv_device_open,lv_skip_activation,lv_autoactivation,lv_lockargs,lv_tags"],
                          ["lvmlockctl", "-i"],
                          ["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"],
                          ["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:70254592:8388608"]])
        self.assertEqual(json.loads(r.stdout)["metadata_area"], {"size": 64 << 20, "free": (32 << 20) - 1065})
        self.assertEqual(r.stderr, "")

    def test_pool_info_shows_the_metadata_area_and_its_room(self):
        # 3 volumes in 1065 bytes: 355 bytes each; 32 MiB - 1065 bytes free holds 94,516 more.
        mark_active(self.tmp)
        self.placement_rules()
        r = self.ilvm("pool-info", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Metadata area:\s+64.00 MiB, 32.00 MiB free \(room for about 94516 more volumes\)$")

    def test_pool_info_runs_five_commands_at_most_whatever_the_volume_count(self):
        mark_active(self.tmp)
        lvm = os.path.join(self.tmp, "lvm.json")
        with open(lvm, "w", encoding="utf-8") as f:
            json.dump({"v%04d" % i: {} for i in range(300)}, f)
        self.env["ILVM_FAKE_LVM"] = lvm
        self.rules([{"prefix": ["vgs"], "stdout": self.data("lvm", "vgs_vg_san.json")}])
        r = self.ilvm("pool-info", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Volumes:\s+300 \(0 active here, 0 held elsewhere, 300 free\)$")
        ran = self.commands()
        self.assertLessEqual(len(ran), 5, ran)
        # fake_cmd.py's leases are 1 MiB apart from 70254592: the read spans the first to the
        # end of the last (8 MiB after its start), and the delta leases apart.
        self.assertIn(["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:70254592:%d" % (299 * 1048576 + 8388608)],
                      ran)
        self.assertIn(["sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"], ran)

    def test_vol_list_json_runs_the_same_commands_at_any_volume_count(self):
        # Issue 16 with issue 20's placement: vol-list --json looked every volume up (an lvs
        # each, lvmlockctl -i for one active here, an 8 MiB sanlock read for one inactive
        # here): 3 volumes ran 8 commands, 300 ran 602. Now pool-info's inspection: the same
        # commands at 3 and 300 volumes (the lease read only reaches further).
        mark_active(self.tmp)
        self.rules([{"prefix": ["vgs"], "stdout": self.data("lvm", "vgs_vg_san.json")}])
        self.env["ILVM_FAKE_LVM"] = os.path.join(self.tmp, "lvm.json")
        ran = {}
        for count in (3, 300):
            with open(self.env["ILVM_FAKE_LVM"], "w", encoding="utf-8") as f:
                # v0000 active here (exclusive), the others inactive: both kinds of lookup.
                json.dump({"v%04d" % i: {"active": "ex"} if i == 0 else {} for i in range(count)}, f)
            open(os.path.join(self.tmp, "commands.log"), "w", encoding="utf-8").close()
            r = self.ilvm("vol-list", "san", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(json.loads(r.stdout)), count)
            ran[count] = [c[0] for c in self.commands()]
        self.assertEqual(ran[300], ran[3])
        self.assertLessEqual(len(ran[300]), 6, ran[300])
        self.assertEqual(self.mutations(), [])

    def test_vol_info_shows_the_holders_mode(self):
        mark_active(self.tmp)
        self.placement_rules()
        r = self.ilvm("vol-info", "vm1", "--pool", "san")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Activation:\s+held by host 2 \(kvm-b\), exclusive$")
        r = self.ilvm("vol-info", "vm3", "--pool", "san")
        self.assertRegex(r.stdout, r"(?m)^Activation:\s+active here, shared$")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
