# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real disk workload for the nested domains of the lab, and its verifier.

The live-migration scenario needs proof that a domain kept writing to its
LV-backed disk across the move and that nothing it wrote was lost, torn or
reordered.  This module provides:

  build_workload_initrd()  an initramfs whose /init (busybox sh) writes a
                           self-checking pattern to /dev/vda forever;
  verify_pattern()         checks an image of the disk head afterwards;
  workload_domain_xml()    a libvirt domain that boots it (migratable);
  install_workload()       copies kernel + initrd into a lab guest;
  read_disk_head()         reads the disk head on a lab guest (binary-safe);
  zero_disk_head()         clears it before the first boot;
  parse_console()          progress lines from the serial log.

On-disk format (N = blocks, all records 4096 bytes, all text):

  block k (0 <= k < N), generation g >= 1:
    header  (128 B)  "ILVMWL1 g=<g:010> k=<k:06> n=<N:06> sha256=<hex64>"
                     + 17 spaces + "\\n"
    payload (3968 B) 64 x ("ILVM-PAYLOAD g=<g:010> k=<k:06> " + a..z + "\\n")
    sha256 is that of the payload; the payload is a function of (g, k) only,
    so the verifier can recompute both.
  block N, the superblock, written after every block of generation g:
    header  "ILVMWL1 SUPER last=<g:010> n=<N:06> sha256=<hex64>" + 17 sp + "\\n"
    payload 64 x ("ILVM-SUPER gen=<g:010> n=<N:06> " + a..z + "\\n")

The writer writes blocks 0..N-1 in order, each with its own O_DIRECT
write that completes before the next starts, then the superblock (with a
flush).  So at any instant the disk shows blocks 0..j at generation g and
j+1..N-1 at g-1, superblock g-1 (or everything at g, superblock g or g-1);
that is what verify_pattern() demands.  On boot the writer resumes at
superblock + 1, so the invariant also holds across a domain restart on the
same disk (e.g. a cold move to the other host).

