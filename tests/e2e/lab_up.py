#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bring the lab up and keep it up for interactive work; tear down on exit.

    sudo /usr/bin/python3 tests/e2e/lab_up.py [--staging DESTDIR] [--login]
        [--shared-vg vg] [--hold 3600] [--workdir DIR]

Prints the ssh command for each guest, writes them to WORKDIR/ssh-hosta.sh
and ssh-hostb.sh, then waits until Ctrl-C, SIGTERM, `touch WORKDIR/stop`,
or --hold seconds (bounded: default 1 h), and tears everything down.
"""

import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lab import Lab, log  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--staging", help="meson install --destdir tree shipped into guests")
    ap.add_argument("--meson-build-dir", help="run `meson install --destdir` of this built "
                    "tree into the workdir and ship that (alternative to --staging)")
    ap.add_argument("--workdir")
    ap.add_argument("--login", action="store_true", help="iscsiadm login on both guests")
    ap.add_argument("--shared-vg", metavar="VG",
                    help="also vgcreate --shared on A and lock-start on both (implies --login)")
    ap.add_argument("--hold", type=float, default=3600, help="max seconds to stay up")
    args = ap.parse_args()
    with Lab(staging_dir=args.staging, meson_build_dir=args.meson_build_dir,
             workdir=args.workdir) as lab:
        if args.login or args.shared_vg:
            lab.iscsi_login(lab.a)
            lab.iscsi_login(lab.b)
        if args.shared_vg:
            lab.wait_lock_daemons(lab.a)
            lab.wait_lock_daemons(lab.b)
            dev = lab.a.check(["readlink", "-f", lab.target.by_path(lab.spec, 1)])[1].strip()
            lab.a.check(["vgcreate", "--shared", "--lock-type", "sanlock", args.shared_vg, dev],
                        timeout=600)
            ha = lab.a.start_run(["vgchange", "--lock-start", args.shared_vg])
            hb = lab.b.start_run(["vgchange", "--lock-start", args.shared_vg])
            ha.wait(600, check=True)
            hb.wait(600, check=True)
        print("\nlab is up (workdir %s)" % lab.workdir)
        print("iSCSI portal for guests: %s  target: %s" % (lab.target.guest_portal, lab.spec.iqn))
        for g in lab.guests:
            cmd = shlex.join(g.ssh_argv())
            path = os.path.join(lab.workdir, "ssh-%s.sh" % g.name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % cmd)
            os.chmod(path, 0o755)
            print("  %s: ssh -p %d -i %s root@127.0.0.1   (or %s)" % (
                g.name, g.ssh_port, g.base.ssh_key, path))
        print("stop with Ctrl-C or: touch %s\n" % os.path.join(lab.workdir, "stop"))
        sys.stdout.flush()
        deadline = time.monotonic() + args.hold
        stop = os.path.join(lab.workdir, "stop")
        while time.monotonic() < deadline and not os.path.exists(stop):
            if any(g.proc.poll() is not None for g in lab.guests):
                log("a guest exited; tearing down")
                break
            time.sleep(1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
