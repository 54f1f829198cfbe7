# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stress mode (ILVM_LAB_STRESS=1): the outer machine's CPUs kept busy for the whole lab run.

The lab once passed on an idle machine and failed under load (pool-start right after
pool-build while guests booted 5x slower: lvmlockd's "stat error 2 ... vg_san-lvmlock").
Race-free code must pass with the CPUs busy, so this mode runs one busy loop per CPU, at
the lab's own priority, from before the target starts until teardown.

Bounded: each hog ends by itself after ILVM_LAB_STRESS_MAX_SECONDS (default 7200), and the
lab's cleanup stops them earlier; they are children in their own process group, killed with
it. The hogs only spin (no I/O, no network)."""

import os
import subprocess
import sys
import time

from .util import child_setup, kill_group, log

HOG = "import time\nend = time.monotonic() + %d\nwhile time.monotonic() < end:\n    pass\n"


def stress_requested():
    return os.environ.get("ILVM_LAB_STRESS", "") not in ("", "0")


class CpuHogs:
    def __init__(self, count=None, max_seconds=None):
        self.count = count or os.cpu_count() or 1
        self.max_seconds = max_seconds or int(os.environ.get("ILVM_LAB_STRESS_MAX_SECONDS", "7200"))
        self.procs = []
        self.started = None
        self.load_at_start = None

    def start(self):
        self.started = time.monotonic()
        self.load_at_start = os.getloadavg()[0]
        for _ in range(self.count):
            self.procs.append(subprocess.Popen([sys.executable, "-c", HOG % self.max_seconds],
                                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                               start_new_session=True, preexec_fn=child_setup))
        log("stress mode: %d CPU hogs (one per CPU, ending by themselves after %d s at the latest)"
            % (self.count, self.max_seconds))

    def stop(self):
        if not self.procs:
            return
        load = os.getloadavg()
        for p in self.procs:
            kill_group(p, grace=2)
        log("stress mode: hogs stopped after %.0f s; load average 1/5/15 min %.1f/%.1f/%.1f (%.1f at start)"
            % (time.monotonic() - self.started, load[0], load[1], load[2], self.load_at_start))
        self.procs = []