Python 3 stdlib only, like the rest of the lab.
"""

import gzip
import hashlib
import os
import re
import shlex
import struct
import subprocess
import tempfile
import time
from xml.sax.saxutils import escape, quoteattr

from . import image
from .util import LabError, child_setup, kill_group

BLOCK = 4096
HEADER_LEN = 128
PAYLOAD_LEN = BLOCK - HEADER_LEN          # 3968 = 64 lines of 62 bytes
DEFAULT_BLOCKS = 128
MAX_BLOCKS = 4096                         # k is a 6-digit field; 16 MiB is plenty
MAGIC = b"ILVMWL1"
FILL = b"abcdefghijklmnopqrstuvwxyz"      # pads every payload line to 62 bytes

# Modules the nested kernel needs for a virtio-blk disk on virtio-pci (deps
# are resolved from the modules themselves, see _module_order()).
WORKLOAD_MODULES = ["virtio_pci", "virtio_blk"]

CONSOLE_GEN_RE = re.compile(r"ILVM-WORKLOAD gen=(\d+) done(?: up=([0-9.]+))?")
CONSOLE_START = "ILVM-WORKLOAD start"
CONSOLE_ERROR = "ILVM-WORKLOAD error"


class WorkloadVerifyError(LabError):
    """The disk image contradicts what the sequential writer can produce.

    .block is the offending block index (N = the superblock, None = whole
    image), .reason a short human sentence."""

    def __init__(self, block, reason):
        self.block = block
        self.reason = reason
        where = "image" if block is None else "block %d" % block
        super().__init__("workload verify: %s: %s" % (where, reason))


# --------------------------------------------------------------------------
# the record format (the single source of truth the shell writer mirrors)

def _lines(prefix):
    line = prefix + b" " + FILL + b"\n"
    assert len(line) == 62, line
    return line * 64


def payload_bytes(g, k):
    return _lines(b"ILVM-PAYLOAD g=%010d k=%06d" % (g, k))


def super_payload_bytes(last, n):
    return _lines(b"ILVM-SUPER gen=%010d n=%06d" % (last, n))


def _header(fields, payload):
    h = b"ILVMWL1 " + fields + b" sha256=" + hashlib.sha256(payload).hexdigest().encode()
    h += b" " * 17 + b"\n"
    assert len(h) == HEADER_LEN, h
    return h


def record_bytes(g, k, n):
    """Block k of generation g exactly as the guest writes it."""
    p = payload_bytes(g, k)
    return _header(b"g=%010d k=%06d n=%06d" % (g, k, n), p) + p


def super_bytes(last, n):
    """The superblock saying generation `last` is complete."""
    p = super_payload_bytes(last, n)
    return _header(b"SUPER last=%010d n=%06d" % (last, n), p) + p


def _check_blocks(blocks):
    if not isinstance(blocks, int) or not 1 <= blocks <= MAX_BLOCKS:
        raise LabError("workload blocks must be an int in 1..%d, got %r" % (MAX_BLOCKS, blocks))


# --------------------------------------------------------------------------
# verifier

_REC_RE = re.compile(rb"ILVMWL1 g=(\d{10}) k=(\d{6}) n=(\d{6}) sha256=([0-9a-f]{64}) {17}\n")
_SUP_RE = re.compile(rb"ILVMWL1 SUPER last=(\d{10}) n=(\d{6}) sha256=([0-9a-f]{64}) {17}\n")


def _parse_block(k, blk, n, is_super):
    """Generation of one block (0 = never written); raise on any damage."""
    if blk == bytes(BLOCK):
        return 0
    hdr, payload = blk[:HEADER_LEN], blk[HEADER_LEN:]
    m = (_SUP_RE if is_super else _REC_RE).fullmatch(hdr)
    if not m:
        what = "superblock" if is_super else "record"
        if not blk.startswith(MAGIC):
            raise WorkloadVerifyError(k, "not a workload %s (no %s magic; starts %r)"
                                      % (what, MAGIC.decode(), blk[:24]))
        raise WorkloadVerifyError(k, "damaged %s header %r" % (what, hdr))
    if is_super:
        gen, rec_n, sha = int(m.group(1)), int(m.group(2)), m.group(3).decode()
    else:
        gen, rec_k, rec_n, sha = (int(m.group(1)), int(m.group(2)), int(m.group(3)),
                                  m.group(4).decode())
        if rec_k != k:
            raise WorkloadVerifyError(k, "holds the record of block %d (gen %d): misdirected "
                                      "or misplaced write" % (rec_k, gen))
    if rec_n != n:
        raise WorkloadVerifyError(k, "written by a workload with %d blocks, verifier expects %d "
                                  "(ilvm.wl_blocks mismatch?)" % (rec_n, n))
    if hashlib.sha256(payload).hexdigest() != sha:
        raise WorkloadVerifyError(k, "checksum mismatch (gen %d): payload corrupted" % gen)
    want = super_bytes(gen, n) if is_super else record_bytes(gen, k, n)
    if payload != want[HEADER_LEN:]:
        raise WorkloadVerifyError(k, "checksum ok but the payload is not the gen %d pattern: "
                                  "header's generation altered (or not our writer)" % gen)
    if blk != want:
        i = next(i for i in range(BLOCK) if blk[i] != want[i])
        raise WorkloadVerifyError(k, "header differs from the gen %d header at byte %d "
                                  "(%r != %r)" % (gen, i, blk[i:i + 1], want[i:i + 1]))
    if gen < 1:
        raise WorkloadVerifyError(k, "generation 0 in a written record")
    return gen


def verify_pattern(data, blocks, min_generation=None):
    """Check the first (blocks+1)*4096 bytes of a workload disk.

    Returns {"blocks", "generation" (highest seen), "superblock_gen",
    "at_generation" (how many leading blocks carry it), "complete" (all N
    blocks at the highest generation)}.  Raises WorkloadVerifyError naming
    the block on a bad checksum, a record of another block, a generation
    hole or reordering, a superblock that disagrees, or an empty disk.
    min_generation: also fail unless the highest generation reaches it
    (e.g. one more than the last gen seen before a migration).
    """
    _check_blocks(blocks)
    need = (blocks + 1) * BLOCK
    if len(data) < need:
        raise WorkloadVerifyError(None, "image is %d bytes, need %d ((blocks+1)*4096)"
                                  % (len(data), need))
    gens = [_parse_block(k, data[k * BLOCK:(k + 1) * BLOCK], blocks, False)
            for k in range(blocks)]
    sup = _parse_block(blocks, data[blocks * BLOCK:need], blocks, True)
    if not any(gens) and not sup:
        raise WorkloadVerifyError(None, "all %d blocks and the superblock are zero: "
                                  "the workload wrote nothing" % blocks)
    top = gens[0]
    if top == 0:
        raise WorkloadVerifyError(0, "never written although other blocks or the superblock "
                                  "are (block 0 is always written first)")
    # Sequential writer: a run of `top` from block 0, then only top-1.
    j = 0
    while j < blocks and gens[j] == top:
        j += 1
    for k in range(j, blocks):
        if gens[k] == top - 1:
            continue
        if gens[k] == top:
            raise WorkloadVerifyError(k, "gen %d after block %d at gen %d: writes landed out "
                                      "of order (a lost write at block %d?)"
                                      % (top, j, top - 1, j))
        if gens[k] > top:
            raise WorkloadVerifyError(k, "gen %d is newer than block 0 (gen %d): block 0's "
                                      "newer writes were lost" % (gens[k], top))
        raise WorkloadVerifyError(k, "gen %d, expected %d or %d: generation hole (%s)"
                                  % (gens[k], top, top - 1,
                                     "never written" if gens[k] == 0 else
                                     "a stale block: later writes were lost"))
    complete = j == blocks
    allowed = (top, top - 1) if complete else (top - 1,)
    if sup not in allowed:
        raise WorkloadVerifyError(blocks, "superblock says gen %d complete, blocks say %s"
                                  % (sup, "gen %d complete" % top if complete else
                                     "gen %d in progress at block %d" % (top, j)))
    if min_generation is not None and top < min_generation:
        raise WorkloadVerifyError(None, "highest generation is %d, expected at least %d "
                                  "(the workload did not keep running)" % (top, min_generation))
    return {"blocks": blocks, "generation": top, "superblock_gen": sup,
            "at_generation": j, "complete": complete}


def parse_console(text):
    """Progress of the latest boot in a serial log (the log is appended to
    across restarts and migrations, so only lines after the last start
    marker count): {"started", "last_gen" (0 if none), "gens" [(g, uptime
    or None)], "errors" [lines]}."""
    started = False
    gens, errors = [], []
    for line in text.splitlines():
        if CONSOLE_START in line:
            started, gens, errors = True, [], []
            continue
        m = CONSOLE_GEN_RE.search(line)
        if m:
            gens.append((int(m.group(1)), float(m.group(2)) if m.group(2) else None))
        elif CONSOLE_ERROR in line:
            errors.append(line.strip())
    return {"started": started, "last_gen": gens[-1][0] if gens else 0,
            "gens": gens, "errors": errors}


# --------------------------------------------------------------------------
# initramfs

# PID 1 of the nested domain.  Cheap per generation under (nested) TCG:
# every per-block step is a shell builtin (printf, string ops); the forks are
# one sha256sum over all payload files and two dd per generation.
WORKLOAD_INIT = r"""#!/bin/busybox sh
# PID 1 of the iscsi-lvm workload domain (tests/e2e/lab/workload.py): writes
# a self-checking pattern to /dev/vda forever.  Format: see workload.py.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
say() { echo "ILVM-WORKLOAD $*"; }
# PID 1 must never exit (kernel panic); park on fatal errors instead so the
# console keeps the reason.
die() { say "error: $*"; while :; do sleep 3600; done; }

