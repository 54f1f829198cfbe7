# SPDX-License-Identifier: LGPL-2.1-or-later
"""One lab guest: a qemu TCG VM booted from a qcow2 overlay of the base image.

Command channel: ssh to root@127.0.0.1 through a slirp hostfwd bound to
127.0.0.1 only, with the key generated into the image cache.
"""

import hashlib
import os
import shlex
import subprocess
import time

from .image import SLIRP_MAC
from .util import LabError, child_setup, free_port, kill_group, log, run, tcp_listening, wait_until


class Guest:
    """A KVM-host stand-in (host A / host B)."""

    def __init__(self, name, base, workdir, host_id, iqn, link_ip=None,
                 link_mac=None, link=None, peers=None, payload_img=None,
                 mem_mb=1024, sanlock_watchdog=True, extra_cmdline=()):
        if mem_mb > 1024:
            raise LabError("lab guests are limited to 1 GiB RAM")
        self.name = name
        self.base = base
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.host_id = host_id
        self.iqn = iqn
        self.link_ip = link_ip
        self.link_mac = link_mac
        self.link = link            # ("listen"|"connect", port) or None
        self.peers = peers or {}    # name -> link IP, written to /etc/hosts
        self.payload_img = payload_img
        self.mem_mb = mem_mb
        self.sanlock_watchdog = sanlock_watchdog
        self.extra_cmdline = list(extra_cmdline)
        self.proc = None
        self.ssh_port = None
        self.console_log = os.path.join(self.dir, "console.log")
        self.qemu_log = os.path.join(self.dir, "qemu.log")
        self.overlay = os.path.join(self.dir, "root.qcow2")
        self.boot_seconds = None

    # -- boot --------------------------------------------------------------
    def cmdline(self):
        mid = hashlib.md5(("ilvm-lab-" + self.name).encode()).hexdigest()
        # tsc=unstable: under TCG the guest's TSC is the outer machine's, read raw; when
        # that machine (itself a VM) is snapshotted ("random: crng reseeded due to virtual
        # machine fork" in its dmesg) its TSC jumps, and a TSC-timed guest jumped with it
        # (both lab guests by ~180,000 s at once: softdog rebooted both mid-scenario). The
        # HPET and the APIC timer are QEMU's virtual clock (the outer monotonic clock, which
        # did not jump).
        args = ["console=ttyS0,115200", "root=/dev/vda", "rw", "net.ifnames=0", "tsc=unstable",
                "panic=-1", "loglevel=4", "systemd.show_status=1",
                "ilvm.hostname=%s" % self.name, "ilvm.hostid=%d" % self.host_id,
                "ilvm.iqn=%s" % self.iqn, "ilvm.machineid=%s" % mid,
                "ilvm.sanlockwd=%d" % (1 if self.sanlock_watchdog else 0)]
        if self.link_ip:
            args += ["ilvm.linkip=%s" % self.link_ip, "ilvm.linkmac=%s" % self.link_mac]
        if self.peers:
            args.append("ilvm.peers=" + ",".join(
                "%s=%s" % (n, ip) for n, ip in sorted(self.peers.items())))
        for a in args + self.extra_cmdline:
            # Values are ours, but keep the initramfs' naive parsing honest.
            if any(c.isspace() or c in "'\"`$\\;" for c in a):
                raise LabError("unsafe kernel argument %r" % a)
        return " ".join(args + self.extra_cmdline)

    def argv(self):
        a = ["qemu-system-x86_64", "-name", self.name,
             "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", str(self.mem_mb),
             "-nodefaults", "-display", "none", "-no-reboot",
             "-serial", "file:" + self.console_log, "-monitor", "none",
             "-kernel", self.base.kernel, "-initrd", self.base.initrd,
             "-append", self.cmdline(),
             # cache=unsafe: the overlay is thrown away after the test, so
             # skipping flushes only buys speed under TCG.
             "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe" % self.overlay]
        if self.payload_img:
            a += ["-drive", "file=%s,if=virtio,format=raw,readonly=on" % self.payload_img]
        # slirp: guest 10.0.2.15; 10.0.2.2 is our loopback (iSCSI target);
        # ssh forwarded from 127.0.0.1 only.
        a += ["-netdev", "user,id=n0,ipv6=off,net=10.0.2.0/24,"
              "hostfwd=tcp:127.0.0.1:%d-:22" % self.ssh_port,
              "-device", "virtio-net-pci,netdev=n0,mac=%s" % SLIRP_MAC]
        if self.link:
            mode, port = self.link
            a += ["-netdev", "socket,id=n1,%s=127.0.0.1:%d" % (mode, port),
                  "-device", "virtio-net-pci,netdev=n1,mac=%s" % self.link_mac]
        a += ["-device", "virtio-rng-pci"]
        return a

    def start(self):
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
             "-b", self.base.rootfs, self.overlay], timeout=60)
        self._launch()

    def boot_again(self, timeout=900):
        """Power the guest on again after a poweroff or kill(): same overlay (its
        configuration, enabled units, node records survive, as on a real host's disk)."""
        self.power_on()
        self.wait_ssh(timeout)

    def power_on(self):
        """boot_again() without waiting for the boot (wait_ssh() does)."""
        if self.proc is not None and self.proc.poll() is None:
            raise LabError("%s is still running" % self.name)
        self._launch()

    def _launch(self):
        for attempt in range(3):
            self.ssh_port = free_port()
            qlog = open(self.qemu_log, "a")
            self.t_start = time.monotonic()
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=qlog, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=child_setup)
            qlog.close()
            # qemu binds hostfwd/listen sockets before starting the CPU; if
            # the port was taken meanwhile it exits at once.
            try:
                wait_until(lambda: self.proc.poll() is not None or tcp_listening(self.ssh_port),
                           20, interval=0.2, what="qemu %s to start" % self.name)
            except LabError:
                self.kill()
                raise
            if self.proc.poll() is None:
                break
            log("%s: qemu exited at start (rc=%s), retrying; %s" % (
                self.name, self.proc.returncode, self._tail(self.qemu_log, 5)))
        else:
            raise LabError("qemu for %s does not start, see %s" % (self.name, self.qemu_log))
        log("%s: qemu pid %d, ssh 127.0.0.1:%d, console %s" % (
            self.name, self.proc.pid, self.ssh_port, self.console_log))

    def wait_ssh(self, timeout=600):
        def ready():
            if self.proc.poll() is not None:
                raise LabError("%s: qemu exited (rc=%s) during boot; console:\n%s" % (
                    self.name, self.proc.returncode, self._tail(self.console_log, 40)))
            rc, out, _ = self.run("systemctl is-system-running", timeout=20)
            # "degraded" is fine for us (a unit we don't need may fail);
            # "starting" means boot is still going.
            return out.strip() in ("running", "degraded")
        try:
            wait_until(ready, timeout, interval=2, what="%s to boot" % self.name)
        except LabError as exc:
            if "qemu exited" in str(exc):
                raise
            raise LabError("%s\nconsole tail:\n%s" % (exc, self._tail(self.console_log, 40)))
        self.boot_seconds = time.monotonic() - self.t_start
        log("%s: booted in %.1fs" % (self.name, self.boot_seconds))

    # -- command channel ---------------------------------------------------
    def ssh_argv(self):
        return ["ssh", "-p", str(self.ssh_port), "-i", self.base.ssh_key,
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
                "-o", "ServerAliveCountMax=6", "root@127.0.0.1"]

    def run(self, cmd, timeout=120, check=False):
        """Run a command in the guest: (rc, stdout, stderr).

        cmd as a list is quoted for the remote shell (safe for any argument);
        a string is passed to the guest's shell as written (scenario code
        only, never untrusted input).  rc 255 means ssh itself failed.
        """
        remote = shlex.join(cmd) if isinstance(cmd, (list, tuple)) else cmd
        try:
            rc, out, err = run(self.ssh_argv() + ["--", remote], timeout=timeout,
                               check=False)
        except subprocess.TimeoutExpired:
            raise LabError("%s: command timed out after %ss: %s" % (self.name, timeout, remote))
        if check and rc != 0:
            raise GuestCommandError(self, remote, rc, out, err)
        return rc, out, err

    def start_run(self, cmd):
        """Start a guest command without waiting (e.g. the slow
        `vgchange --lock-start` on both hosts at once); finish with
        `.wait(timeout)` on the returned handle -> (rc, stdout, stderr)."""
        return _AsyncRun(self, cmd)

    def check(self, cmd, timeout=120):
        """run() that raises GuestCommandError on a non-zero exit."""
        return self.run(cmd, timeout=timeout, check=True)

    def journal_tail(self, n=60):
        # Our own ssh logins flood the journal; filter them out so the tail
        # shows what the storage stack said.
        rc, out, err = self.run(
            "journalctl -b --no-pager -o short-monotonic -n %d | "
            "grep -v -E 'sshd\\[|systemd-logind|session-[0-9]+\\.scope' | tail -n %d"
            % (n * 20, n), timeout=30)
        if rc != 0:
            return "(journalctl over ssh failed rc=%d: %s)\nconsole tail:\n%s" % (
                rc, err.strip(), self._tail(self.console_log, n))
        return out

    def lock_state(self):
        """What the storage stack is doing right now: stuck LVM commands and
        their kernel stacks, lvmlockd's and sanlock's view, the iSCSI session.
        Every probe is bounded: a wedged lvmlockd must not wedge the report."""
        probe = "; ".join([
            "ps -eo pid,ppid,stat,etimes,wchan:28,args --sort=pid | "
            "grep -E '[l]v|[v]g|[s]anlock|[v]irsh|[i]scsi-lvm|[q]emu-system|[i]scsid' | cut -c1-220",
            "for p in $(pgrep -x lvs; pgrep -x lvchange; pgrep -x vgs); do echo \"== stack of $p\"; "
            "cat /proc/$p/stack; done",
            "echo '== lvmlockctl -i'; timeout 15 lvmlockctl -i",
            "echo '== sanlock client status -D'; timeout 15 sanlock client status -D | head -80",
            "echo '== sanlock log_dump (tail)'; timeout 15 sanlock client log_dump | tail -n 60",
            "echo '== lvmlockctl --dump (tail)'; timeout 15 lvmlockctl --dump | tail -n 60",
            "echo '== iscsi sessions'; timeout 15 iscsiadm -m session -P 1 | grep -E 'Target:|State'",
            "echo '== load'; cat /proc/loadavg",
        ])
        try:
            rc, out, err = self.run(probe, timeout=150)
        except LabError as exc:
            return "(lock state probe failed: %s)" % exc
        return out + (("\n(stderr) " + err.strip()) if err.strip() else "")

    # -- shutdown ------------------------------------------------------------
    def poweroff(self, timeout=120):
        """Clean poweroff; kill qemu if the guest does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            # ssh returns 255 when the guest drops the connection: expected.
            self.run("systemctl poweroff --no-block", timeout=20)
        except LabError:
            pass
        try:
            self.proc.wait(timeout=timeout)
            log("%s: powered off" % self.name)
        except subprocess.TimeoutExpired:
            log("%s: poweroff timed out, killing qemu" % self.name)
            self.kill()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc)

    def remove_disks(self):
        for p in (self.overlay,):
            try:
                os.unlink(p)
            except OSError:
                pass

    @staticmethod
    def _tail(path, n):
        try:
            with open(path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 200 * n))
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError as exc:
            return "(%s)" % exc


class _AsyncRun:
    def __init__(self, guest, cmd):
        self.guest = guest
        self.remote = shlex.join(cmd) if isinstance(cmd, (list, tuple)) else cmd
        self.proc = subprocess.Popen(guest.ssh_argv() + ["--", self.remote],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace",
                                     start_new_session=True, preexec_fn=child_setup)

    def running_after(self, seconds):
        """True if the command is still running `seconds` from now (it is left running)."""
        try:
            self.proc.wait(timeout=seconds)
            return False
        except subprocess.TimeoutExpired:
            return True

    def wait(self, timeout, check=False):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            raise LabError("%s: command timed out after %ss: %s" % (
                self.guest.name, timeout, self.remote))
        except BaseException:
            kill_group(self.proc)
            raise
        rc = self.proc.returncode
        if check and rc != 0:
            raise GuestCommandError(self.guest, self.remote, rc, out, err)
        return rc, out, err


class GuestCommandError(LabError):
    def __init__(self, guest, cmd, rc, out, err):
        self.guest, self.cmd, self.rc, self.out, self.err = guest, cmd, rc, out, err
        super().__init__("%s: `%s` failed rc=%d\nstdout:\n%s\nstderr:\n%s" % (
            guest.name, cmd, rc, out[-3000:], err[-3000:]))
