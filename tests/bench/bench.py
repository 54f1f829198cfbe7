#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Control-plane benchmark (issue 16): `ilvm` and the qemu hook against a static fake of the
external commands (fake_static.sh: it prints a report written beforehand and exits), each
operation beside a minimal bare shell script running the fewest commands for the same result
through the same fake. The difference is our own cost: process start, module load, parsing,
XML, locks. Two rows compare instead with a null program loading the same libraries (`true`
with them preloaded): `ilvm --help`, and the hook called for a domain with none of our disks. Prints, per pool size and operation, the median time and the command count of
both and their ratio, measured in the same run. It asserts nothing about time (a loaded
machine is slower, not wrong); it fails only when an operation itself fails.

The mutating verbs run twice: alone, and with ilvmd (ILVMD, the host agent) running on the
same fake, to which they hand the libvirt mirror's refresh and the reconcile after a change
(agent/mirror_requests.hpp), as on a host set up by `ilvm host-setup`. The agent's own pass after
each change runs untimed, before the next pair.

Usage: bench.py ILVM HOOK MODULE_DIR DATA_DIR [ILVMD]
  BENCH_SIZES=20,200,2000,10000  pool sizes (volumes)
  BENCH_RUNS=5                   runs per operation (median); 3 above 2,000 volumes"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from cli_helpers import needed  # noqa: E402  (the tests' reading of DT_NEEDED)

ILVM, HOOK, MODULE_DIR, DATA = sys.argv[1:5]
ILVMD = sys.argv[5] if len(sys.argv) > 5 else None
FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_static.sh")
LEASE0, LEASE_STEP = 70254592, 8 << 20   # lvmlockd's first LV lease; 8 MiB apart (4 KiB sectors)
HOOK_DISKS = 16


def lv_row(name, i):
    return {"lv_name": name, "lv_uuid": "bench-uuid-%06d" % i, "lv_size": "1073741824",
            "lv_path": "/dev/vg_san/" + name, "lv_active_locally": "0", "lv_active_exclusively": "0",
            "lv_device_open": "0", "lv_skip_activation": "1", "lv_autoactivation": "0",
            "lv_lockargs": "1.0.0:%d" % (LEASE0 + i * LEASE_STEP), "lv_tags": ""}


def write_fixtures(d, n):
    """The reports of a pool of `n` volumes v00000…: inactive here, every third held by host 2."""
    rows = [lv_row("v%05d" % i, i) for i in range(n)]
    with open(os.path.join(d, "lvs.json"), "w", encoding="utf-8") as f:
        json.dump({"report": [{"lv": rows}]}, f)
    with open(os.path.join(d, "lvs-created.json"), "w", encoding="utf-8") as f:
        json.dump({"report": [{"lv": rows + [dict(lv_row("bench-new", n), lv_tags="ilvm_incomplete")]}]}, f)
    # The verbs on one volume read its row alone (`lvs VG/LV`): the one vol-delete deletes, the new one.
    for name, row in (("v00001", rows[1] if n > 1 else None), ("bench-new", dict(lv_row("bench-new", n), lv_tags="ilvm_incomplete"))):
        if row is not None:
            with open(os.path.join(d, "lv-%s.json" % name), "w", encoding="utf-8") as f:
                json.dump({"report": [{"lv": [row]}]}, f)
    # vol-create's one lvs before lvcreate also asks for the VG's space, which LVM repeats on each row.
    with open(os.path.join(d, "lvs-space.json"), "w", encoding="utf-8") as f:
        json.dump({"report": [{"lv": [dict(r, vg_free=str(32 << 30), vg_extent_size="4194304") for r in rows]}]}, f)
    size = (n + 64) << 30
    vg = {"vg_name": "vg_san", "vg_uuid": "Xq3bVd-0nEm-7aKp-Lr2T-u9Wc-Hs4F-Jd81Qa", "vg_size": str(size),
          "vg_free": str(32 << 30), "vg_extent_size": "4194304", "vg_extent_count": str(size >> 22),
          "vg_free_count": str(8192), "lv_count": str(n), "vg_lock_type": "sanlock", "vg_lock_args": "1.0.0:lvmlock"}
    with open(os.path.join(d, "vgs.json"), "w", encoding="utf-8") as f:
        json.dump({"report": [{"vg": [vg]}]}, f)
    # A vgs asking for the metadata area (pool-info's, with the VG's fields too; doctor's alone).
    with open(os.path.join(d, "vgs-mda.json"), "w", encoding="utf-8") as f:
        json.dump({"report": [{"vg": [dict(vg, vg_mda_size=str(64 << 20), vg_mda_free=str((32 << 20) - 355 * n))]}]}, f)
    with open(os.path.join(d, "dump.txt"), "w", encoding="utf-8") as f:
        f.write("  offset lockspace resource timestamp own gen lver\n")
        f.write("00000000 lvm_vg_san e7bd3cc0-b522-4b43-b28a-f897c90e98f2.kvm-a 0000000365 0001 0001\n")
        f.write("00004096 lvm_vg_san f11af1e6-8b6b-4d0b-9c33-936f12562f59.kvm-b 0000000375 0002 0001\n")
        for i in range(n):
            held = i % 3 == 0
            f.write("%08d lvm_vg_san bench-uuid-%06d %010d %04d 0001 1\n" % (LEASE0 + i * LEASE_STEP, i,
                                                                         278 if held else 0, 2 if held else 0))
    with open(os.path.join(d, "lockctl.txt"), "w", encoding="utf-8") as f:
        f.write("VG vg_san lock_type=sanlock KONMr0-bGNi-kQ3P-rWNy-NrKt-9EPR-C1tqtO\nLS sanlock lvm_vg_san\n")