while read m; do insmod "/mods/$m" || say "error: insmod $m failed"; done < /mods/order

N=@DEFAULT_BLOCKS@
for arg in $(cat /proc/cmdline); do
  case "$arg" in ilvm.wl_blocks=*) N="${arg#ilvm.wl_blocks=}" ;; esac
done
# Leading zeros would make $((N)) octal; accept plain decimals only.
case "$N" in
  [1-9]|[1-9][0-9]|[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9]) ;;
  *) say "error: bad ilvm.wl_blocks=$N, using @DEFAULT_BLOCKS@"; N=@DEFAULT_BLOCKS@ ;;
esac
if [ "$N" -gt @MAX_BLOCKS@ ]; then
  say "error: ilvm.wl_blocks=$N > @MAX_BLOCKS@, using @MAX_BLOCKS@"; N=@MAX_BLOCKS@
fi

i=0
while [ ! -b /dev/vda ]; do
  i=$((i+1))
  [ $i -le 600 ] || die "no /dev/vda after 120 s"
  sleep 0.2
done
SIZE=$(blockdev --getsize64 /dev/vda) || die "blockdev /dev/vda failed"
[ "$SIZE" -ge $(( (N+1)*4096 )) ] || die "/dev/vda is $SIZE bytes, need $(( (N+1)*4096 ))"

