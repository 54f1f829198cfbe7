#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build (or reuse from cache) the base guest image of the iscsi-lvm lab.

Output, all under ~/.cache/iscsi-lvm-lab/ (override: ILVM_LAB_CACHE):
  stage1-<hash>/tree      debootstrap'ed SUITE + apt-installed packages
  stage1-<hash>/kernel/   the suite's linux-image-*.deb (+ kernel.json)
  kernel-<pkg>-<ver>/     that .deb extracted with dpkg-deb -x
  base-<hash>/            vmlinuz, initrd.img, rootfs.img (sparse ext4),
                          manifest.json
  ssh/id_ed25519          key baked into every base image for root login

The guests' Debian release is ILVM_LAB_SUITE (bookworm, the default, or
trixie).  With a package (ensure_base(deb=...), the lab's ILVM_LAB_INSTALL=deb)
stage 2 installs it with `apt-get install ./iscsi-lvm_*.deb` and its Depends
bring the runtime libraries; without one, stage 1 installs them by name for
the payload tree (RUNTIME_LIBS).

Two stages so that editing guest config files (stage 2, ~15 s) does not
redo debootstrap + apt (stage 1, the slow part).  Each stage's directory
name is a hash of its inputs, so a changed package list or config rebuilds
automatically and an absent cache rebuilds from nothing.

Only Debian packages are needed on the outer machine: debootstrap,
busybox-static, e2fsprogs, qemu-utils, openssh-client (and apt/dpkg).
Nothing is installed on the outer machine by this script; the kernel .deb is
fetched with `apt-get download` inside the stage-1 chroot (so it is the
suite's kernel, not the outer machine's) and only unpacked.

Usage: /usr/bin/python3 tests/e2e/lab/image.py [--force] [--print] [--suite S] [--deb FILE]
"""

import argparse
import fcntl
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import stat
import sys
import time

if __package__ in (None, ""):
    # Allow running as a plain script: make `lab` importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from lab.util import LabError, log, run, install_signal_handlers  # noqa: E402
else:
    from .util import LabError, log, run, install_signal_handlers

# Bump when the stage-1 recipe changes in a way the package list does not show.
# 2: the kernel .deb is fetched in stage 1, from the suite's archive.
STAGE1_VERSION = 2
# Bump when stage-2 code (not data below) changes.
# 4: optional package install; compressed kernel modules unpacked for the initramfs.
STAGE2_VERSION = 4

# The guests' Debian release (ILVM_LAB_SUITE).  bookworm stays the default until the
# lab's full suite has passed on trixie guests (issue 20); trixie is the release the
# package is meant for.  Only suites listed in RUNTIME_LIBS: their library names differ.
DEFAULT_SUITE = "bookworm"

# Installed by debootstrap itself: only packages whose maintainer scripts
# work in debootstrap's bare chroot.
DEBOOTSTRAP_INCLUDE = [
    "debian-archive-keyring", "systemd-sysv", "udev", "kmod", "iproute2",
]

# Installed afterwards with apt-get inside the chroot (libvirt-daemon-system's
# dependencies cannot be configured by debootstrap).
APT_PACKAGES = [
    # base system / debugging
    "systemd", "systemd-sysv", "udev", "dbus", "kmod", "procps", "psmisc",
    "iproute2", "iputils-ping", "less", "openssh-server", "e2fsprogs",
    "util-linux", "netcat-openbsd", "strace",
    # storage stack under test
    "lvm2", "lvm2-lockd", "sanlock", "open-iscsi", "sg3-utils",
    # a pool with two portals: one dm-multipath map over both paths (issue 19)
    "multipath-tools",
    # virtualization stack (nested TCG domains, migration in later scenarios)
    "libvirt-daemon-system", "libvirt-daemon-driver-qemu", "libvirt-clients",
    "qemu-system-x86", "qemu-utils",
    # libvirt's Python binding: migrateToURI3, what virt-manager calls (issue 17), and
    # virt-install, the user guide's recipe for new VMs on the pool's volumes
    "python3-libvirt", "virtinst", "osinfo-db",   # virt-install's --os-variant names (a Recommends)
]

# Runtime libraries of our C++ build (and the packages a host needs that Debian 13
# split out of libvirt-daemon), for the payload tree only (a package brings its own
# through its Depends, which is what a lab on the package checks).  Their names
# change with each release's ABI (t64, soname bumps), hence one list per suite.
RUNTIME_LIBS = {
    "bookworm": ["libvirt0", "libxml2", "libglib2.0-0", "libjson-glib-1.0-0",
                 "libsimdjson14", "libspdlog1.10", "libfmt9",
                 # the host agent ilvmd: libvirt events on GLib, udev block events
                 "libvirt-glib-1.0-0", "libgudev-1.0-0", "glib-networking"],
    "trixie": ["libvirt0", "libxml2", "libglib2.0-0t64", "libjson-glib-1.0-0",
               "libsimdjson25", "libspdlog1.15", "libfmt10",
               "libvirt-glib-1.0-0", "libgudev-1.0-0", "glib-networking",
               # the mirror pool's `logical` backend: its own package since Debian 13's
               # libvirt (11.3), in libvirt-daemon before; the package Depends on it
               "libvirt-daemon-driver-storage-logical"],
}

# What the package's maintainer scripts enable (dh_installsystemd).  The lab image
# disables them again: the scenarios start from a host whose units are off, as with
# the payload tree, and enable what they test (host-setup, mirror, agent, host-failure).
# On a real host they would not run before the next boot either.
PACKAGE_UNITS = ["iscsi-lvm.service", "iscsi-lvm-mirror.service",
                 "iscsi-lvm-reconcile.timer", "ilvmd.service"]

# Kernel module subtrees not needed by a headless virtio guest; pruned to keep
# the image (and mkfs time) small.
PRUNE_MODULE_DIRS = [
    "kernel/sound", "kernel/drivers/gpu", "kernel/drivers/media",
    "kernel/drivers/net/wireless", "kernel/drivers/staging",
    "kernel/drivers/infiniband", "kernel/drivers/bluetooth",
    "kernel/net/bluetooth", "kernel/drivers/iio", "kernel/drivers/hid",
    "kernel/drivers/input/touchscreen", "kernel/drivers/isdn",
    "kernel/drivers/net/ethernet", "kernel/drivers/usb",
    "kernel/net/mac80211", "kernel/net/wireless",
]

# Modules the initramfs loads to reach the root disk; deps resolved from
# modules.dep.  crc32c_generic is a crypto *soft* dependency of ext4/jbd2 that
# modules.dep does not list.
INITRD_MODULES = ["virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic",
                  "ext4"]

ROOTFS_SIZE = 6 * 1024 ** 3  # sparse; ~0.7 GiB actually used

# MAC of the slirp NIC in every guest; the harness uses the same constant.
SLIRP_MAC = "52:54:00:0a:00:0f"

# Files written into the guest rootfs in stage 2.  Per-guest values (hostname,
# sanlock host_id, initiator IQN, link IP) are NOT here: the initramfs writes
# them from the kernel command line so one base image serves every guest.
ROOTFS_FILES = {
    "/etc/fstab": "/dev/vda / ext4 rw,relatime 0 1\n",
    # Static slirp address and *no default route*: the guest can reach only
    # 10.0.2.0/24, i.e. the outer machine's loopback via 10.0.2.2 — never the
    # internet.
    "/etc/systemd/network/10-slirp.network": (
        "[Match]\nMACAddress=%s\n\n[Network]\nAddress=10.0.2.15/24\n"
        "LinkLocalAddressing=no\nIPv6AcceptRA=no\n" % SLIRP_MAC),
    # softdog: wdmd (and so sanlock) needs a /dev/watchdog.
    "/etc/modules-load.d/ilvm-lab.conf": "softdog\niscsi_tcp\ndm_mod\n",
    "/etc/ssh/sshd_config.d/ilvm-lab.conf": (
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "UseDNS no\n"),
    # Journal in RAM is enough; tests read it with journalctl over ssh.
    "/etc/systemd/journald.conf.d/ilvm-lab.conf": (
        "[Journal]\nStorage=volatile\nRuntimeMaxUse=64M\n"),
    # Login prompt on the serial console, for humans debugging a console log.
    "/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf": (
        "[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root "
        "--keep-baud 115200,57600,38400,9600 %I $TERM\n"),
    # One line of vitals on the serial console every 30 s. CI once lost a guest mid-run
    # (ssh "timed out during banner exchange", then iSCSI ping timeouts and virtio-net TX
    # timeouts) with nothing to tell memory exhaustion from a stall of its qemu: the
    # console log is read from outside, so it still speaks when ssh no longer does, and
    # gaps between the lines are themselves evidence of a stalled guest.
    "/usr/local/lib/ilvm-lab/vitals.sh": (
        "#!/bin/sh\n"
        "while :; do\n"
        "  mem=$(awk '/^(MemAvailable|Shmem|Dirty):/ {printf \"%s%dM \", $1, $2 / 1024}' /proc/meminfo)\n"
        "  psi=$(awk 'NR == 1 {print $2}' /proc/pressure/memory 2>/dev/null)\n"
        "  top=$(ps -eo rss=,comm= --sort=-rss | head -n 4 | awk '{printf \"%s:%dM \", $2, $1 / 1024}')\n"
        "  echo \"[vitals $(cut -d' ' -f1 /proc/uptime)] load $(cut -d' ' -f1-3 /proc/loadavg)"
        " mem ${mem}memory-pressure ${psi:-n/a} top ${top}\" > /dev/ttyS0\n"
        "  sleep 30\n"
        "done\n"),
    "/etc/systemd/system/ilvm-lab-vitals.service": (
        "[Unit]\nDescription=iscsi-lvm lab: memory and load on the serial console every 30 s\n\n"
        "[Service]\nExecStart=/bin/sh /usr/local/lib/ilvm-lab/vitals.sh\n"
        "OOMScoreAdjust=-900\n\n[Install]\nWantedBy=multi-user.target\n"),
    "/etc/ilvm-lab/README": (
        "This guest was built by tests/e2e/lab/image.py of iscsi-lvm.\n"
        "Per-guest settings come from the kernel command line (ilvm.*),\n"
        "applied by the initramfs; /var/lib/ilvm-lab/payload.list lists the\n"
        "files overlaid from the payload disk.\n"),
}

ENABLE_UNITS = ["systemd-networkd.service", "ssh.service", "wdmd.service", "ilvm-lab-vitals.service",
                "sanlock.service", "lvmlockd.service", "iscsid.socket"]

# Units that only cost boot time or act on their own in a test guest.
MASK_UNITS = [
    "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer",
    "e2scrub_reap.service", "fstrim.timer", "man-db.timer",
    "logrotate.timer", "dpkg-db-backup.timer",
    "systemd-networkd-wait-online.service", "libvirt-guests.service",
    "systemd-timesyncd.service", "open-iscsi.service",
]

INIT_SCRIPT = r"""#!/bin/busybox sh
# PID 1 of the iscsi-lvm lab initramfs.  Loads the few modules needed to see
# the virtio root disk, mounts it, writes the per-guest settings passed on the
# kernel command line (ilvm.*), overlays the optional payload disk (/dev/vdb,
# our own `meson install --destdir` tree) and switches to systemd.
/bin/busybox mkdir -p /proc /sys /dev /newroot /payload /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "ilvm-initramfs: loading modules"
while read m; do insmod "/mods/$m" || echo "ilvm-initramfs: insmod $m failed"; done < /mods/order

i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done

HN=""; HOSTID=""; IQN=""; LINKIP=""; LINKMAC=""; MID=""; PEERS=""; SANLOCKWD=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ilvm.hostname=*) HN="${arg#ilvm.hostname=}" ;;
    ilvm.hostid=*) HOSTID="${arg#ilvm.hostid=}" ;;
    ilvm.iqn=*) IQN="${arg#ilvm.iqn=}" ;;
    ilvm.linkip=*) LINKIP="${arg#ilvm.linkip=}" ;;
    ilvm.linkmac=*) LINKMAC="${arg#ilvm.linkmac=}" ;;
    ilvm.machineid=*) MID="${arg#ilvm.machineid=}" ;;
    ilvm.peers=*) PEERS="${arg#ilvm.peers=}" ;;
    ilvm.sanlockwd=*) SANLOCKWD="${arg#ilvm.sanlockwd=}" ;;
  esac
