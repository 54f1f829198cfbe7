# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the guests run: the build tree (payload disk) or the Debian package.

ILVM_LAB_INSTALL=payload (the default): `meson install --destdir` of the build dir,
overlaid by the initramfs (payload.py).  It is linked against the outer machine's
libraries, so it runs only on guests of the outer machine's release.

ILVM_LAB_INSTALL=deb: the image has `apt-get install ./iscsi-lvm_*.deb` done in it
(image.install_package), as a host has after docs/packaging.md.  The .deb of the
guests' suite is ILVM_LAB_DEB if set, else the one packaging/build-debs left in
$ILVM_PKG_DIR/out/SUITE/ (default /var/tmp/ilvm-pkg), which is built first when
there is none.
"""

import glob
import os
import subprocess

from .util import LabError, log, run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODES = ("payload", "deb")


def install_mode():
    mode = os.environ.get("ILVM_LAB_INSTALL") or "payload"
    if mode not in MODES:
        raise LabError("ILVM_LAB_INSTALL=%s: use %s" % (mode, " or ".join(MODES)))
    return mode


def pkg_out_dir(suite):
    return os.path.join(os.environ.get("ILVM_PKG_DIR") or "/var/tmp/ilvm-pkg", "out", suite)


def _debs(out):
    return sorted(glob.glob(os.path.join(out, "iscsi-lvm_*.deb")))


def package_deb(suite):
    """Path of the iscsi-lvm .deb to install into guests of `suite`."""
    explicit = os.environ.get("ILVM_LAB_DEB")
    if explicit:
        if not os.path.isfile(explicit):
            raise LabError("ILVM_LAB_DEB=%s: no such file" % explicit)
        return os.path.abspath(explicit)
    out = pkg_out_dir(suite)
    if not _debs(out):
        # No package yet: build it like an administrator would (a clean chroot of the
        # suite, docs/packaging.md).  Long (tens of minutes), so it says so.
        log("package: no .deb in %s: packaging/build-debs %s (tens of minutes)" % (out, suite))
        run([os.path.join(REPO, "packaging", "build-debs"), suite], timeout=4 * 3600,
            capture=False)
    debs = _debs(out)
    if len(debs) != 1:
        raise LabError("expected one iscsi-lvm .deb in %s, found %r" % (out, debs))
    deb = debs[0]
    _warn_if_older_than_head(deb)
    return deb


def _warn_if_older_than_head(deb):
    """A .deb built before the tree's last commit tests old code: say so (not an error,
    the package may be what one wants to test)."""
    try:
        head = int(subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%ct"],
                                  capture_output=True, text=True, timeout=30).stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        return
    if os.path.getmtime(deb) < head:
        log("package: WARNING %s is older than the tree's last commit; "
            "rerun packaging/build-debs to test the tree" % deb)


def check_payload_suite(suite, outer):
    """The payload is linked on the outer machine: refuse guests of another release
    (their sonames differ: libsimdjson14 on bookworm, libsimdjson25 on trixie)."""
    if outer and suite != outer:
        raise LabError("a build tree made on this %s machine does not run on %s guests: "
                       "run %s guests (ILVM_LAB_SUITE=%s) or the package "
                       "(ILVM_LAB_INSTALL=deb, docs/testing.md)" % (outer, suite, outer, outer))
