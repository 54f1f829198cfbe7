# SPDX-License-Identifier: LGPL-2.1-or-later
"""Userspace iSCSI target (tgtd from Debian's `tgt`) for the lab.

tgtd runs as our child, in the foreground, in its own process group, bound
to 127.0.0.1 only, on a port picked free at start, with its own control
port (unix socket /var/run/tgtd/socket.N) so several labs never clash.
Guests reach it as 10.0.2.2:PORT through qemu's slirp.
"""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

from .util import LabError, child_setup, kill_group, log, run, tcp_listening, free_port, wait_until

GIB = 1024 ** 3

# Where the LUN files live.  sanlock gives every lease read and write 10 s
# (io_timeout); a LUN file on the outer machine's disk stalled a read longer
# than that during CI (sanlock: "aio timeout RD ... ioto 10", lvmlockd:
# "lock_san acquire error -210", so `lvchange -aey` failed "due to failed
# lock"), most likely behind the outer disk's writeback (tgtd's backing
# file is page-cached and flushed on SYNCHRONIZE CACHE).  Sparse files on tmpfs cost only what LVM and sanlock write
# (tens of MiB) and never wait for a disk.  ILVM_LAB_LUN_DIR overrides.
LUN_DIR_ROOT = "/dev/shm"
LUN_DIR_MIN_FREE = 8 * GIB


