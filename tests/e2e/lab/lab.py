# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lab: one iSCSI target + two guests (host A, host B), always torn down.

    from lab import Lab
    with Lab(staging_dir="/path/to/destdir") as lab:
        lab.iscsi_login_all()
        rc, out, err = lab.a.run(["vgs"])

What you get:
  lab.target      Target (tgtd on 127.0.0.1:lab.target.port)
  lab.spec        the first TargetSpec (IQN, LUN files)
  lab.a, lab.b    Guest objects: hostname hosta/hostb, sanlock host_id 1/2,
                  initiator iqn.2024-01.lab.iscsi-lvm:hosta / :hostb,
                  link NIC 192.168.77.1/.2 (qemu socket netdev over loopback)
  lab.workdir     console logs, qemu/tgtd logs (kept), disks (removed)

Teardown (also on exceptions, Ctrl-C, SIGTERM; bounded in time): shared VGs
deactivated and lock-stopped, iSCSI sessions logged out, guests powered
off (killed if they hang), tgtd stopped, disks deleted.  Children also get
PR_SET_PDEATHSIG so even a SIGKILLed harness leaves nothing running.
"""

import os
import signal
import tempfile
import time

from .guest import Guest, GuestCommandError
from .image import ensure_base, lab_suite, outer_codename
from .package import check_payload_suite, install_mode, package_deb
from .payload import make_payload_image, meson_stage
from .stress import CpuHogs, stress_requested
from .target import GIB, Target, TargetSpec
from .util import Cleanup, LabError, free_port, install_signal_handlers, log, tcp_listening, wait_until

IQN_PREFIX = "iqn.2024-01.lab.iscsi-lvm"


class Lab:
    def __init__(self, staging_dir=None, workdir=None, targets=None, keep_disks=False,
                 meson_build_dir=None,
                 boot_timeout=900, mem_mb=1024, clean_teardown=True,
                 sanlock_watchdog=True):
        self.staging_dir = staging_dir
        self.meson_build_dir = meson_build_dir
        self.workdir = workdir
        self.specs = targets or [TargetSpec(IQN_PREFIX + ":target1", [4 * GIB])]
        self.keep_disks = keep_disks
        self.boot_timeout = boot_timeout
        self.mem_mb = mem_mb
        self.clean_teardown = clean_teardown
        # True: sanlock -w 1 (wdmd + softdog, as in production); False:
        # Debian's default -w 0.
        self.sanlock_watchdog = sanlock_watchdog
        self.target = None
        self.a = self.b = None
        self.guests = []
        self.payload_img = None
        self.base = None
        self.timings = {}
        self._cleanup = None
        self.hogs = None

    @property
    def spec(self):
        return self.specs[0]

    # -- bring-up ----------------------------------------------------------
    def __enter__(self):
        install_signal_handlers()
        self._cleanup = Cleanup()  # atexit safety net if __exit__ never runs
        self._fast = True  # until teardown() says otherwise (atexit path)
        self._cleanup.push(self._teardown, "lab teardown")
        try:
            self._up()
        except BaseException as exc:
            self.teardown(fast=not isinstance(exc, Exception))
            raise
        return self

    def __exit__(self, et, ev, tb):
        # Ctrl-C / SIGTERM: the person or CI wants us gone now; guests and
        # LUN are throwaway, so skip the polite storage teardown.
        self.teardown(fast=et is not None and not issubclass(et, Exception))
        return False

    def teardown(self, fast=False):
        """Stop everything (idempotent).  fast=True kills qemu instead of a
        clean lock-stop/logout/poweroff."""
        self._fast = fast
        self._cleanup.run()

    def _up(self):
        t0 = time.monotonic()
        # Guests of ILVM_LAB_SUITE, running ILVM_LAB_INSTALL: the build tree (payload) or
        # the package (lab/package.py).
        suite = lab_suite()
        deb = None
        if install_mode() == "deb":
            deb = package_deb(suite)
            if self.staging_dir or self.meson_build_dir:
                log("ILVM_LAB_INSTALL=deb: the guests run %s, not %s" % (
                    deb, self.staging_dir or self.meson_build_dir))
            self.staging_dir = self.meson_build_dir = None
        elif self.staging_dir or self.meson_build_dir:
            check_payload_suite(suite, outer_codename())
        self.base = ensure_base(suite=suite, deb=deb)
        log("guests: Debian %s, %s" % (suite, "iscsi-lvm %s from %s" % (
            self.base.manifest["package"]["version"], deb) if deb else "payload tree"))
        self.timings["image"] = time.monotonic() - t0
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="ilvm-lab-",
                                            dir=os.environ.get("ILVM_LAB_WORKDIR_ROOT"))
        os.makedirs(self.workdir, exist_ok=True)
        log("lab workdir: %s" % self.workdir)
        if self.meson_build_dir and not self.staging_dir:
            self.staging_dir = meson_stage(self.meson_build_dir,
                                           os.path.join(self.workdir, "staging"))
        if self.staging_dir:
            self.payload_img = make_payload_image(
                self.staging_dir, os.path.join(self.workdir, "payload.img"))

        if stress_requested():
            self.hogs = CpuHogs()
            self.hogs.start()
            self._cleanup.push(self.hogs.stop, "stress mode hogs")

        t = time.monotonic()
        self.target = Target(self.workdir, self.specs)
        self.target.start()
        self.timings["target"] = time.monotonic() - t

        t = time.monotonic()
        link_port = free_port()
        peers = {"hosta": "192.168.77.1", "hostb": "192.168.77.2"}
        self.a = Guest("hosta", self.base, self.workdir, 1, IQN_PREFIX + ":hosta",
                       link_ip="192.168.77.1/24", link_mac="52:54:00:77:00:01",
                       link=("listen", link_port), peers=peers,
                       payload_img=self.payload_img, mem_mb=self.mem_mb,
                       sanlock_watchdog=self.sanlock_watchdog)
        self.b = Guest("hostb", self.base, self.workdir, 2, IQN_PREFIX + ":hostb",
                       link_ip="192.168.77.2/24", link_mac="52:54:00:77:00:02",
                       link=("connect", link_port), peers=peers,
                       payload_img=self.payload_img, mem_mb=self.mem_mb,
                       sanlock_watchdog=self.sanlock_watchdog)
        self.guests = [self.a, self.b]
        self.a.start()
        # B's `connect=` needs A's `listen=` socket bound first.
        wait_until(lambda: tcp_listening(link_port), 20, interval=0.2,
                   what="host A link socket")
        self.b.start()
        # Both boot concurrently; wait for each in turn (bounded).
        self.a.wait_ssh(self.boot_timeout)
        self.b.wait_ssh(self.boot_timeout)
        self.timings["boot"] = time.monotonic() - t

    # -- helpers for scenarios ---------------------------------------------
    def iscsi_login(self, guest, spec=None, timeout=120):
        """Create the node record with the 10.0.2.2 portal, log in, wait for
        the LUN devices; returns their /dev/disk/by-path names.

        Not sendtargets discovery: tgtd would advertise 127.0.0.1, which in
        the guest is the guest itself.
        """
        spec = spec or self.spec
        portal = self.target.guest_portal
        base = ["iscsiadm", "-m", "node", "-T", spec.iqn, "-p", portal]
        guest.check(base + ["-o", "new"], timeout=30)
        if spec.chap:
            user, password = spec.chap
            for name, value in (("node.session.auth.authmethod", "CHAP"),
                                ("node.session.auth.username", user),
                                ("node.session.auth.password", password)):
                guest.check(base + ["-o", "update", "-n", name, "-v", value], timeout=30)
        guest.check(base + ["--login"], timeout=timeout)
        paths = [self.target.by_path(spec, lun) for lun in range(1, len(spec.lun_sizes) + 1)]
        for p in paths:
            wait_until(lambda: guest.run(["test", "-b", p], timeout=20)[0] == 0,
                       60, interval=1, what="%s on %s" % (p, guest.name))
        return paths

    def iscsi_logout(self, guest, timeout=60):
        return guest.run(["iscsiadm", "-m", "node", "--logoutall=all"], timeout=timeout)

    def wait_lock_daemons(self, guest, timeout=120):
        def ok():
            rc, out, _ = guest.run(["systemctl", "is-active", "wdmd", "sanlock", "lvmlockd"],
                                   timeout=20)
            return rc == 0
        wait_until(ok, timeout, interval=2, what="wdmd/sanlock/lvmlockd on %s" % guest.name)

    def failure_report(self, exc, journal_lines=60):
        """Text for a failed step: guest command, its stderr, both journals."""
        parts = ["=" * 70, "FAILURE: %s" % exc.__class__.__name__]
        if isinstance(exc, GuestCommandError):
            parts += ["guest: %s" % exc.guest.name, "command: %s" % exc.cmd,
                      "rc: %d" % exc.rc, "stdout:\n%s" % exc.out.rstrip(),
                      "stderr:\n%s" % exc.err.rstrip()]
        else:
            parts.append(str(exc))
        for g in self.guests:
            if g is not None and g.proc is not None and g.proc.poll() is None:
                parts.append("---- journal tail of %s ----\n%s" % (g.name, g.journal_tail(journal_lines)))
                parts.append("---- lock state of %s ----\n%s" % (g.name, g.lock_state()))
            elif g is not None:
                parts.append("---- console tail of %s (%s) ----\n%s" % (
                    g.name, g.console_log, g._tail(g.console_log, journal_lines)))
        parts.append("workdir (console/qemu/tgtd logs): %s" % self.workdir)
        parts.append("=" * 70)
        return "\n".join(parts)

    # -- teardown ----------------------------------------------------------
    def _teardown(self):
        # A second Ctrl-C must not abort teardown half-way; every step below
        # has its own timeout, so ignoring SIGINT cannot hang us.
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            t = time.monotonic()
            alive = [g for g in self.guests if g.proc is not None and g.proc.poll() is None]
            # A guest that never finished booting gets no ssh-based teardown.
            booted = [g for g in alive if g.boot_seconds is not None]
            clean = self.clean_teardown and not self._fast
            if clean:
                for g in booted:
                    self._guest_storage_down(g)
            if not self._fast:
                for g in booted:
                    g.poweroff(timeout=90 if clean else 30)
            for g in self.guests:
                g.kill()
            if self.target is not None:
                self.target.stop()
            if not self.keep_disks:
                for g in self.guests:
                    g.remove_disks()
                if self.target is not None:
                    self.target.remove_luns()
                if self.payload_img and os.path.exists(self.payload_img):
                    os.unlink(self.payload_img)
            if alive or self.target is not None:
                log("lab torn down in %.1fs (logs kept in %s)" % (time.monotonic() - t,
                                                                 self.workdir))
        finally:
            signal.signal(signal.SIGINT, old)

    @staticmethod
    def _guest_storage_down(g):
        """Best effort: release sanlock leases so the LUN is left clean."""
        try:
            rc, out, _ = g.run("vgs --noheadings -o vg_name,vg_lock_type 2>/dev/null",
                               timeout=60)
            shared = [l.split()[0] for l in out.splitlines()
                      if len(l.split()) == 2 and l.split()[1] == "sanlock"]
            for vg in shared:
                g.run(["vgchange", "-an", vg], timeout=90)
            if shared:
                g.run(["vgchange", "--lock-stop"], timeout=90)
            g.run(["iscsiadm", "-m", "node", "--logoutall=all"], timeout=60)
        except LabError as exc:
            log("%s: storage teardown: %s" % (g.name, exc))
