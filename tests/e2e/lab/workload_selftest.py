#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-test of tests/e2e/lab/workload.py, outside the lab.

1. verify_pattern() on synthetic images: the states a sequential writer can
   leave must pass, every kind of damage must fail naming the block.
2. The real thing, single-level: build the workload initramfs for the
   cached lab kernel, boot it under qemu TCG on an 8 MiB raw file until it
   has completed a few generations, stop qemu (SIGTERM: qemu drains its
   I/O, like `virsh suspend`), verify the file, then corrupt copies of it
   and expect clear failures.  Prints boot time and seconds per generation
   (budget: the nested domain in the lab is ~5-10x slower again).

Usage (root, the lab cache lives in root's home):
    /usr/bin/python3 tests/e2e/lab/workload_selftest.py [--blocks N] [--mem MIB]
Exit status: 0 pass, 1 fail, 77 skip (no cached lab kernel, or no qemu).
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lab import workload as wl  # noqa: E402
from lab.util import LabError, child_setup, install_signal_handlers, kill_group, log  # noqa: E402

SKIP = 77


def image(gens, sup, n):
    """A disk head as the writer leaves it: block k at gens[k] (0 = zeros)."""
    out = [wl.record_bytes(g, k, n) if g else bytes(wl.BLOCK) for k, g in enumerate(gens)]
    out.append(wl.super_bytes(sup, n) if sup else bytes(wl.BLOCK))
    return b"".join(out)


def flip(data, offset):
    b = bytearray(data)
    b[offset] ^= 0x01
    return bytes(b)


def put_block(data, k, blk):
    return data[:k * wl.BLOCK] + blk + data[(k + 1) * wl.BLOCK:]


def expect_fail(name, data, blocks, block, pattern, **kw):
    try:
        res = wl.verify_pattern(data, blocks, **kw)
    except wl.WorkloadVerifyError as exc:
        if exc.block != block or not re.search(pattern, str(exc)):
            raise LabError("%s: wrong failure (want block %r ~ %r): %s"
                           % (name, block, pattern, exc))
        log("  ok, fails as expected: %-28s %s" % (name, exc))
        return
    raise LabError("%s: verify_pattern accepted a bad image: %r" % (name, res))


def expect_ok(name, data, blocks, **want):
    res = wl.verify_pattern(data, blocks)
    for k, v in want.items():
        if res[k] != v:
            raise LabError("%s: %s=%r, want %r (%r)" % (name, k, res[k], v, res))
    log("  ok, passes as expected:     %-28s %s" % (name, res))
    return res


def synthetic_tests():
    log("verify_pattern on synthetic images")
    n = 8
    expect_ok("complete", image([5] * n, 5, n), n, generation=5, complete=True)
    expect_ok("complete, superblock lags", image([5] * n, 4, n), n, superblock_gen=4)
    expect_ok("mid-generation", image([5, 5, 5, 4, 4, 4, 4, 4], 4, n), n, at_generation=3)
    expect_ok("first gen in progress", image([1, 1, 0, 0, 0, 0, 0, 0], 0, n), n,
              generation=1, superblock_gen=0)
    good = image([5, 5, 5, 4, 4, 4, 4, 4], 4, n)
    expect_fail("all zero", bytes((n + 1) * wl.BLOCK), n, None, "wrote nothing")
    expect_fail("flipped payload byte", flip(good, 6 * wl.BLOCK + 1000), n, 6, "checksum mismatch")
    expect_fail("flipped sha byte", flip(good, 2 * wl.BLOCK + 60), n, 2,
                "checksum mismatch|damaged")
    # g=0000000005 -> ...4 in block 1's header: checksum still matches the
    # (unchanged) payload, but the payload is not gen 4's pattern.
    expect_fail("flipped generation digit", flip(good, 1 * wl.BLOCK + 19), n, 1,
                "not the gen 4 pattern")
    expect_fail("flipped header padding", flip(good, 3 * wl.BLOCK + 120), n, 3, "damaged")
    expect_fail("record of another block", put_block(good, 4, wl.record_bytes(4, 7, n)), n, 4,
                "record of block 7")
    expect_fail("generation hole", image([5, 5, 5, 3, 4, 4, 4, 4], 4, n), n, 3,
                "generation hole")
    expect_fail("unwritten block", image([5, 5, 5, 4, 0, 4, 4, 4], 4, n), n, 4, "never written")
    expect_fail("out of order", image([5, 5, 4, 4, 5, 4, 4, 4], 4, n), n, 4, "out of order")
    expect_fail("newer than block 0", image([5, 5, 6, 5, 5, 5, 5, 5], 5, n), n, 2, "newer")
    expect_fail("block 0 missing", image([0, 1, 1, 1, 1, 1, 1, 1], 0, n), n, 0, "never written")
    expect_fail("superblock ahead", image([5] * n, 6, n), n, n, "superblock says gen 6")
    expect_fail("superblock during gen", image([5, 5, 4, 4, 4, 4, 4, 4], 5, n), n, n,
                "in progress")
    expect_fail("superblock stale", image([5] * n, 3, n), n, n, "superblock says gen 3")
    expect_fail("superblock corrupted", flip(good, n * wl.BLOCK + 500), n, n, "checksum")
    expect_fail("other block count", image([5] * 4, 5, 4) + bytes(5 * wl.BLOCK), n, 0,
                "4 blocks")
    expect_fail("foreign data", put_block(good, 0, b"\x55" * wl.BLOCK), n, 0, "not a workload")
    expect_fail("short image", good[:-1], n, None, "need")
    expect_fail("min_generation", good, n, None, "at least 9", min_generation=9)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def run_qemu(args, base, tmp, initrd, img, stop_gen, tag, drive_opts=""):
    """Boot the workload on img until the console reports stop_gen, then stop
    qemu at a random point of the next generation (so the disk is left
    mid-generation as often as not).  Returns (gens [(g, uptime)], walls {g:
    seconds since qemu start})."""
    console = os.path.join(tmp, "console-%s.log" % tag)
    argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(args.mem), "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "file:" + console,
            "-kernel", base.kernel, "-initrd", initrd, "-append", wl.kernel_cmdline(args.blocks),
            "-drive", "file=%s,if=virtio,format=raw,cache=none%s" % (img, drive_opts)]
    log("boot %s: %s" % (tag, " ".join(argv)))
    qlog = open(os.path.join(tmp, "qemu-%s.log" % tag), "wb")
    t_start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qlog,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=child_setup)
    qlog.close()
    try:
        walls = {}
        st = {"gens": [], "errors": []}
        deadline = t_start + args.timeout
        while time.monotonic() < deadline and proc.poll() is None:
            st = wl.parse_console(read_text(console))   # qemu creates it a bit later
            now = time.monotonic() - t_start
            for g, _up in st["gens"]:
                walls.setdefault(g, now)
            if st["errors"] or (walls and max(walls) >= stop_gen):
                break
            time.sleep(0.1)
        if walls and not st["errors"]:
            time.sleep(random.uniform(0, 1.0))
        exited = proc.poll()
    finally:
        kill_group(proc, grace=10)      # SIGTERM: qemu stops the VM and drains I/O
    st = wl.parse_console(read_text(console))
    tail = "\n".join(read_text(console).splitlines()[-25:])
    if st["errors"]:
        raise LabError("workload error in the console:\n%s" % tail)
    if exited is not None:
        raise LabError("qemu exited early (rc=%s); console:\n%s" % (exited, tail))
    if not walls or max(walls) < stop_gen:
        raise LabError("generation %d not reached after %ds; console:\n%s"
                       % (stop_gen, args.timeout, tail))
    return st["gens"], walls


