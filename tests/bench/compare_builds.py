#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Two builds of `ilvm` side by side on one fake pool (bench.py's Pool and fake_static.sh):
each operation run by the old build then the new one, alternately, so both see the same
machine load; prints the medians and new/old. For a change's before and after, not a test.

Usage: compare_builds.py OLD_BUILD_DIR NEW_BUILD_DIR [OPERATION...]
  operations: vol-list pool-info pool-refresh --help (default: all four)
  BENCH_SIZES=20,2000,10000   pool sizes (volumes)
  BENCH_RUNS=5                runs per operation and build (median)"""
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATIONS = {"vol-list": ["vol-list", "san"], "pool-info": ["pool-info", "san"],
              "pool-refresh": ["pool-refresh", "san"], "--help": ["--help"]}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    builds = {"old": os.path.abspath(sys.argv[1]), "new": os.path.abspath(sys.argv[2])}
    ops = sys.argv[3:] or list(OPERATIONS)
    for op in ops:
        if op not in OPERATIONS:
            sys.exit("compare_builds: unknown operation %s (one of %s)" % (op, ", ".join(OPERATIONS)))
    # bench.py reads its programs from argv when imported: the new build's.
    new = builds["new"]
    sys.argv = [sys.argv[0], new + "/cli/ilvm", new + "/shim/50-iscsi-lvm", new + "/plugin",
                os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "data")]
    sys.path.insert(0, HERE)
    import bench   # pylint: disable=import-outside-toplevel

    runs = int(os.environ.get("BENCH_RUNS", "5"))
    for n in [int(s) for s in os.environ.get("BENCH_SIZES", "20,2000,10000").split(",")]:
        pool = bench.Pool(n)
        try:
            for op in ops:
                times = {"old": [], "new": []}
                for _ in range(runs):
                    for name, build in builds.items():
                        pool.env["ILVM_BACKEND_DIR"] = build + "/plugin"
                        times[name].append(pool.run([build + "/cli/ilvm"] + OPERATIONS[op])[0])
                old, new_ms = (statistics.median(times[k]) * 1000 for k in ("old", "new"))
                print("%6d %-14s old %8.1f ms  new %8.1f ms  new/old %.2f" % (n, op, old, new_ms, new_ms / old), flush=True)
        finally:
            pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