done

if ! mount -t ext4 -o rw /dev/vda /newroot; then
  echo "ilvm-initramfs: cannot mount /dev/vda, dropping to shell"
  exec sh
fi
R=/newroot
if [ -n "$HN" ]; then
  echo "$HN" > $R/etc/hostname
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$HN" > $R/etc/hosts
fi
if [ -n "$PEERS" ]; then
  echo "$PEERS" | tr ',' '\n' | while IFS== read n ip; do
    printf '%s\t%s\n' "$ip" "$n" >> $R/etc/hosts
  done
fi
if [ -n "$HOSTID" ]; then
  printf 'local {\n\thost_id = %s\n}\n' "$HOSTID" > $R/etc/lvm/lvmlocal.conf
fi
if [ -n "$IQN" ]; then
  printf 'InitiatorName=%s\n' "$IQN" > $R/etc/iscsi/initiatorname.iscsi
fi
if [ -n "$SANLOCKWD" ]; then
  # Debian ships sanlock_opts="-w 0" (no watchdog); -w 1 makes sanlock use
  # wdmd + softdog like a production host would.
  printf 'sanlock_opts="-w %s"\n' "$SANLOCKWD" > $R/etc/default/sanlock
fi
if [ -n "$MID" ]; then
  echo "$MID" > $R/etc/machine-id