# Fill mode (ilvm.wl_fill_mib=F): F MiB at @FILL_OFFSET_MIB@ MiB, past the pattern, written
# once before the pattern loop and read back O_DIRECT into one sha256 (ilvm.wl_fill_check=1:
# only read back, on the other host). What a qcow2 volume's growth must carry without an I/O
# error reaching the guest. Each MiB is "ILVM-FILL mib=<i:06>\n" + `yes ILVM-FILL` to the
# MiB's end (fill_sha256()), so a MiB written at the wrong place does not read back the same;
# one dd per MiB from a tmpfs file (a `yes | head | dd` pipe ran at 3.4 MiB/s under TCG).
# ilvm.wl_fill_direct=1: each MiB written O_DIRECT, so the host sees the writes one MiB at a
# time as the guest makes them (no page-cache bursts) and a write held by the host's I/O
# throttle holds the writer (thin-migrate).
FILL_MIB=0; FILL_CHECK=0; FILL_OFLAG=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ilvm.wl_fill_mib=*) FILL_MIB="${arg#ilvm.wl_fill_mib=}" ;;
    ilvm.wl_fill_check=1) FILL_CHECK=1 ;;
    ilvm.wl_fill_direct=1) FILL_OFLAG="direct" ;;
  esac
done
case "$FILL_MIB" in
  0|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9]) ;;
  *) die "bad ilvm.wl_fill_mib=$FILL_MIB" ;;
esac
if [ "$FILL_MIB" -gt 0 ]; then
  [ "$SIZE" -ge $(( (@FILL_OFFSET_MIB@+FILL_MIB)*1048576 )) ] || die "/dev/vda is $SIZE bytes, too small to fill $FILL_MIB MiB"
  if [ $FILL_CHECK = 0 ]; then
    say "fill start mib=$FILL_MIB"
    yes ILVM-FILL | head -c $((1048576-21)) > /tmp/body
    i=0
    while [ $i -lt $FILL_MIB ]; do
      printf 'ILVM-FILL mib=%06d\n' $i > /tmp/m
      cat /tmp/body >> /tmp/m
      dd if=/tmp/m of=/dev/vda bs=1M seek=$((@FILL_OFFSET_MIB@+i)) count=1 conv=notrunc ${FILL_OFLAG:+oflag=$FILL_OFLAG} status=none \
        2>/tmp/dd.err || die "fill failed at MiB $i: $(cat /tmp/dd.err)"
      i=$((i+1))
    done
    sync
    rm -f /tmp/body /tmp/m
  fi
  set -- $(dd if=/dev/vda bs=1M skip=@FILL_OFFSET_MIB@ count=$FILL_MIB iflag=direct status=none | sha256sum)
  read -r up rest < /proc/uptime
  say "fill done mib=$FILL_MIB sha256=$1 up=$up"
fi

