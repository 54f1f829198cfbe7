# SPDX-License-Identifier: LGPL-2.1-or-later
"""Payload disk: ships our own build into guests without rebuilding the base.

The staging dir is what `meson install --destdir STAGING` produced (e.g.
STAGING/usr/local/bin/ilvm).  It becomes a small ext4 image attached to each
guest as a second, read-only virtio disk; the initramfs overlays its files
onto / before systemd starts (so shipped unit files are seen at boot) and
runs ldconfig.  The list of overlaid files lands in
/var/lib/ilvm-lab/payload.list in the guest.
"""

import os

from .util import LabError, log, run

MIB = 1024 * 1024


def tree_size(path):
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for n in filenames + dirnames:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            # Round each entry up to a 4 KiB block plus inode overhead.
            total += ((st.st_size + 4095) // 4096) * 4096 + 256
    return total


def make_payload_image(staging_dir, out_path):
    """Build an ext4 image from staging_dir; returns out_path."""
    if not os.path.isdir(staging_dir):
        raise LabError("payload staging dir %s does not exist" % staging_dir)
    size = tree_size(staging_dir)
    # ext4 metadata + journal need room of their own; 32 MiB floor keeps
    # mkfs from choosing a tiny-fs layout that cannot hold a journal.
    img_size = max(32 * MIB, (size * 3 // 2 + 16 * MIB + MIB - 1) // MIB * MIB)
    with open(out_path, "wb") as f:
        f.truncate(img_size)
    run(["mkfs.ext4", "-q", "-F", "-L", "ilvmpayload", "-d", staging_dir, out_path],
        timeout=300)
    log("payload: %s -> %s (%d MiB)" % (staging_dir, out_path, img_size // MIB))
    return out_path


def meson_stage(builddir, destdir):
    """`meson install --destdir` an already built tree into destdir.

    --no-rebuild: the test must ship exactly what was built and tested;
    a meson test run must not kick off a compile of its own.
    """
    if os.path.exists(destdir):
        raise LabError("staging dir %s already exists" % destdir)
    run(["meson", "install", "-C", builddir, "--destdir", destdir, "--no-rebuild",
         "--quiet"], timeout=600)
    log("payload: meson install -C %s --destdir %s" % (builddir, destdir))
    return destdir