fi
if [ -n "$LINKIP" ] && [ -n "$LINKMAC" ]; then
  printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    "$LINKMAC" "$LINKIP" > $R/etc/systemd/network/20-lablink.network
fi

mkdir -p $R/var/lib/ilvm-lab
if [ -b /dev/vdb ] && mount -t ext4 -o ro /dev/vdb /payload; then
  echo "ilvm-initramfs: overlaying payload disk"
  # Merge file by file instead of `cp -a dir`: the payload may contain lib/
  # or bin/ while the merged-/usr root has symlinks there, and copying a
  # directory over such a symlink would fail or replace it.
  cd /payload
  find . -path ./lost+found -prune -o -type d -print | while read d; do
    mkdir -p "$R/$d"
  done
  find . -path ./lost+found -prune -o ! -type d -print > $R/var/lib/ilvm-lab/payload.list
  while read f; do
    rm -f "$R/$f"
    cp -a "$f" "$R/$f" || echo "ilvm-initramfs: copy $f failed"
  done < $R/var/lib/ilvm-lab/payload.list
  cd /
  umount /payload
  chroot $R /sbin/ldconfig
  echo "ilvm-initramfs: payload applied ($(wc -l < $R/var/lib/ilvm-lab/payload.list) files)"
fi

umount /proc /sys
mount --move /dev $R/dev || umount -l /dev
exec switch_root $R /sbin/init
"""


# --------------------------------------------------------------------------
# cache layout helpers

def cache_root():
    root = os.environ.get("ILVM_LAB_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "iscsi-lvm-lab")
    os.makedirs(root, exist_ok=True)
    return root


def _hash(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


class CacheLock:
    """flock on the cache dir so two labs never build the same thing at once.

    Bounded: a build takes < 30 min, so waiting longer means something is
    stuck and we fail instead of hanging CI.
    """

    def __init__(self, root, timeout=3600):
        self.path = os.path.join(root, "lock")
        self.timeout = timeout

    def __enter__(self):
        self.f = open(self.path, "w")
        deadline = time.monotonic() + self.timeout
        announced = False
        while True:
            try:
                fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if not announced:
                    log("waiting for another image build holding %s" % self.path)
                    announced = True
                if time.monotonic() > deadline:
                    raise LabError("cache lock %s held too long" % self.path)
                time.sleep(2)

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()
        return False


# --------------------------------------------------------------------------
# the guests' release and its apt sources (derived from the outer machine's, never
# hard-coded)

def lab_suite(suite=None):
    """The guests' Debian release: `suite`, else ILVM_LAB_SUITE, else DEFAULT_SUITE."""
    suite = suite or os.environ.get("ILVM_LAB_SUITE") or DEFAULT_SUITE
    if suite not in RUNTIME_LIBS:
        raise LabError("ILVM_LAB_SUITE=%s: the lab knows %s" % (suite, " and ".join(sorted(RUNTIME_LIBS))))
    return suite


