#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs libFuzzer harnesses of a -Dfuzzing=true build for a while each, one after the other,
and sums up what they did (docs/testing.md, "Fuzzing the parsers").

For each harness NAME (default: all of them):
  BUILD/tests/fuzz/fuzz-NAME  WORK/NAME/corpus  tests/fuzz/corpus/NAME
      -max_total_time=SECONDS -artifact_prefix=WORK/NAME/crashes/ [-dict=tests/fuzz/dict/NAME.dict]
New inputs go to WORK/NAME/corpus (the seeds in the source tree are only read); a crash, a
failed FUZZ_CHECK, a leak or a timeout leaves its input in WORK/NAME/crashes/ and makes the
run fail. WORK defaults to BUILD/fuzz-work.

Usage: run_fuzz.py --build-dir BUILD [--seconds N] [--work DIR] [NAME...] [-- LIBFUZZER_ARGS...]
Exit status: 0 when every harness ran to its time without a crash, 1 otherwise.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESSES = ["pool_xml", "vol_xml", "domain_disks", "lvm_report", "sanlock_dump", "sanlock_status", "iscsiadm"]


def run_one(name, args, extra):
    exe = os.path.join(args.build_dir, "tests", "fuzz", "fuzz-" + name)
    if not os.access(exe, os.X_OK):
        print(f"{exe}: not built (configure with -Dfuzzing=true, see docs/testing.md)", file=sys.stderr)
        return None
    work = os.path.join(args.work, name)
    corpus = os.path.join(work, "corpus")
    crashes = os.path.join(work, "crashes")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    cmd = [exe, corpus, os.path.join(HERE, "corpus", name),
           f"-max_total_time={args.seconds}", "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1", f"-artifact_prefix={crashes}/"]
    fuzz_dict = os.path.join(HERE, "dict", name + ".dict")
    if os.path.exists(fuzz_dict):
        cmd.append(f"-dict={fuzz_dict}")
    cmd += extra
    print("+ " + " ".join(cmd), flush=True)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    elapsed = time.monotonic() - start
    log = proc.stdout
    with open(os.path.join(work, "last-run.log"), "w") as fh:
        fh.write(log)
    execs = 0
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    if m:
        execs = int(m.group(1))
    else:
        m = re.findall(r"#(\d+)\s", log)
        execs = int(m[-1]) if m else 0
    cov = re.findall(r"\bcov: (\d+)", log)
    artifacts = re.findall(r"Test unit written to (\S+)", log)
    ok = proc.returncode == 0 and not artifacts
    if not ok:
        # The report (FUZZ_CHECK message, sanitizer stack) and how to replay it.
        tail = log.splitlines()[-60:]
        print("\n".join(tail))
        for a in artifacts:
            print(f"crash input: {a}\nreplay:      {exe} {a}")
    return {"name": name, "execs": execs, "seconds": elapsed, "cov": int(cov[-1]) if cov else 0,
            "rc": proc.returncode, "ok": ok}


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--work")
    p.add_argument("names", nargs="*", metavar="NAME")
    args = p.parse_args(argv)
    args.work = args.work or os.path.join(args.build_dir, "fuzz-work")
    names = args.names or HARNESSES
    unknown = [n for n in names if n not in HARNESSES]
    if unknown:
        p.error(f"unknown harness {', '.join(unknown)}; known: {', '.join(HARNESSES)}")
    results = []
    for name in names:
        r = run_one(name, args, extra)
        if r is None:
            return 1
        results.append(r)
    print(f"\n{'harness':<16}{'executions':>14}{'seconds':>10}{'exec/s':>10}{'cov':>8}  result")
    for r in results:
        rate = r["execs"] / r["seconds"] if r["seconds"] else 0
        print(f"{r['name']:<16}{r['execs']:>14}{r['seconds']:>10.0f}{rate:>10.0f}{r['cov']:>8}  "
              f"{'ok' if r['ok'] else 'FAILED (exit ' + str(r['rc']) + ')'}")
    print(f"{'total':<16}{sum(r['execs'] for r in results):>14}{sum(r['seconds'] for r in results):>10.0f}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