def domain_xml():
    disks = "".join("<disk type='block' device='disk'><source dev='/dev/vg_san/v%05d'/><target dev='vd%s'/></disk>"
                    % (i, chr(ord("a") + i)) for i in range(HOOK_DISKS))
    return "<domain type='kvm'><name>bench</name><devices>%s</devices></domain>" % disks


class Pool:
    """A private config and run directory with pool `san` (tests/data/pools/san.xml) started."""

    def __init__(self, n):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-bench-")
        self.log = os.path.join(self.tmp, "commands.log")
        write_fixtures(self.tmp, n)
        os.makedirs(os.path.join(self.tmp, "status"))
        self.env = dict(os.environ, ILVM_CONFIG_DIR=os.path.join(self.tmp, "etc"), ILVM_RUN_DIR=os.path.join(self.tmp, "run"),
                        ILVM_BACKEND_DIR=MODULE_DIR, ILVM_COMMAND_WRAPPER=FAKE, BENCH_DIR=self.tmp, BENCH_LOG=self.log,
                        ILVM_LIBVIRT_URI="test:///default", ILVM_DEVICE_TIMEOUT_MS="0",
                        ILVM_LIBVIRT_STATUS_DIR=os.path.join(self.tmp, "status"))
        self.run([ILVM, "pool-define", os.path.join(DATA, "pools", "san.xml")])
        os.makedirs(os.path.join(self.tmp, "run", "pools"), exist_ok=True)
        shutil.copy(os.path.join(self.tmp, "etc", "pools", "san.xml"), os.path.join(self.tmp, "run", "pools", "san.xml"))

    def run(self, argv, stdin=None):
        """(seconds, commands run through the fake) of one run; a failure ends the benchmark."""
        env = self.env
        if isinstance(argv, Preloaded):
            env, argv = dict(self.env, **argv.env), argv.argv
        open(self.log, "w", encoding="utf-8").close()
        t0 = time.perf_counter()
        r = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=1800)
        elapsed = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit("bench: %s failed (%d): %s" % (" ".join(argv[:3]), r.returncode, r.stderr.strip()))
        with open(self.log, encoding="utf-8") as f:
            return elapsed, sum(1 for _ in f)

    def start_agent(self):
        """ilvmd on this pool and fake, its commands in a log of its own; waits for its socket."""
        env = dict(self.env, BENCH_LOG=os.path.join(self.tmp, "agent-commands.log"), ILVM_AGENT_SAFETY_NET_SECONDS="3600")
        env.pop("NOTIFY_SOCKET", None)
        self.agent = subprocess.Popen([ILVMD, "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        socket = os.path.join(self.tmp, "run", "ilvmd.sock")
        end = time.monotonic() + 60
        while not os.path.exists(socket):
            if self.agent.poll() is not None or time.monotonic() > end:
                sys.exit("bench: ilvmd did not start: " + (self.agent.stderr.read() if self.agent.poll() is not None else "timeout"))
            time.sleep(0.05)
        self.agent_settle(0)

    def agent_passes(self):
        """The passes the agent has finished (its ilvmd.status, written after each)."""
        try:
            with open(os.path.join(self.tmp, "run", "ilvmd.status"), encoding="utf-8") as f:
                status = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
            return int(status.get("passes", "0"))
        except FileNotFoundError:
            return 0

    def agent_settle(self, seen):
        """Until the agent's pass after a verb has ended (untimed), so it never overlaps a run."""
        end = time.monotonic() + 30
        while self.agent_passes() <= seen and time.monotonic() < end:
            time.sleep(0.05)

    def stop_agent(self):
        if getattr(self, "agent", None):
            self.agent.terminate()
            self.agent.wait(timeout=30)
            self.agent = None

    def reset(self):
        """What a run left that the next one must not see: the new volume, the hook's owner records."""
        for path in (os.path.join(self.tmp, "created"),):
            if os.path.exists(path):
                os.unlink(path)
        shutil.rmtree(os.path.join(self.tmp, "run", "pools", "san.volumes"), ignore_errors=True)

    def close(self):
        self.stop_agent()
        shutil.rmtree(self.tmp, ignore_errors=True)


def bare(*commands):
    """A minimal shell script: each command through the same fake, output discarded."""
    return ["sh", "-c", "; ".join('"%s" %s > /dev/null' % (FAKE, c) for c in commands)]


LVS = "lvs --reportformat json --units b --nosuffix --binary -o lv_name,lv_uuid,lv_size vg_san"
VGS = "vgs --reportformat json --units b --nosuffix --binary -o vg_name,vg_size,vg_free vg_san"


class Preloaded:
    """A bare program run with extra environment (no `env` in between, whose exec would count)."""

    def __init__(self, argv, env):
        self.argv, self.env = argv, env


def null_with_libraries_of(binary):
    """A null program that loads the libraries `binary` links: `true` with them preloaded, so the
    dynamic linker maps, relocates and initialises the same set. What is left of the binary's
    time beyond it is its own code (the issue's "null program linked to the same libraries")."""
    return Preloaded(["true"], {"LD_PRELOAD": " ".join(needed(binary))})


def foreign_domain_xml():
    """A domain with none of our disks: a file disk in libvirt's default pool."""
    return ("<domain type='kvm'><name>other</name><devices><disk type='file' device='disk'>"
            "<source file='/var/lib/libvirt/images/other.qcow2'/><target dev='vda'/></disk></devices></domain>")


def operations():
    """(name, our argv, stdin, bare argv, per size) in the order they run. The verbs that
    change the pool (vol-create-as, vol-delete) and pool-info come again in agent_operations()."""
    dom = domain_xml()
    activate = ["lvchange -aey -K vg_san/v%05d" % i for i in range(HOOK_DISKS)]
    return [
        ("ilvm --help", [ILVM, "--help"], None, ["true"], False),
        ("ilvm --help / its libs", [ILVM, "--help"], None, null_with_libraries_of(ILVM), False),
        ("hook, not our domain", [HOOK, "other", "prepare", "begin", "-"], foreign_domain_xml(),
         null_with_libraries_of(HOOK), False),
        ("pool-refresh", [ILVM, "pool-refresh", "san"], None, bare(VGS, LVS), True),
        ("vol-list", [ILVM, "vol-list", "san"], None, bare(LVS), True),
        ("pool-info", [ILVM, "pool-info", "san"], None,
         bare(VGS, LVS, "lvmlockctl -i", "sanlock direct dump /dev/mapper/vg_san-lvmlock"), True),
        ("vol-create-as", [ILVM, "vol-create-as", "san", "bench-new", "1G"], None,
         bare("lvcreate --yes --activate n --name bench-new --size 1073741824b vg_san", "lvchange -aey -K vg_san/bench-new",
              "blkdiscard --zeroout /dev/vg_san/bench-new", "lvchange -an vg_san/bench-new",
              "lvchange --deltag ilvm_incomplete vg_san/bench-new"), True),
        ("vol-delete", [ILVM, "vol-delete", "v00001", "--pool", "san"], None,
         bare("lvchange -aey -K vg_san/v00001", "lvchange -an vg_san/v00001", "lvremove --yes vg_san/v00001"), True),
        ("hook prepare, %d disks" % HOOK_DISKS, [HOOK, "bench", "prepare", "begin", "-"], dom, bare(LVS, *activate), True),
        ("hook release, %d disks" % HOOK_DISKS, [HOOK, "bench", "release", "end", "-"], dom, bare(LVS), True),
    ]


def agent_operations():
    """The verbs that ask ilvmd about the mirror, with it running (names end in ", ilvmd")."""
    return [(name + ", ilvmd", ours, stdin, script, per_size) for name, ours, stdin, script, per_size in operations()
            if name in ("pool-info", "vol-create-as", "vol-delete")]


def measure(pool, n, runs, rows, index):
    for name, ours, stdin, script, per_size in rows:
        if not per_size and index > 0:
            continue
        # A verb that changed the pool is followed by the agent's pass: waited for, untimed.
        with_agent = name.endswith(", ilvmd") and not name.startswith("pool-info")
        k = runs if n <= 2000 else min(runs, 3)
        ours_t, bare_t, ours_n, bare_n = [], [], 0, 0
        for _ in range(k):   # paired: ours then bare, so both see the same machine load
            pool.reset()
            if name.startswith("hook release"):
                pool.run([HOOK, "bench", "prepare", "begin", "-"], stdin)   # what release undoes
            seen = pool.agent_passes() if with_agent else 0
            t, ours_n = pool.run(ours, stdin)
            ours_t.append(t)
            if with_agent:
                pool.agent_settle(seen)
            t, bare_n = pool.run(script)
            bare_t.append(t)
        o, b = statistics.median(ours_t) * 1000, statistics.median(bare_t) * 1000
        print("%-8d %-24s %10.1f %6d %10.1f %6d %6.1fx %10.1f" % (n, name, o, ours_n, b, bare_n, o / b, o - b),
              flush=True)


def main():
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "20,200,2000,10000").split(",")]
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    print("%-8s %-24s %10s %6s %10s %6s %7s %10s" % ("volumes", "operation", "ours ms", "cmds", "bare ms", "cmds",
                                                      "ratio", "own ms"))
    for index, n in enumerate(sizes):
        pool = Pool(n)
        try:
            measure(pool, n, runs, operations(), index)
            if ILVMD:
                pool.start_agent()
                measure(pool, n, runs, agent_operations(), index)
        finally:
            pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