def outer_codename():
    """The outer machine's release (VERSION_CODENAME of /etc/os-release), or None."""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"') or None
    except OSError:
        pass
    return None


def parse_apt_sources():
    """Return [(uri, suite, components, signed_by)] of the enabled Debian sources
    of the outer machine (sources.list and sources.list.d, both formats)."""
    entries = []
    files = []
    if os.path.exists("/etc/apt/sources.list"):
        files.append("/etc/apt/sources.list")
    d = "/etc/apt/sources.list.d"
    if os.path.isdir(d):
        files += [os.path.join(d, f) for f in sorted(os.listdir(d))
                  if f.endswith(".list") or f.endswith(".sources")]
    for path in files:
        with open(path) as f:
            text = f.read()
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line or line[0].isspace():
                        continue
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.strip()
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in fields.get("types", "").split():
                    continue
                for uri in fields.get("uris", "").split():
                    for suite in fields.get("suites", "").split():
                        entries.append((uri, suite, fields.get("components", "main"),
                                        fields.get("signed-by", "")))
        else:
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line.startswith("deb "):
                    continue
                m = re.match(r"deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
                if m:
                    opts = m.group(1) or ""
                    sb = re.search(r"signed-by=(\S+?)\]?(\s|$)", opts)
                    entries.append((m.group(2), m.group(3), m.group(4),
                                    sb.group(1) if sb else ""))
    return entries


def of_release(entries, release):
    """The entries of `release` itself and its -updates, -security, -backports."""
    return [e for e in entries if e[1] == release or e[1].startswith(release + "-")]


def read_apt_sources(suite):
    """Return [(uri, suite, components, signed_by)] for the guests' release `suite`.

    We read the machine's own configuration so the guest gets the archive (mirror,
    snapshot, proxy-reachable host) this machine is known to reach.  When the machine
    has no source of `suite` itself (a bookworm machine building trixie guests), the
    sources of its own release are used with the release renamed: same mirrors, same
    components, `bookworm-security` becoming `trixie-security`.
    """
    entries = parse_apt_sources()
    mine = of_release(entries, suite)
    if not any(e[1] == suite for e in mine):
        outer = outer_codename()
        base = of_release(entries, outer) if outer else []
        if not any(e[1] == outer for e in base):
            raise LabError("no enabled apt source for suite %s (nor for this machine's "
                           "release %s) in /etc/apt" % (suite, outer))
        mine = [(uri, suite + s[len(outer):], comps, sb) for uri, s, comps, sb in base]
        log("apt sources for %s: derived from this machine's %s sources" % (suite, outer))
    return mine


def debootstrap_mirror(entries, suite):
    return next(e[0] for e in entries if e[1] == suite)


# --------------------------------------------------------------------------
# chroot mount handling: always unmounted, also on failure / Ctrl-C

def mounts_below(path):
    path = os.path.realpath(path)
    res = []
    with open("/proc/self/mounts") as f:
        for line in f:
            mp = line.split()[1].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                res.append(mp)
    return res


def kill_chroot_procs(root):
    """Kill processes (started by our apt/dpkg runs) whose root is the chroot,
    so nothing keeps its mounts busy.  Only processes rooted there are touched."""
    root = os.path.realpath(root)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.path.realpath("/proc/%s/root" % pid) == root:
                log("killing leftover chroot process %s" % pid)
                os.kill(int(pid), 9)
        except OSError:
            pass


def unmount_below(path):
    kill_chroot_procs(path)
    for mp in sorted(mounts_below(path), key=len, reverse=True):
        rc, _, err = run(["umount", mp], timeout=60, check=False)
        if rc != 0:
            run(["umount", "-l", mp], timeout=60, check=False)
    left = mounts_below(path)
    if left:
        raise LabError("could not unmount %s" % left)


def safe_rmtree(path):
    """rm -rf, but never through a live bind mount of /dev or /proc."""
    if not os.path.exists(path):
        return
    unmount_below(path)
    shutil.rmtree(path)


class ChrootMounts:
    def __init__(self, root):
        self.root = root

    def __enter__(self):
        r = self.root
        try:
            run(["mount", "-t", "proc", "proc", r + "/proc"], timeout=30)
            run(["mount", "-t", "sysfs", "sysfs", r + "/sys"], timeout=30)
            run(["mount", "--bind", "/dev", r + "/dev"], timeout=30)
            run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666",
                 "devpts", r + "/dev/pts"], timeout=30)
        except BaseException:
            unmount_below(r)
            raise
        return self

    def __exit__(self, *exc):
        unmount_below(self.root)
        return False


