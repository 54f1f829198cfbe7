#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Experiment, not a test: two sanlock daemons (host_id 1 and 2) on one loop device, each
cycling a VG-lock-like lease the way lvmlockd does (SH 60 % / EX 40 %, LVB, set_lvb on EX,
release; a refusal retried after up to 200 ms), to see whether an acquire can spin forever
("abort1 larger lver", the VG-lock hang CI hit on Debian 12) and what unsticks it: when one
host's acquire is pending for 20 s the other goes idle for 60 s, then acquires again.

Needs sanlock + python3-sanlock (not in .ci/debian-packages) and root. In a container
without CAP_SYS_RESOURCE sanlock exits raising RLIMIT_MEMLOCK: build the shim next to this
file (gcc -shared -fPIC -o sanlock_rlimit_shim.so sanlock_rlimit_shim.c -ldl) and set
SANLOCK_SHIM to its path. Run: losetup -f --show --direct-io=on LEASE.img (64 MiB), then
/usr/bin/python3 sanlock_vg_lease_stress.py /dev/loopN SECONDS. Bounded by SECONDS.

Result (2026-12-03, sanlock 3.8.5, loop device on the 2-core machine, 900 s): 16,274
acquisitions (5,465 + 10,809), 4,320 refusals, no acquire pending over 5 s, no
"abort1 larger lver" (42 "abort1 larger mbal", ordinary contention). The hang needs more than
contention: the lab's difference is slow iSCSI I/O inside TCG guests."""
import multiprocessing as mp, os, random, subprocess, sys, time

DEV = sys.argv[1]
DURATION = float(sys.argv[2]) if len(sys.argv) > 2 else 600
LS, RES = b"lvm_exp", b"VGLK"
RES_OFF = 1 << 20
STUCK = 20.0

def env(h):
    os.environ["SANLOCK_RUN_DIR"] = "/tmp/slk%d" % h

def worker(h, stop_at, state, pause):
    env(h)
    import sanlock
    fd = sanlock.register()
    n = fails = 0
    rnd = random.Random(h * 7919 + os.getpid())
    while time.time() < stop_at:
        if pause.value == h:        # told to stay idle (the other host is stuck)
            time.sleep(0.2); continue
        shared = rnd.random() < 0.6
        t = time.time()
        state[h] = t
        try:
            sanlock.acquire(LS, RES, [(DEV, RES_OFF)], slkfd=fd, shared=shared, lvb=True)
        except sanlock.SanlockException as e:
            state[h] = 0
            fails += 1
            time.sleep(rnd.random() * 0.2)
            continue
        state[h] = 0
        dt = time.time() - t
        if dt > 5:
            print("host %d: acquire %s took %.1f s" % (h, "sh" if shared else "ex", dt), flush=True)
        time.sleep(rnd.random() * 0.05)
        if not shared:
            try:
                sanlock.set_lvb(LS, RES, [(DEV, RES_OFF)], b"v%08d" % n)
            except Exception as e:
                print("host %d: set_lvb %s" % (h, e), flush=True)
        sanlock.release(LS, RES, [(DEV, RES_OFF)], slkfd=fd)
        n += 1
    print("host %d: %d acquisitions, %d refusals" % (h, n, fails), flush=True)

def main():
    import sanlock
    os.environ.pop("SANLOCK_RUN_DIR", None)
    subprocess.run(["sanlock", "direct", "init", "-s", "%s:0:%s:0" % (LS.decode(), DEV)], check=True)
    subprocess.run(["sanlock", "direct", "init", "-r", "%s:%s:%s:%d" % (LS.decode(), RES.decode(), DEV, RES_OFF)], check=True)
    daemons = []
    for h in (1, 2):
        os.makedirs("/tmp/slk%d" % h, exist_ok=True)
        e = dict(os.environ, SANLOCK_RUN_DIR="/tmp/slk%d" % h)
        log = open("daemon%d.log" % h, "w")
        if os.environ.get("SANLOCK_SHIM"):
            e["LD_PRELOAD"] = os.environ["SANLOCK_SHIM"]
        daemons.append(subprocess.Popen(["sanlock", "daemon", "-D", "-w", "0", "-U", "0", "-G", "0", "-l", "0"],
                                        env=e, stdout=log, stderr=log))
    time.sleep(2)
    for h in (1, 2):
        e = dict(os.environ, SANLOCK_RUN_DIR="/tmp/slk%d" % h)
        t = time.time()
        subprocess.run(["sanlock", "client", "add_lockspace", "-s", "%s:%d:%s:0" % (LS.decode(), h, DEV)], env=e, check=True)
        print("host %d joined in %.1f s" % (h, time.time() - t), flush=True)
    stop_at = time.time() + DURATION
    state = mp.Array("d", 3)
    pause = mp.Value("i", 0)
    procs = [mp.Process(target=worker, args=(h, stop_at, state, pause)) for h in (1, 2)]
    for p in procs: p.start()
    stuck_host = 0
    while any(p.is_alive() for p in procs):
        time.sleep(1)
        now = time.time()
        for h in (1, 2):
            if state[h] and now - state[h] > STUCK and not stuck_host:
                stuck_host = h
                other = 3 - h
                print("host %d: acquire pending for %.0f s; host %d goes idle for 60 s" % (h, now - state[h], other), flush=True)
                pause.value = other
                t_idle = now
        if stuck_host:
            h = stuck_host
            if not state[h]:
                print("host %d: acquire returned after %.0f s (host %d %s)" % (
                    h, time.time() - t_idle, 3 - h, "idle" if pause.value else "active again"), flush=True)
                stuck_host = 0; pause.value = 0
            elif pause.value and time.time() - t_idle > 60:
                print("host %d: still pending after 60 s of host %d idle; host %d acquires again" % (h, 3 - h, 3 - h), flush=True)
                pause.value = 0
    for h in (1, 2):
        e = dict(os.environ, SANLOCK_RUN_DIR="/tmp/slk%d" % h)
        out = subprocess.run(["sanlock", "client", "log_dump"], env=e, capture_output=True, text=True).stdout
        open("log_dump%d.txt" % h, "w").write(out)
        print("host %d: log_dump abort1 larger lver: %d, abort1 larger mbal: %d" % (
            h, out.count("abort1 larger lver"), out.count("abort1 larger mbal")), flush=True)
        subprocess.run(["sanlock", "client", "shutdown", "-f", "1"], env=e)
    for d in daemons:
        try: d.wait(20)
        except subprocess.TimeoutExpired: d.kill()

main()
