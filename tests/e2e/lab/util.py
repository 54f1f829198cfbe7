# SPDX-License-Identifier: LGPL-2.1-or-later
"""Small helpers shared by the lab: logging, bounded waits, child processes.

Everything here is Python 3 stdlib only, because the lab must run on a bare
Debian machine with /usr/bin/python3 and nothing from PyPI.
"""

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

_T0 = time.monotonic()


def log(msg):
    """Print a timestamped line (seconds since the process started).

    Relative timestamps make it obvious where the minutes go under TCG.
    """
    sys.stdout.write("[%7.1fs] %s\n" % (time.monotonic() - _T0, msg))
    sys.stdout.flush()


class LabError(Exception):
    """A lab step failed; the message is meant for humans reading CI logs."""


_PR_SET_PDEATHSIG = 1


def child_setup():
    """preexec_fn for every child we spawn: ask the kernel to SIGKILL it when
    the harness dies, even by SIGKILL, so no qemu/tgtd is ever orphaned.
    (start_new_session=True already gives it its own process group.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def run(argv, timeout, check=True, capture=True, cwd=None, env=None,
        input_text=None):
    """Run argv (a list, never a shell string) with a hard timeout.

    The child gets its own process group so that on timeout we can kill it
    *and* everything it spawned (debootstrap, apt, dpkg maintainer scripts…)
    without touching anything else on the machine.
    """
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, start_new_session=True, preexec_fn=child_setup,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        text=True, errors="replace")
    try:
        out, err = proc.communicate(input=input_text, timeout=timeout)
    except BaseException:
        # Timeout, Ctrl-C or SIGTERM: take the whole group down, then re-raise.
        kill_group(proc)
        raise
    if check and proc.returncode != 0:
        raise LabError("command failed (rc=%d): %s\nstdout:\n%s\nstderr:\n%s" % (
            proc.returncode, " ".join(argv), (out or "")[-4000:],
            (err or "")[-4000:]))
    return proc.returncode, out or "", err or ""


def kill_group(proc, grace=5.0):
    """SIGTERM then SIGKILL the process group led by proc (bounded)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def wait_until(pred, timeout, interval=1.0, what="condition"):
    """Poll pred() until it returns a truthy value; raise after timeout.

    Every wait in the lab goes through here so none of them is unbounded.
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            val = pred()
            if val:
                return val
        except Exception as exc:  # keep polling, report the last error
            last_exc = exc
        if time.monotonic() >= deadline:
            raise LabError("timed out after %.0fs waiting for %s%s" % (
                timeout, what, (": %s" % last_exc) if last_exc else ""))
        time.sleep(interval)


def free_port():
    """Pick a currently free TCP port on 127.0.0.1.

    There is a small race between closing this socket and the real user
    binding it; callers that can detect a bind failure retry.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_listening(port, host="127.0.0.1"):
    """True if something LISTENs on host:port, checked via /proc/net/tcp.

    We must not probe with connect(): a qemu `-netdev socket,listen=` would
    accept our probe as its one and only peer.
    """
    want_host = "".join("%02X" % int(b) for b in reversed(host.split(".")))
    want = "%s:%04X" % (want_host, port)
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1] == want and parts[3] == "0A":  # 0A = LISTEN
                    return True
    except OSError:
        return False
    return False


class Cleanup:
    """LIFO stack of cleanup callbacks run once on exit, error or signal.

    Used so that tgtd and qemu never outlive the harness: callbacks run from
    the context manager, from atexit, and from SIGTERM/SIGHUP handlers.
    """

    def __init__(self):
        self._stack = []
        self._done = False
        atexit.register(self.run)

    def push(self, fn, desc):
        self._stack.append((fn, desc))

    def run(self):
        if self._done:
            return
        self._done = True
        while self._stack:
            fn, desc = self._stack.pop()
            try:
                fn()
            except BaseException as exc:  # cleanup must keep going
                log("cleanup '%s' failed: %r" % (desc, exc))


_signals_installed = False


def install_signal_handlers():
    """Turn SIGTERM/SIGHUP into SystemExit so `finally` blocks and context
    managers run (Ctrl-C already raises KeyboardInterrupt)."""
    global _signals_installed
    if _signals_installed:
        return
    _signals_installed = True

    def _handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _handler)


class StepTimer:
    """Collects per-step durations and prints them; used by scenarios."""

    def __init__(self):
        self.steps = []

    def step(self, name):
        timer = self

        class _Ctx:
            def __enter__(self):
                log("STEP %s ..." % name)
                self.t = time.monotonic()
                return self

            def __exit__(self, et, ev, tb):
                dt = time.monotonic() - self.t
                timer.steps.append((name, dt, et is None))
                log("STEP %s %s in %.1fs" % (name, "ok" if et is None else "FAILED", dt))
                return False

        return _Ctx()

    def summary(self):
        lines = ["step timings:"]
        for name, dt, ok in self.steps:
            lines.append("  %-45s %7.1fs %s" % (name, dt, "ok" if ok else "FAILED"))
        lines.append("  %-45s %7.1fs" % ("total", sum(s[1] for s in self.steps)))
        return "\n".join(lines)