def chroot_env():
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
           "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


# --------------------------------------------------------------------------
# stage 1: debootstrap + apt-get install

def stage1(cache, suite, entries, with_runtime_libs):
    pkgs = APT_PACKAGES + (RUNTIME_LIBS[suite] if with_runtime_libs else [])
    key = _hash({"v": STAGE1_VERSION, "suite": suite, "inc": DEBOOTSTRAP_INCLUDE,
                 "pkgs": pkgs, "sources": entries})
    final = os.path.join(cache, "stage1-" + key)
    if os.path.exists(os.path.join(final, "done")):
        log("stage1 cached: %s" % final)
        return final, key
    tmp = final + ".tmp"
    safe_rmtree(tmp)
    os.makedirs(tmp)
    tree = os.path.join(tmp, "tree")
    t0 = time.monotonic()
    mirror = debootstrap_mirror(entries, suite)
    log("stage1: debootstrap %s (minbase) ..." % suite)
    try:
        run(["debootstrap", "--variant=minbase", "--components=main",
             "--include=" + ",".join(DEBOOTSTRAP_INCLUDE), suite, tree, mirror],
            timeout=1800, env=dict(chroot_env(), PATH=os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")))
        log("stage1: debootstrap done in %.0fs" % (time.monotonic() - t0))
    finally:
        # debootstrap mounts proc/sys itself and can leave them on failure.
        unmount_below(tree)

    # apt sources: the same archives as the outer machine (one-line format).
    lines = []
    for uri, s, comps, signed_by in entries:
        opt = ""
        if signed_by and os.path.exists(tree + signed_by):
            opt = "[signed-by=%s] " % signed_by
        lines.append("deb %s%s %s %s" % (opt, uri, s, comps))
    with open(tree + "/etc/apt/sources.list", "w") as f:
        f.write("\n".join(lines) + "\n")

    t1 = time.monotonic()
    log("stage1: apt-get install %d packages in chroot ..." % len(pkgs))
    with ChrootNetwork(tree), ChrootMounts(tree):
        run(["chroot", tree, "apt-get", "update"], timeout=600, env=chroot_env())
        run(["chroot", tree, "apt-get", "install", "-y", "--no-install-recommends",
             "-o", "Dpkg::Options::=--force-confold"] + pkgs,
            timeout=2400, env=chroot_env())
        log("stage1: apt done in %.0fs" % (time.monotonic() - t1))
        download_kernel(tree, os.path.join(tmp, "kernel"))
        run(["chroot", tree, "apt-get", "clean"], timeout=120, env=chroot_env())
    with open(os.path.join(tmp, "done"), "w") as f:
        f.write("%.0f\n" % (time.monotonic() - t0))
    os.rename(tmp, final)
    log("stage1: built in %.0fs" % (time.monotonic() - t0))
    return final, key


class ChrootNetwork:
    """What apt in the chroot needs while it runs: the outer machine's resolv.conf, and a
    policy-rc.d that keeps maintainer scripts from starting daemons.  Afterwards both go:
    guests have no DNS at all (no route out), and an empty resolv.conf avoids slow
    lookups."""

    def __init__(self, tree):
        self.tree = tree

    def __enter__(self):
        resolv = self.tree + "/etc/resolv.conf"
        if os.path.lexists(resolv):
            os.unlink(resolv)
        shutil.copyfile("/etc/resolv.conf", resolv)
        with open(self.tree + "/usr/sbin/policy-rc.d", "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(self.tree + "/usr/sbin/policy-rc.d", 0o755)
        return self

    def __exit__(self, *exc):
        for p in ("/usr/sbin/policy-rc.d", "/etc/resolv.conf"):
            if os.path.lexists(self.tree + p):
                os.unlink(self.tree + p)
        open(self.tree + "/etc/resolv.conf", "w").close()
        return False


# --------------------------------------------------------------------------
# kernel: the suite's linux-image-amd64, fetched in the stage-1 chroot (whose apt
# knows the suite; the outer machine's apt knows only its own release)

def download_kernel(tree, dest):
    """Resolve linux-image-amd64 in the chroot, download that .deb into dest and
    record {package, version, deb} in dest/kernel.json."""
    _, out, _ = run(["chroot", tree, "apt-cache", "depends", "linux-image-amd64"],
                    timeout=60, env=chroot_env())
    m = re.search(r"Depends:\s*(linux-image-\S+-amd64)", out)
    if not m:
        raise LabError("cannot resolve linux-image-amd64 in the %s chroot:\n%s" % (tree, out))
    pkg = m.group(1)
    _, out, _ = run(["chroot", tree, "apt-cache", "policy", pkg], timeout=60, env=chroot_env())
    m = re.search(r"Candidate:\s*(\S+)", out)
    if not m or m.group(1) == "(none)":
        raise LabError("no candidate for %s in the %s chroot:\n%s" % (pkg, tree, out))
    ver = m.group(1)
    inside = "/var/tmp/ilvm-kernel"
    shutil.rmtree(tree + inside, ignore_errors=True)
    os.makedirs(tree + inside)
    # apt warns that the download runs unsandboxed as root (_apt cannot write there);
    # harmless.  `env -C`: apt-get download writes into its working directory.
    log("stage1: kernel: apt-get download %s=%s" % (pkg, ver))
    run(["chroot", tree, "env", "-C", inside, "apt-get", "download", "%s=%s" % (pkg, ver)],
        timeout=900, env=chroot_env())
    debs = [f for f in os.listdir(tree + inside) if f.endswith(".deb")]
    if len(debs) != 1:
        raise LabError("expected one kernel .deb, got %r" % debs)
    os.makedirs(dest)
    shutil.move(os.path.join(tree + inside, debs[0]), os.path.join(dest, debs[0]))
    shutil.rmtree(tree + inside)
    with open(os.path.join(dest, "kernel.json"), "w") as f:
        json.dump({"package": pkg, "version": ver, "deb": debs[0]}, f, indent=2)


def stage1_kernel(s1dir):
    """(package, version, .deb path) of the kernel stage 1 downloaded."""
    with open(os.path.join(s1dir, "kernel", "kernel.json")) as f:
        k = json.load(f)
    return k["package"], k["version"], os.path.join(s1dir, "kernel", k["deb"])


def kernel_cache_dir(cache, pkg, ver):
    """Where fetch_kernel() unpacks pkg=ver (also used by workload.py to
    find the module tree of the kernel a base image boots)."""
    return os.path.join(cache, "kernel-%s-%s" % (pkg, ver.replace(":", "_")))


def fetch_kernel(cache, pkg, ver, deb):
    """Unpack the kernel .deb (never installed anywhere) into the cache, once."""
    d = kernel_cache_dir(cache, pkg, ver)
    if os.path.exists(os.path.join(d, "done")):
        return d
    tmp = d + ".tmp"
    safe_rmtree(tmp)
    os.makedirs(tmp)
    run(["dpkg-deb", "-x", deb, os.path.join(tmp, "x")], timeout=600)
    open(os.path.join(tmp, "done"), "w").close()
    os.rename(tmp, d)
    return d


def kernel_version(kdir):
    mods = os.path.join(kdir, "x", "lib", "modules")
    if not os.path.isdir(mods):  # a merged-/usr kernel package (trixie and later)
        mods = os.path.join(kdir, "x", "usr", "lib", "modules")
    vers = os.listdir(mods)
    if len(vers) != 1:
        raise LabError("expected one kernel in %s: %r" % (mods, vers))
    return vers[0]


def kernel_modules_dir(kdir, kver):
    for sub in ("lib", "usr/lib"):
        p = os.path.join(kdir, "x", sub, "modules", kver)
        if os.path.isdir(p):
            return p
    raise LabError("no modules of %s in %s" % (kver, kdir))


# --------------------------------------------------------------------------
# initramfs (newc cpio written by hand: stdlib only, deterministic)

class Cpio:
    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        nameb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(nameb), 0))
        self.ino += 1
        self.buf.write(hdr.encode() + nameb)
        self.buf.write(b"\0" * (-(110 + len(nameb)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name, perm=0o755):
        self._entry(name, stat.S_IFDIR | perm, nlink=2)

    def file(self, name, data, perm=0o644):
        self._entry(name, stat.S_IFREG | perm, data)

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def module_load_order(moddir, wanted):
    """Resolve `wanted` module names to .ko paths in dependency order."""
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
    byname = {}
    for path in deps:
        base = os.path.basename(path)
        base = re.sub(r"\.ko(\.\w+)?$", "", base).replace("-", "_")
        byname[base] = path
    builtin = set()
    bpath = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bpath):
        with open(bpath) as f:
            for line in f:
                builtin.add(re.sub(r"\.ko$", "", os.path.basename(line.strip())).replace("-", "_"))
    order = []

    def visit(path):
        if path in order:
            return
        for dep in deps[path]:
            visit(dep)
        order.append(path)

    for name in wanted:
        n = name.replace("-", "_")
        if n in byname:
            visit(byname[n])
        elif n in builtin:
            continue
        else:
            raise LabError("module %s neither in modules.dep nor builtin" % name)
    return order


def busybox_initramfs(dirs, init_text, moddir, order):
    """A newc cpio (gzip'ed bytes) holding busybox, /init, /dev/console and the modules
    `order` (paths below moddir) under /mods with their load order in /mods/order.
    Returns (gzip bytes, module names)."""
    c = Cpio()
    for d in dirs:
        c.dir(d)
    # The kernel opens /dev/console before /init runs; without this node
    # init would have no stdout and the console log would stay silent.
    c.chardev("dev/console", 5, 1)
    with open("/bin/busybox", "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.file("init", init_text.encode(), 0o755)
    names = []
    for p in order:
        name = re.sub(r"\.ko\.\w+$", ".ko", os.path.basename(p))
        c.file("mods/" + name, read_module(os.path.join(moddir, p)))
        names.append(name)
    c.file("mods/order", ("\n".join(names) + "\n").encode())
    return gzip.compress(c.finish(), compresslevel=6), names


def read_module(path):
    """The bytes of a kernel module, uncompressed: busybox's insmod hands the file to
    init_module() as it is, and a kernel takes compressed modules only through
    finit_module().  bookworm's kernel ships plain .ko files, trixie's .ko.xz."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".ko"):
        return data
    if path.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.endswith(".ko.gz"):
        return gzip.decompress(data)
    # (.ko.zst would need a program: Python 3.11's stdlib has no zstd.)
    raise LabError("module compression not supported: %s" % path)


def build_initrd(moddir, out_path):
    order = module_load_order(moddir, INITRD_MODULES)
    data, names = busybox_initramfs(("bin", "dev", "proc", "sys", "newroot", "payload", "tmp", "mods"),
                                    INIT_SCRIPT, moddir, order)
    with open(out_path, "wb") as f:
        f.write(data)
    return names


# --------------------------------------------------------------------------
# ssh key

def ssh_key(cache):
    d = os.path.join(cache, "ssh")
    key = os.path.join(d, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(d, mode=0o700, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iscsi-lvm-lab",
             "-f", key], timeout=60)
    with open(key + ".pub") as f:
        return key, f.read().strip()


# --------------------------------------------------------------------------
# stage 2: kernel modules + config -> ext4 image, vmlinuz, initrd

def edit_lvm_conf(path):
    """Set use_lvmlockd = 1 in the global section of lvm.conf."""
    with open(path) as f:
        text = f.read()
    new, n = re.subn(r"(?m)^(\s*)#?\s*use_lvmlockd\s*=\s*\d+\s*$",
                     r"\1use_lvmlockd = 1", text)
    if n != 1:
        raise LabError("expected one use_lvmlockd line in lvm.conf, found %d" % n)
    with open(path, "w") as f:
        f.write(new)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def installed_packages(tree):
    _, out, _ = run(["chroot", tree, "dpkg-query", "-W", "-f", "${Package}\\n"],
                    timeout=60, env=chroot_env())
    return set(out.split())


def install_package(tree, deb):
    """`apt-get install ./iscsi-lvm_*.deb` in the image, as an administrator installs it
    on a host: its Depends come from the suite's archive.  Then the units its maintainer
    scripts enabled are disabled again (PACKAGE_UNITS says why)."""
    inside = "/var/tmp/" + os.path.basename(deb)
    shutil.copyfile(deb, tree + inside)
    t0 = time.monotonic()
    log("stage2: apt-get install %s" % inside)
    before = installed_packages(tree)
    with ChrootNetwork(tree), ChrootMounts(tree):
        # The stage-1 lists may be older than the archive: refresh them first.
        run(["chroot", tree, "apt-get", "update"], timeout=600, env=chroot_env())
        run(["chroot", tree, "apt-get", "install", "-y", "--no-install-recommends",
             "-o", "Dpkg::Options::=--force-confold", inside],
            timeout=1800, env=chroot_env())
        run(["chroot", tree, "apt-get", "clean"], timeout=120, env=chroot_env())
    os.unlink(tree + inside)
    # What the Depends brought (the runtime libraries): worth a line in the log.
    log("stage2: package installed in %.0fs; new packages: %s" % (
        time.monotonic() - t0, " ".join(sorted(installed_packages(tree) - before))))
    run(["chroot", tree, "systemctl", "disable"] + PACKAGE_UNITS, timeout=120, env=chroot_env())
    # A library the Depends forgot fails the image build here, not a scenario later.
    for prog in ("ilvm", "ilvmd"):
        run(["chroot", tree, prog, "--version"], timeout=60, env=chroot_env())
    _, out, _ = run(["chroot", tree, "dpkg-query", "-W", "-f", "${Version}", "iscsi-lvm"],
                    timeout=60, env=chroot_env())
    return out.strip()


def stage2(cache, suite, s1dir, s1key, deb=None):
    pkg, ver, kdeb = stage1_kernel(s1dir)
    key_path, pubkey = ssh_key(cache)
    deb_sha = file_sha256(deb) if deb else None
    key = _hash({"v": STAGE2_VERSION, "s1": s1key, "kernel": [pkg, ver],
                 "files": ROOTFS_FILES, "enable": ENABLE_UNITS, "mask": MASK_UNITS,
                 "prune": PRUNE_MODULE_DIRS, "initrd": INITRD_MODULES,
                 "init": INIT_SCRIPT, "pub": pubkey, "size": ROOTFS_SIZE,
                 "deb": deb_sha, "package_units": PACKAGE_UNITS if deb else None})
    final = os.path.join(cache, "base-" + key)
    if os.path.exists(os.path.join(final, "manifest.json")):
        log("base image cached: %s" % final)
        return final
    t0 = time.monotonic()
    kdir = fetch_kernel(cache, pkg, ver, kdeb)
    kver = kernel_version(kdir)
    package_version = None
    tmp = final + ".tmp"
    safe_rmtree(tmp)
    os.makedirs(tmp)
    tree = os.path.join(tmp, "tree")
    try:
        log("stage2: copying stage1 tree")
        run(["cp", "-a", os.path.join(s1dir, "tree"), tree], timeout=900)
        if deb:
            package_version = install_package(tree, deb)
        moddir = os.path.join(tree, "usr", "lib", "modules", kver)
        os.makedirs(os.path.dirname(moddir), exist_ok=True)
        run(["cp", "-a", kernel_modules_dir(kdir, kver), moddir], timeout=600)
        for sub in PRUNE_MODULE_DIRS:
            shutil.rmtree(os.path.join(moddir, sub), ignore_errors=True)
        # depmod runs inside the chroot so the outer machine needs no kmod.
        run(["chroot", tree, "depmod", "-a", kver], timeout=600, env=chroot_env())

        for path, content in ROOTFS_FILES.items():
            dst = tree + path
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w") as f:
                f.write(content)
        os.makedirs(tree + "/root/.ssh", mode=0o700, exist_ok=True)
        with open(tree + "/root/.ssh/authorized_keys", "w") as f:
            f.write(pubkey + "\n")
        os.chmod(tree + "/root/.ssh/authorized_keys", 0o600)
        edit_lvm_conf(tree + "/etc/lvm/lvm.conf")
        # libvirt's default NAT network needs dnsmasq/iptables we don't ship.
        for p in ("/etc/libvirt/qemu/networks/autostart/default.xml",):
            if os.path.lexists(tree + p):
                os.unlink(tree + p)
        # Empty machine-id: the initramfs writes a per-guest one.
        open(tree + "/etc/machine-id", "w").close()
        run(["chroot", tree, "systemctl", "enable"] + ENABLE_UNITS, timeout=120,
            env=chroot_env())
        run(["chroot", tree, "systemctl", "mask"] + MASK_UNITS, timeout=120,
            env=chroot_env())
        run(["chroot", tree, "systemctl", "set-default", "multi-user.target"],
            timeout=60, env=chroot_env())
        # Root password "root" only matters on the serial console (sshd
        # refuses passwords); handy when a boot hangs before sshd.
        run(["chroot", tree, "chpasswd"], timeout=60, env=chroot_env(),
            input_text="root:root\n")

        log("stage2: initramfs")
        names = build_initrd(moddir, os.path.join(tmp, "initrd.img"))
        shutil.copyfile(os.path.join(kdir, "x", "boot", "vmlinuz-" + kver),
                        os.path.join(tmp, "vmlinuz"))

        log("stage2: mkfs.ext4 -d (rootfs.img, %d GiB sparse)" % (ROOTFS_SIZE >> 30))
        img = os.path.join(tmp, "rootfs.img")
        with open(img, "wb") as f:
            f.truncate(ROOTFS_SIZE)
        run(["mkfs.ext4", "-q", "-F", "-L", "ilvmroot", "-d", tree, img], timeout=1200)
    finally:
        unmount_below(tmp)
    shutil.rmtree(tree)
    manifest = {"kernel_package": pkg, "kernel_deb_version": ver,
                "kernel_version": kver, "initrd_modules": names,
                "stage1": s1key, "key": key, "ssh_key": key_path,
                "suite": suite,
                "package": ({"deb": os.path.abspath(deb), "sha256": deb_sha,
                             "version": package_version} if deb else None),
                "built_seconds": round(time.monotonic() - t0)}
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    os.rename(tmp, final)
    log("stage2: built %s in %.0fs" % (final, time.monotonic() - t0))
    return final


class BaseImage:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.kernel = os.path.join(d, "vmlinuz")
        self.initrd = os.path.join(d, "initrd.img")
        self.rootfs = os.path.join(d, "rootfs.img")
        self.ssh_key = self.manifest["ssh_key"]


def ensure_base(force=False, suite=None, deb=None):
    """Return a BaseImage of `suite` (default: lab_suite()), building whatever is missing
    from the cache; with `deb` (a path), the image has that package installed instead of
    the runtime libraries the payload tree needs."""
    suite = lab_suite(suite)
    for tool in ("debootstrap", "mkfs.ext4", "qemu-img", "ssh-keygen", "apt-get",
                 "dpkg-deb"):
        if not shutil.which(tool):
            raise LabError("missing tool %s (see docs/testing.md for packages)" % tool)
    if not os.path.exists("/bin/busybox"):
        raise LabError("missing /bin/busybox (apt-get install busybox-static)")
    cache = cache_root()
    t0 = time.monotonic()
    with CacheLock(cache):
        entries = read_apt_sources(suite)
        if force:
            for name in os.listdir(cache):
                if name.startswith(("stage1-", "base-")):
                    safe_rmtree(os.path.join(cache, name))
        s1dir, s1key = stage1(cache, suite, entries, with_runtime_libs=deb is None)
        d = stage2(cache, suite, s1dir, s1key, deb=deb)
    dt = time.monotonic() - t0
    if dt > 30:
        log("image build took %.0fs (%.1f min)" % (dt, dt / 60))
    return BaseImage(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true",
                    help="delete cached stage1/base images and rebuild from nothing")
    ap.add_argument("--print", action="store_true", help="print the image paths")
    ap.add_argument("--suite", help="the guests' Debian release (default: ILVM_LAB_SUITE, else %s)"
                    % DEFAULT_SUITE)
    ap.add_argument("--deb", help="install this iscsi-lvm .deb into the image")
    args = ap.parse_args()
    install_signal_handlers()
    if os.geteuid() != 0:
        raise SystemExit("image.py needs root (debootstrap, chroot, mount)")
    base = ensure_base(force=args.force, suite=args.suite,
                       deb=os.path.abspath(args.deb) if args.deb else None)
    if args.print:
        print(json.dumps({"dir": base.dir, "kernel": base.kernel, "initrd": base.initrd,
                          "rootfs": base.rootfs, "ssh_key": base.ssh_key,
                          **base.manifest}, indent=2))


if __name__ == "__main__":
    main()