NL='
'
FILL=abcdefghijklmnopqrstuvwxyz
NP=00000$N; NP=${NP#"${NP%??????}"}
# 62-byte line doubled 6 times = the 3968-byte payload; builtins only.
mkpl() {
  PL="$1 $FILL$NL"
  PL=$PL$PL; PL=$PL$PL; PL=$PL$PL; PL=$PL$PL; PL=$PL$PL; PL=$PL$PL
}

# Resume after the last complete generation if the superblock is intact (a
# restarted domain keeps the on-disk invariant); otherwise start at 1.
g=1
if dd if=/dev/vda of=/tmp/sb.old bs=4096 skip=$N count=1 iflag=direct status=none; then
  read -r magic kind last n sum rest < /tmp/sb.old
  case "$magic $kind $last $n" in
    "ILVMWL1 SUPER last="[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]" n=$NP")
      set -- $(tail -c 3968 /tmp/sb.old | sha256sum)
      if [ "sha256=$1" = "$sum" ]; then
        last=${last#last=}
        while case "$last" in 0?*) true ;; *) false ;; esac; do last=${last#0}; done
        g=$((last+1))
        say "resume: superblock says gen=$last complete"
      fi ;;
  esac
fi

# Both payload kinds must be exactly 3968 bytes (verifier: PAYLOAD_LEN).
mkpl "ILVM-PAYLOAD g=0000000000 k=000000"
[ ${#PL} -eq 3968 ] || die "record payload is ${#PL} bytes"
mkpl "ILVM-SUPER gen=0000000000 n=$NP"
[ ${#PL} -eq 3968 ] || die "super payload is ${#PL} bytes"
say "start blocks=$N gen=$g"
rm -rf /tmp/p; mkdir -p /tmp/p
while :; do
  GP=000000000$g; GP=${GP#"${GP%??????????}"}
  k=0
  while [ $k -lt $N ]; do
    KP=00000$k; KP=${KP#"${KP%??????}"}
    mkpl "ILVM-PAYLOAD g=$GP k=$KP"
    printf '%s' "$PL" > /tmp/p/$KP
    k=$((k+1))
  done
  mkpl "ILVM-SUPER gen=$GP n=$NP"
  printf '%s' "$PL" > /tmp/p/super
  # One sha256sum for all N+1 payloads (one fork, not N).
  sha256sum /tmp/p/* > /tmp/sums || die "sha256sum failed"
  while read -r sum f; do eval "S_${f##*/}=\$sum"; done < /tmp/sums
  k=0
  while [ $k -lt $N ]; do
    KP=00000$k; KP=${KP#"${KP%??????}"}
    eval "sum=\$S_$KP"
    mkpl "ILVM-PAYLOAD g=$GP k=$KP"
    printf 'ILVMWL1 g=%s k=%s n=%s sha256=%s%17s\n%s' "$GP" "$KP" "$NP" "$sum" "" "$PL"
    k=$((k+1))
  done > /tmp/gen
  mkpl "ILVM-SUPER gen=$GP n=$NP"
  printf 'ILVMWL1 SUPER last=%s n=%s sha256=%s%17s\n%s' \
    "$GP" "$NP" "$S_super" "" "$PL" > /tmp/sb
  # bs=4096 + oflag=direct: one O_DIRECT write(2) per block, each finished on
  # the device before the next is issued, so the disk always shows a prefix
  # of this generation.  conv=notrunc: never ftruncate the device.
  if ! dd if=/tmp/gen of=/dev/vda bs=4096 count=$N oflag=direct conv=notrunc \
       status=none 2>/tmp/dd.err; then
    say "error: writing gen=$g failed: $(cat /tmp/dd.err); retrying"
    sleep 1; continue
  fi
  # The superblock commits the generation; conv=fsync adds a cache flush so
  # "superblock = g" also means "gen g is on stable storage".
  if ! dd if=/tmp/sb of=/dev/vda bs=4096 seek=$N count=1 oflag=direct \
       conv=notrunc,fsync status=none 2>/tmp/dd.err; then
    say "error: writing superblock gen=$g failed: $(cat /tmp/dd.err); retrying"
    sleep 1; continue
  fi
  read -r up rest < /proc/uptime
  say "gen=$g done up=$up"
  g=$((g+1))
  # Keep the dirty-page rate low so a live migration converges.
  sleep 0.2
done
"""


def init_script(blocks=DEFAULT_BLOCKS):
    _check_blocks(blocks)
    return (WORKLOAD_INIT.replace("@DEFAULT_BLOCKS@", str(blocks))
            .replace("@MAX_BLOCKS@", str(MAX_BLOCKS))
            .replace("@FILL_OFFSET_MIB@", str(FILL_OFFSET_MIB)))


def kernel_cmdline(blocks=DEFAULT_BLOCKS, fill_mib=0, fill_check=False, fill_direct=False):
    """Command line of the nested kernel.  panic=-1 (+ on_reboot=destroy in
    the domain, -no-reboot in the self-test): a dead /init ends the domain at
    once instead of leaving a silent hang; the panic stays in the log.
    fill_mib, fill_check, fill_direct: the fill mode (see WORKLOAD_INIT)."""
    _check_blocks(blocks)
    line = "console=ttyS0,115200 loglevel=4 panic=-1 ilvm.wl_blocks=%d" % blocks
    if fill_mib:
        line += " ilvm.wl_fill_mib=%d" % fill_mib + (" ilvm.wl_fill_check=1" if fill_check else "")
        line += " ilvm.wl_fill_direct=1" if fill_direct else ""
    return line


FILL_OFFSET_MIB = 32          # past the pattern (at most MAX_BLOCKS + 1 blocks, 16 MiB + 4 KiB)
FILL_LINE = b"ILVM-FILL\n"
FILL_DONE_RE = re.compile(r"ILVM-WORKLOAD fill done mib=(\d+) sha256=([0-9a-f]{64}) up=([0-9.]+)")


def fill_sha256(mib):
    """sha256 of the MIB MiB the fill mode writes (see WORKLOAD_INIT)."""
    body = (FILL_LINE * (1048576 // len(FILL_LINE) + 1))[:1048576 - 21]
    h = hashlib.sha256()
    for i in range(mib):
        h.update(b"ILVM-FILL mib=%06d\n" % i)
        h.update(body)
    return h.hexdigest()


def parse_fill(text):
    """The last "fill done" of a serial log: (mib, sha256, uptime) or None."""
    found = FILL_DONE_RE.findall(text)
    return (int(found[-1][0]), found[-1][1], float(found[-1][2])) if found else None


def find_cached_base(cache=None):
    """The newest base image already in the lab cache, or None.  Never
    builds anything (use image.ensure_base() for that)."""
    cache = cache or os.environ.get("ILVM_LAB_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "iscsi-lvm-lab")
    try:
        names = os.listdir(cache)
    except OSError:
        return None
    cands = [os.path.join(cache, n) for n in names
             if n.startswith("base-") and not n.endswith(".tmp")
             and os.path.exists(os.path.join(cache, n, "manifest.json"))]
    if not cands:
        return None
    return image.BaseImage(max(cands, key=lambda d: os.path.getmtime(
        os.path.join(d, "manifest.json"))))


def kernel_module_dir(base):
    """lib/modules/<kver> of the kernel .deb the base image was built from
    (the cache keeps it unpacked next to base-*/)."""
    m = base.manifest
    kdir = image.kernel_cache_dir(os.path.dirname(os.path.abspath(base.dir)),
                                  m["kernel_package"], m["kernel_deb_version"])
    try:
        return image.kernel_modules_dir(kdir, m["kernel_version"])
    except LabError:
        raise LabError("kernel module tree of %s missing in %s (rerun tests/e2e/lab/image.py)"
                       % (m["kernel_version"], kdir))


def _modinfo(path):
    """key -> value of a module's .modinfo ELF section (first value wins)."""
    data = image.read_module(path)  # trixie's are .ko.xz
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise LabError("%s: not a little-endian ELF64 module" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size
    stroff = section(shstrndx)[1]
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            info = {}
            for item in data[off:off + size].split(b"\0"):
                key, sep, val = item.partition(b"=")
                if sep:
                    info.setdefault(key.decode(), val.decode(errors="replace"))
            return info
    return {}


def _module_order(moddir, wanted):
    """image.module_load_order() for a module tree without modules.dep.

    Debian's kernel .deb ships no modules.dep (depmod runs in its postinst),
    and the outer machine has no kmod.  Each module's .modinfo carries
    `depends=` (what depmod derives from symbols, written by modpost), so we
    write a modules.dep for the dependency closure of `wanted` into a temp
    dir next to a copy of modules.builtin and let image.py resolve it."""
    if os.path.exists(os.path.join(moddir, "modules.dep")):
        return image.module_load_order(moddir, wanted)
    byname = {}
    for dirpath, _dirs, files in os.walk(os.path.join(moddir, "kernel")):
        for fn in files:
            m = re.match(r"(.*)\.ko(\.\w+)?$", fn)
            if m:
                rel = os.path.relpath(os.path.join(dirpath, fn), moddir)
                byname[m.group(1).replace("-", "_")] = rel
    deps, todo = {}, [w.replace("-", "_") for w in wanted]
    while todo:
        name = todo.pop()
        rel = byname.get(name)
        if rel is None or rel in deps:
            continue        # builtin (or unknown: module_load_order reports it)
        names = [d for d in _modinfo(os.path.join(moddir, rel)).get("depends", "").split(",") if d]
        deps[rel] = [byname[d.replace("-", "_")] for d in names
                     if d.replace("-", "_") in byname]
        todo += [d.replace("-", "_") for d in names]
    with tempfile.TemporaryDirectory(prefix="ilvm-moddep-") as tmp:
        with open(os.path.join(tmp, "modules.dep"), "w") as f:
            for rel, ds in deps.items():
                f.write("%s: %s\n" % (rel, " ".join(ds)))
        builtin = os.path.join(moddir, "modules.builtin")
        if os.path.exists(builtin):
            with open(builtin) as src, open(os.path.join(tmp, "modules.builtin"), "w") as dst:
                dst.write(src.read())
        return image.module_load_order(tmp, wanted)


def build_workload_initrd(base, out_path, blocks=DEFAULT_BLOCKS):
    """Write the workload initramfs (gzip'ed newc cpio) to out_path for the
    kernel of `base` (an image.BaseImage); `blocks` is the default N when
    the command line has no ilvm.wl_blocks=.  Returns the module names."""
    init = init_script(blocks)
    moddir = kernel_module_dir(base)
    order = _module_order(moddir, WORKLOAD_MODULES)
    if not os.path.exists("/bin/busybox"):
        raise LabError("missing /bin/busybox (apt-get install busybox-static)")
    data, names = image.busybox_initramfs(("bin", "dev", "proc", "sys", "tmp", "mods"), init, moddir, order)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out_path)
    return names


# --------------------------------------------------------------------------
# libvirt domain

def workload_domain_xml(name, disk_source_xml_kind, disk_source_xml, kernel_path,
                        initrd_path, console_log, blocks=DEFAULT_BLOCKS, mem_mib=96,
                        driver_type="raw", fill_mib=0, fill_check=False, fill_direct=False):
    """A migratable TCG domain running the workload on one virtio disk.

    disk_source_xml_kind / disk_source_xml as in the scenarios' domain_xml():
    ("block", "<source dev='/dev/vg_san/x'/>") or
    ("volume", "<source pool='san' volume='x'/>").  kernel_path, initrd_path
    and console_log are paths on the host running libvirtd and must be valid
    on the migration target too (install_workload() on both hosts)."""
    if disk_source_xml_kind not in ("block", "volume", "file"):
        raise LabError("disk kind must be block, volume or file, got %r" % disk_source_xml_kind)
    src = "<source path=%s append='on'/>" % quoteattr(console_log)
    return """<domain type='qemu'>
  <name>%(name)s</name>
  <memory unit='MiB'>%(mem)d</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%(kernel)s</kernel>
    <initrd>%(initrd)s</initrd>
    <cmdline>%(cmdline)s</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='%(kind)s' device='disk'>
      <driver name='qemu' type='%(driver)s' cache='none' io='native'/>
      %(source)s
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <serial type='file'>
      %(src)s
      <target port='0'/>
    </serial>
    <console type='file'>
      %(src)s
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
  </devices>
</domain>
""" % {"name": escape(name), "mem": mem_mib, "kernel": escape(kernel_path),
       "initrd": escape(initrd_path), "cmdline": escape(kernel_cmdline(blocks, fill_mib, fill_check, fill_direct)),
       "driver": driver_type,
       "kind": disk_source_xml_kind, "source": disk_source_xml, "src": src}


# --------------------------------------------------------------------------
# lab guest helpers (binary-safe ssh: Guest.run() is text-only)

def _ssh(guest, argv, timeout, stdin=None):
    """Run argv (quoted for the remote shell) on the guest: (rc, out bytes, err)."""
    proc = subprocess.Popen(guest.ssh_argv() + ["--", shlex.join(argv)],
                            stdin=stdin if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=child_setup)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise LabError("%s: timed out after %ss: %s" % (guest.name, timeout, shlex.join(argv)))
    except BaseException:
        kill_group(proc)
        raise
    return proc.returncode, out, err.decode(errors="replace")


def install_workload(guest, kernel_src, initrd_src,
                     dest_dir="/var/lib/libvirt/images/ilvm-workload"):
    """Copy kernel and initrd into the guest (mode 0644, via ssh stdin,
    checked by sha256); returns (kernel_path, initrd_path) on the guest."""
    guest.check(["mkdir", "-p", "-m", "0755", dest_dir], timeout=60)
    paths = []
    for src, base_name in ((kernel_src, "vmlinuz"), (initrd_src, "initrd.img")):
        dst = dest_dir.rstrip("/") + "/" + base_name
        h = hashlib.sha256()
        with open(src, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        with open(src, "rb") as f:
            # Fixed script, the path is a positional argument: no quoting games.
            rc, out, err = _ssh(guest, ["sh", "-c", 'umask 022 && cat > "$1.part" && '
                                        'chmod 0644 "$1.part" && mv -f "$1.part" "$1" && '
                                        'sha256sum "$1"', "sh", dst], timeout=600, stdin=f)
        got = out.decode(errors="replace").split()[:1]
        if rc != 0 or got != [h.hexdigest()]:
            raise LabError("%s: copying %s to %s failed (rc=%d, sha256 %s != %s): %s"
                           % (guest.name, src, dst, rc, got, h.hexdigest(), err.strip()))
        paths.append(dst)
    return paths[0], paths[1]


def read_disk_head(guest, dev, blocks, timeout=120):
    """The first (blocks+1)*4096 bytes of block device `dev` on the guest.

    iflag=direct: read the LUN, not this host's page cache of the device
    (which can hold blocks from before the domain wrote them, e.g. after a
    migration).  Read while the domain is paused (virsh suspend drains its
    I/O) or gone; a read racing the writer can see a torn block."""
    _check_blocks(blocks)
    rc, out, err = _ssh(guest, ["dd", "if=" + dev, "bs=4096", "count=%d" % (blocks + 1),
                                "iflag=direct", "status=none"], timeout=timeout)
    if rc != 0 or len(out) != (blocks + 1) * BLOCK:
        raise LabError("%s: reading %s failed (rc=%d, %d bytes): %s"
                       % (guest.name, dev, rc, len(out), err.strip()))
    return out


def zero_disk_head(guest, dev, blocks, timeout=120):
    """Zero the workload area before the first boot on a fresh LV: LVs reuse
    LUN extents and lvcreate wipes only the first 4 KiB, so old records of
    an earlier run would otherwise fail verification."""
    _check_blocks(blocks)
    guest.check(["dd", "if=/dev/zero", "of=" + dev, "bs=4096", "count=%d" % (blocks + 1),
                 "oflag=direct", "conv=notrunc", "status=none"], timeout=timeout)


def wait_generation(read_console, gen, timeout, interval=2.0):
    """Poll read_console() (returns the serial log text) until the latest
    boot reports generation >= gen; returns parse_console()'s dict.  Raises
    LabError on timeout or on an ILVM-WORKLOAD error line."""
    deadline = time.monotonic() + timeout
    while True:
        st = parse_console(read_console())
        if st["errors"]:
            raise LabError("workload reported: %s" % "; ".join(st["errors"][-3:]))
        if st["last_gen"] >= gen:
            return st
        if time.monotonic() >= deadline:
            raise LabError("workload at gen %d after %.0fs, waited for gen %d"
                           % (st["last_gen"], timeout, gen))
        time.sleep(interval)
