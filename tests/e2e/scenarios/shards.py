# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lab's scenarios split over several labs that run at once (--shards N, ILVM_E2E_SHARDS).

One lab keeps a 2-core machine less than half busy: its guests mostly wait (sanlock's lease
times, lockspace joins, timers, one LVM command after another), so two labs side by side
take little more than one's time each, and the e2e set about 40% less wall time (CI's
budget). Each shard is a lab of its own (its own tgtd, guests and workdir) running the
runner again on its group of scenarios; the groups are planned here:

  plan(wanted, needs, order, estimate, n, together)
      each wanted scenario in exactly one group (the prerequisites it NEEDS come along, so a
      group may repeat two-hosts and hook; a scenario that only others need gets no group of
      its own), scenarios that must run in one lab kept together,
      groups balanced by estimated seconds (longest first onto the lightest), each in ORDER.
  run(groups, argv_of)
      one child process per group, their lines printed as they come with the group's number;
      the result is the worst of theirs (77, skipped, only when every one skipped).

Python 3 stdlib only, like the rest of the lab.
"""

import signal
import subprocess
import sys
import threading
import time


def closure(scenarios, needs):
    """`scenarios` with every prerequisite (of prerequisites) they need."""
    out = set(scenarios)
    todo = list(scenarios)
    while todo:
        s = todo.pop()
        if s in needs and needs[s] not in out:
            out.add(needs[s])
            todo.append(needs[s])
    return out


def plan(wanted, needs, order, estimate, n, together=()):
    """Groups of scenario names (each in `order`'s order) for `n` labs; see the module text.
    `estimate`: seconds per scenario (unknown ones count 300); `together`: tuples of names
    kept in one group when wanted."""
    wanted = list(wanted)
    # A scenario another one needs runs wherever that one runs: it is no group's own work.
    prerequisites = set().union(*(closure([w], needs) - {w} for w in wanted)) if wanted else set()
    wanted = [s for s in wanted if s not in prerequisites]
    units = []
    placed = set()
    for t in together:
        unit = [s for s in t if s in wanted]
        if unit:
            units.append(unit)
            placed.update(unit)
    units += [[s] for s in wanted if s not in placed]
    cost = lambda names: sum(estimate.get(s, 300) for s in names)  # noqa: E731
    units.sort(key=lambda u: -cost(closure(u, needs)))
    groups = [set() for _ in range(max(1, min(n, len(units))))]
    for unit in units:
        # Onto the group that ends lightest with it (its prerequisites may be there already).
        best = min(groups, key=lambda g: cost(closure(g | set(unit), needs)))
        best.update(unit)
    return [[s for s in order if s in closure(g, needs)] for g in groups if g]


def run(groups, argv_of):
    """Runs `argv_of(i, group)` for every group at once; returns the exit code (see above)."""
    procs = []
    lock = threading.Lock()

    def pump(i, proc):
        with proc.stdout:
            for line in proc.stdout:
                with lock:
                    sys.stdout.write("[%d] %s" % (i, line))
                    sys.stdout.flush()

    def stop(signum, _frame):
        # The children tear their labs down on SIGTERM (guests powered off, tgtd stopped):
        # the caller's timeout must not leave them behind, so wait for that, bounded.
        for _, p, _ in procs:
            if p.poll() is None:
                p.terminate()
        for _, p, _ in procs:
            try:
                p.wait(timeout=300)
            except subprocess.TimeoutExpired:
                p.kill()
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, stop)
    t0 = time.monotonic()
    for i, group in enumerate(groups, 1):
        argv = argv_of(i, group)
        print("[%d] shard %d of %d: %s" % (i, i, len(groups), " ".join(group)), flush=True)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        t = threading.Thread(target=pump, args=(i, p), daemon=True)
        t.start()
        procs.append((i, p, t))
    results = []
    for i, p, t in procs:
        rc = p.wait()
        t.join()
        results.append((i, rc, time.monotonic() - t0))
    print("\nshards:")
    for i, rc, took in results:
        print("  shard %d: %s after %.1fs" % (i, {0: "passed", 77: "skipped"}.get(rc, "FAILED (rc %d)" % rc), took))
    print("  %-34s %7.1fs" % ("total (the shards at once)", time.monotonic() - t0), flush=True)
    codes = [rc for _, rc, _ in results]
    if all(rc == 77 for rc in codes):
        return 77
    failed = [rc for rc in codes if rc not in (0, 77)]
    return failed[0] if failed else 0