def boot_test(args):
    base = wl.find_cached_base()
    if base is None:
        log("SKIP: no cached lab base image (run tests/e2e/lab/image.py as root first)")
        return SKIP
    try:
        wl.kernel_module_dir(base)
    except LabError as exc:
        log("SKIP: %s" % exc)
        return SKIP
    if not shutil.which("qemu-system-x86_64") or not os.path.exists("/bin/busybox"):
        log("SKIP: needs qemu-system-x86_64 and /bin/busybox")
        return SKIP
    n = args.blocks
    # /var/tmp, not /tmp: cache=none opens the image with O_DIRECT, which a
    # tmpfs /tmp may refuse.
    tmp = tempfile.mkdtemp(prefix="ilvm-workload-", dir="/var/tmp")
    try:
        initrd = os.path.join(tmp, "initrd.img")
        t0 = time.monotonic()
        mods = wl.build_workload_initrd(base, initrd, blocks=n)
        log("initramfs %s: %d KiB, modules %s (%.1fs)" % (
            initrd, os.path.getsize(initrd) >> 10, " ".join(mods), time.monotonic() - t0))
        img = os.path.join(tmp, "disk.raw")
        with open(img, "wb") as f:
            f.truncate(8 * 1024 * 1024)

        gens, walls = run_qemu(args, base, tmp, initrd, img, args.gens, "first")
        # Only generations seen while polling have a wall time (one more may
        # have finished during the random stop delay).
        timed = [(g, u) for g, u in gens if g in walls]
        ups = [u for _g, u in timed]
        first = timed[0][0]
        w = [walls[g] for g, _u in timed]
        log("TIMING blocks=%d mem=%dMiB: qemu start -> 'gen=%d done' %.1fs wall "
            "(guest uptime %.1fs); %.2fs/generation wall, %.2fs guest (incl. 0.2s sleep), "
            "%d generations" % (n, args.mem, first, w[0], ups[0],
                                (w[-1] - w[0]) / (len(w) - 1),
                                (ups[-1] - ups[0]) / (len(ups) - 1), len(timed)))

        with open(img, "rb") as f:
            data = f.read((n + 1) * wl.BLOCK)
        res = wl.verify_pattern(data, n)
        log("verify_pattern on the booted disk: %s" % res)
        last = gens[-1][0]
        if res["superblock_gen"] < last or res["generation"] > last + 1:
            raise LabError("disk shows %r, console reached gen %d" % (res, last))

        log("corrupting copies of the booted disk")
        expect_fail("flipped payload byte", flip(data, 5 * wl.BLOCK + 2000), n, 5, "checksum")
        k = res["at_generation"] - 1        # a block at the newest generation
        expect_fail("flipped generation digit", flip(data, k * wl.BLOCK + 19), n, k,
                    "not the gen|damaged")
        # A valid, checksummed record two generations old: a lost write.
        expect_fail("stale generation", put_block(data, n - 1, wl.record_bytes(
            res["generation"] - 2, n - 1, n)), n, n - 1, "generation hole")
        expect_fail("zeroed disk", bytes(len(data)), n, None, "wrote nothing")

        # Second boot on the same disk (a restarted or cold-moved domain):
        # the writer resumes after the superblock's generation.  The disk is
        # throttled to ~300 IOPS (closer to the lab's iSCSI path) so that the
        # random stop often lands inside a generation's writes.
        gens2, _ = run_qemu(args, base, tmp, initrd, img, res["superblock_gen"] + 2, "second",
                            ",throttling.iops-total=300")
        if gens2[0][0] != res["superblock_gen"] + 1:
            raise LabError("second boot started at gen %d, superblock said %d"
                           % (gens2[0][0], res["superblock_gen"]))
        with open(img, "rb") as f:
            res2 = wl.verify_pattern(f.read((n + 1) * wl.BLOCK), n,
                                     min_generation=res["superblock_gen"] + 2)
        log("second boot resumed at gen %d; verify_pattern: %s" % (gens2[0][0], res2))
        return 0
    finally:
        if args.keep:
            log("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=wl.DEFAULT_BLOCKS)
    ap.add_argument("--mem", type=int, default=128, help="guest MiB (lab domain default: 96)")
    ap.add_argument("--gens", type=int, default=6, help="stop after this generation")
    ap.add_argument("--timeout", type=int, default=90, help="max seconds of qemu")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--offline", action="store_true", help="synthetic tests only, no qemu")
    args = ap.parse_args()
    install_signal_handlers()
    try:
        synthetic_tests()
        if args.offline:
            return 0
        rc = boot_test(args)
    except LabError as exc:
        log("FAIL: %s" % exc)
        return 1
    if rc == 0:
        log("PASS")
    return rc


if __name__ == "__main__":
    sys.exit(main())