def lun_dir_root():
    root = os.environ.get("ILVM_LAB_LUN_DIR")
    if root:
        return root
    try:
        st = os.statvfs(LUN_DIR_ROOT)
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < LUN_DIR_MIN_FREE:
        log("LUN files in the work dir: %s has less than %d GiB free"
            % (LUN_DIR_ROOT, LUN_DIR_MIN_FREE // GIB))
        return None
    return LUN_DIR_ROOT


def thin_luns():
    """Whether the lab exports its LUNs thin (the default) or thick (ILVM_LAB_THIN_LUN=0)."""
    return os.environ.get("ILVM_LAB_THIN_LUN", "1") != "0"


class TargetSpec:
    """One iSCSI target: an IQN, its LUN sizes (LUN numbers start at 1,
    LUN 0 is tgt's controller) and optional incoming CHAP credentials."""

    def __init__(self, iqn, lun_sizes=(4 * GIB,), chap=None, initiators=None):
        self.iqn = iqn
        self.lun_sizes = list(lun_sizes)
        self.chap = chap              # (user, password) or None
        self.initiators = initiators  # list of initiator IQNs, None = ALL
        self.tid = None
        self.lun_files = []


class Target:
    def __init__(self, workdir, specs):
        self.workdir = workdir
        self.specs = list(specs)
        self.proc = None
        self.port = None
        # A second portal of the same target (issue 19, multipath): tgtd listens on both, so
        # a guest reaches one LUN by two paths, and the lab can cut one (tc on its port).
        self.port2 = None
        self.ctrl = None
        self.log_path = os.path.join(workdir, "tgtd.log")
        root = lun_dir_root()
        self.lun_dir = (tempfile.mkdtemp(prefix="ilvm-lab-luns-", dir=root)
                        if root else workdir)

    # -- helpers ---------------------------------------------------------
    def adm(self, *args, timeout=30, check=True):
        return run(["tgtadm", "--lld", "iscsi", "-C", str(self.ctrl)] + list(args),
                   timeout=timeout, check=check)

    @property
    def guest_portal(self):
        """Portal as seen from a guest (slirp maps 10.0.2.2 to our loopback)."""
        return "10.0.2.2:%d" % self.port

    @property
    def guest_portals(self):
        """Both portals as seen from a guest: the first is `guest_portal`."""
        return [self.guest_portal, "10.0.2.2:%d" % self.port2]

    def by_path(self, spec, lun):
        """udev's /dev/disk/by-path name of a LUN inside a guest."""
        return "/dev/disk/by-path/ip-%s-iscsi-%s-lun-%d" % (self.guest_portal, spec.iqn, lun)

    def _pick_ctrl(self):
        # tgtd's control socket is /var/run/tgtd/socket.<N>; pick an unused N.
        # tgtd rejects -C values above ~32767 ("out of range"), seen here.
        for _ in range(100):
            n = random.randint(1000, 30000)
            if not os.path.exists("/var/run/tgtd/socket.%d" % n):
                return n
        raise LabError("no free tgtd control port")

    # -- lifecycle -------------------------------------------------------
    def start(self, timeout=30, port=None, port2=None):
        """Starts tgtd and creates the targets. `port`, `port2` (a restart): those portals
        again, and the LUN files as they are (their data kept)."""
        if not os.path.exists("/usr/sbin/tgtd"):
            raise LabError("tgtd missing: apt-get install tgt")
        os.makedirs("/var/run/tgtd", exist_ok=True)
        for attempt in range(3):
            self.port = port or free_port()
            self.ctrl = self._pick_ctrl()
            logf = open(self.log_path, "a")
            # -f: foreground, so we own the process and its exit status.
            self.proc = subprocess.Popen(
                ["tgtd", "-f", "-C", str(self.ctrl),
                 "--iscsi", "portal=127.0.0.1:%d" % self.port],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=child_setup)
            logf.close()
            try:
                wait_until(lambda: self.proc.poll() is not None or (
                    tcp_listening(self.port) and
                    self.adm("--op", "show", "--mode", "sys", check=False)[0] == 0),
                    timeout, interval=0.3, what="tgtd to listen")
            except LabError:
                self.stop()
                raise
            if self.proc.poll() is None:
                break
            log("tgtd exited early (port race?), retrying")
        else:
            raise LabError("tgtd did not start, see %s" % self.log_path)
        self._add_second_portal(port2, timeout)
        log("tgtd pid %d on 127.0.0.1:%d and :%d (control %d)" % (self.proc.pid, self.port, self.port2, self.ctrl))
        for tid, spec in enumerate(self.specs, start=1):
            self._create(tid, spec, keep_data=port is not None)

    def _add_second_portal(self, port2, timeout):
        for _ in range(3):
            self.port2 = port2 or free_port()
            rc, _, err = self.adm("--op", "new", "--mode", "portal", "--param",
                                  "portal=127.0.0.1:%d" % self.port2, check=False)
            if rc == 0:
                wait_until(lambda: tcp_listening(self.port2), timeout, interval=0.3,
                           what="tgtd to listen on its second portal")
                return
            if port2:
                break
            log("tgtd refused a second portal on %d (%s), another port" % (self.port2, err.strip()))
        raise LabError("tgtd has no second portal, see %s" % self.log_path)

    def crash_and_restart(self, down_seconds):
        """A target crash: tgtd SIGKILLed (sessions dropped, no logout), down for
        `down_seconds`, then started again on the same portal with the same LUNs and data."""
        port, port2 = self.port, self.port2
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        log("tgtd killed (SIGKILL); down for %.0f s" % down_seconds)
        for suffix in ("", ".lock"):
            try:
                os.unlink("/var/run/tgtd/socket.%d%s" % (self.ctrl, suffix))
            except OSError:
                pass
        time.sleep(down_seconds)
        self.start(port=port, port2=port2)

    def _create(self, tid, spec, keep_data=False):
        spec.tid = tid
        self.adm("--op", "new", "--mode", "target", "--tid", str(tid), "-T", spec.iqn)
        for lun, size in enumerate(spec.lun_sizes, start=1):
            path = os.path.join(self.lun_dir, "lun-t%d-l%d.img" % (tid, lun))
            if not keep_data:
                # Sparse: a 4 GiB LUN costs only what sanlock/LVM actually write.
                with open(path, "wb") as f:
                    f.truncate(size)
                spec.lun_files.append(path)
            self.adm("--op", "new", "--mode", "logicalunit", "--tid", str(tid),
                     "--lun", str(lun), "-b", path)
            # A thin LUN, as most arrays export: UNMAP and WRITE SAME with unmap punch holes
            # in the backing file, so the lab can see what a copy leaves unallocated (bench).
            # ILVM_LAB_THIN_LUN=0: a thick one, to compare timings.
            if thin_luns():
                self.adm("--op", "update", "--mode", "logicalunit", "--tid", str(tid),
                         "--lun", str(lun), "--params", "thin_provisioning=1")
        for ini in (spec.initiators or ["ALL"]):
            self.adm("--op", "bind", "--mode", "target", "--tid", str(tid), "-I", ini)
        if spec.chap:
            user, password = spec.chap
            self.adm("--op", "new", "--mode", "account", "--user", user,
                     "--password", password)
            self.adm("--op", "bind", "--mode", "account", "--tid", str(tid),
                     "--user", user)
        log("target tid %d %s: %d LUN(s)%s" % (tid, spec.iqn, len(spec.lun_sizes),
                                              ", CHAP" if spec.chap else ""))

    def allocated(self, path, offset, length):
        """Bytes of a LUN file's [offset, offset + length) that hold data (SEEK_DATA /
        SEEK_HOLE; a punched or never written range holds none)."""
        total, pos, end = 0, offset, offset + length
        with open(path, "rb") as f:
            fd = f.fileno()
            while pos < end:
                try:
                    data = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:   # ENXIO: no data past pos
                    break
                if data >= end:
                    break
                hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
                total += hole - data
                pos = hole
        return total

    def show(self):
        return self.adm("--op", "show", "--mode", "target", check=False)[1]

    def stop(self, timeout=20):
        """Stop tgtd; bounded, idempotent, safe to call from cleanup paths."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # Polite first, like Debian's tgt.service ExecStop: go offline,
            # drop targets (forcing out sessions), then ask tgtd to exit
            # ("delete --mode system"; it ignores SIGTERM while targets exist).
            self.adm("--op", "update", "--mode", "sys", "--name", "State", "-v", "offline",
                     timeout=10, check=False)
            for spec in self.specs:
                if spec.tid is not None:
                    self.adm("--op", "delete", "--force", "--mode", "target",
                             "--tid", str(spec.tid), timeout=10, check=False)
            self.adm("--op", "delete", "--mode", "system", timeout=10, check=False)
            try:
                self.proc.wait(timeout=timeout / 2)
            except subprocess.TimeoutExpired:
                pass
            kill_group(self.proc, grace=timeout / 2)
        log("tgtd stopped (rc=%s)" % self.proc.returncode)
        self.proc = None
        for suffix in ("", ".lock"):
            try:
                os.unlink("/var/run/tgtd/socket.%d%s" % (self.ctrl, suffix))
            except OSError:
                pass

    def remove_luns(self):
        for spec in self.specs:
            for path in spec.lun_files:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if self.lun_dir != self.workdir:
            shutil.rmtree(self.lun_dir, ignore_errors=True)
