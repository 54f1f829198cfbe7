#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Smoke scenario: proves target + two guests + shared sanlock VG work.

Steps: tgtd up; hosts A and B booted; both log in to the LUN (node record
with portal 10.0.2.2:PORT); wdmd/sanlock/lvmlockd running; A creates a shared
sanlock VG; lock-start on both; A creates an activation-skip LV; A activates
it exclusively (-aey -K); B's activation fails with "locked by other host";
clean teardown (deactivate, lock-stop both, logout, poweroff, tgtd stopped).

Exit status: 0 pass, 1 fail, 77 skip (not root / lab tools missing), as
meson expects.  Prints per-step timing.

Usage:
  sudo /usr/bin/python3 tests/e2e/scenarios/smoke.py [--staging DESTDIR]
        [--workdir DIR] [--record tests/e2e/recorded] [--keep-disks]
"""

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lab import Lab, LabError, StepTimer, log  # noqa: E402
from lab.guest import GuestCommandError  # noqa: E402

VG = "vg"
LV = "t"        # exclusive on A
LV_SH = "u"     # shared on A and B

REQUIRED_TOOLS = ["qemu-system-x86_64", "qemu-img", "tgtd", "tgtadm", "debootstrap",
                  "mkfs.ext4", "ssh", "ssh-keygen"]


class Recorder:
    """Saves real command outputs for other engineers (parsers, docs)."""

    def __init__(self, dirs):
        self.dirs = [d for d in dirs if d]
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)
        self.index = []

    def save(self, name, guest, cmd, rc, out, err, raw=False, note=""):
        """raw=True stores stdout alone (e.g. JSON a parser test can load);
        otherwise a commented header says host, command and exit status."""
        if raw:
            text = out
        else:
            text = "# host: %s (sanlock host_id %d)\n# command: %s\n# rc: %d\n" % (
                guest.name, guest.host_id, cmd if isinstance(cmd, str) else " ".join(cmd), rc)
            if note:
                text += "".join("# %s\n" % l for l in note.splitlines())
            text += "# ---- stdout ----\n" + out
            if err.strip():
                text += "# ---- stderr ----\n" + err
        for d in self.dirs:
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        self.index.append((name, guest.name, cmd if isinstance(cmd, str) else " ".join(cmd),
                           rc, note))
        log("recorded %s" % name)

    def run_and_save(self, name, guest, cmd, raw=False, note="", timeout=120):
        rc, out, err = guest.run(cmd, timeout=timeout)
        self.save(name, guest, cmd, rc, out, err, raw=raw, note=note)
        if rc != 0:
            raise GuestCommandError(guest, cmd if isinstance(cmd, str) else " ".join(cmd),
                                    rc, out, err)
        return rc, out, err

    def publish(self, dest):
        """Copy the recordings of a *passing* run to dest (e.g. the source
        tree's tests/e2e/recorded), so a failed run never clobbers them."""
        os.makedirs(dest, exist_ok=True)
        for name in os.listdir(self.dirs[0]):
            shutil.copyfile(os.path.join(self.dirs[0], name), os.path.join(dest, name))
        log("recordings published to %s" % dest)

    def write_index(self, extra):
        lines = ["# Recorded outputs of the e2e smoke scenario",
                 "",
                 "Written by tests/e2e/scenarios/smoke.py (`--record DIR`) on real guests",
                 "(Debian bookworm, lvm2 2.03.16, sanlock 3.8.5, open-iscsi 2.1.8, kernel",
                 "6.1) sharing one tgtd LUN. Regenerate by running the scenario again.",
                 ""] + extra + ["", "| file | host | command | rc |", "| --- | --- | --- | --- |"]
        for name, host, cmd, rc, _ in self.index:
            lines.append("| %s | %s | `%s` | %d |" % (name, host, cmd.replace("|", "\\|"), rc))
        for d in self.dirs:
            with open(os.path.join(d, "INDEX.md"), "w") as f:
                f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--staging", help="meson install --destdir tree shipped into guests")
    ap.add_argument("--meson-build-dir", help="run `meson install --destdir` of this built "
                    "tree into the workdir and ship that (alternative to --staging)")
    ap.add_argument("--workdir", help="where logs/disks go (default: new dir in $TMPDIR)")
    ap.add_argument("--record", help="also save real command outputs into this dir")
    ap.add_argument("--keep-disks", action="store_true")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("SKIP: the lab needs root (debootstrap, chroot, mounts)")
        return 77
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        print("SKIP: missing tools %s; see docs/testing.md" % " ".join(missing))
        return 77

    timer = StepTimer()
    t_all = time.monotonic()
    lab = Lab(staging_dir=args.staging, meson_build_dir=args.meson_build_dir,
              workdir=args.workdir, keep_disks=args.keep_disks)
    ok = False
    interrupted = False
    facts = {}
    try:
        with timer.step("lab up (image, tgtd, boot A+B)"):
            lab.__enter__()
        rec = Recorder([os.path.join(lab.workdir, "recorded")])
        a, b = lab.a, lab.b
        facts["boot A"] = a.boot_seconds
        facts["boot B"] = b.boot_seconds
        try:
            if lab.staging_dir:
                with timer.step("payload present in guests, libraries resolve"):
                    for g in (a, b):
                        g.check(["test", "-s", "/var/lib/ilvm-lab/payload.list"])
                        # Our binaries were linked on the outer machine; the
                        # guest must provide every library they need.
                        _, out, _ = g.check(
                            "while read f; do "
                            "ldd \"/$f\" 2>/dev/null | grep -q 'not found' && "
                            "echo \"MISSING-LIB $f\"; done "
                            "< /var/lib/ilvm-lab/payload.list; true")
                        if "MISSING-LIB" in out:
                            raise LabError("%s: unresolved libraries:\n%s" % (g.name, out))
                    if a.run("command -v ilvm")[0] == 0:
                        rec.run_and_save("ilvm-help.txt", a, "ilvm --help")
            elif lab.base.manifest.get("package"):
                # ILVM_LAB_INSTALL=deb: the package's Depends must have brought every
                # library its binaries need.
                with timer.step("package installed in guests, ilvm runs"):
                    for g in (a, b):
                        g.check(["dpkg-query", "-W", "iscsi-lvm"])
                        g.check(["ilvm", "--version"])

            with timer.step("iscsi login A+B (portal %s)" % lab.target.guest_portal):
                dev_a = lab.iscsi_login(a)[0]
                lab.iscsi_login(b)
                rec.run_and_save("iscsiadm-session.txt", a, ["iscsiadm", "-m", "session"])
                rec.run_and_save("iscsiadm-node.txt", a, ["iscsiadm", "-m", "node"])
                rec.run_and_save("iscsiadm-session-P3.txt", a,
                                 ["iscsiadm", "-m", "session", "-P", "3"])
                rec.run_and_save("disk-by-path.txt", a, "ls -l /dev/disk/by-path/")

            with timer.step("wdmd/sanlock/lvmlockd active on A+B"):
                lab.wait_lock_daemons(a)
                lab.wait_lock_daemons(b)

            with timer.step("vgcreate --shared on A"):
                real = a.check(["readlink", "-f", dev_a])[1].strip()
                log("LUN on A: %s -> %s" % (dev_a, real))
                a.check(["vgcreate", "--shared", "--lock-type", "sanlock", VG, real],
                        timeout=600)

            with timer.step("vgchange --lock-start on A+B (parallel)"):
                t = time.monotonic()
                ha = a.start_run(["vgchange", "--lock-start", VG])
                hb = b.start_run(["vgchange", "--lock-start", VG])
                rb = hb.wait(600, check=True)
                facts["lock-start B"] = time.monotonic() - t
                ra = ha.wait(600, check=True)
                facts["lock-start A"] = time.monotonic() - t
                log("lock-start A: %s / B: %s" % (ra[1].strip() or ra[2].strip(),
                                                  rb[1].strip() or rb[2].strip()))

            with timer.step("lvcreate on A"):
                a.check(["lvcreate", "-an", "--setactivationskip", "y",
                         "--setautoactivation", "n", "-L", "64m", "-n", LV, VG], timeout=300)

            with timer.step("lvchange -aey -K on A succeeds"):
                a.check(["lvchange", "-aey", "-K", "%s/%s" % (VG, LV)], timeout=300)
                a.check(["test", "-b", "/dev/%s/%s" % (VG, LV)])

            with timer.step("shared LV %s: -asy on B and A" % LV_SH):
                a.check(["lvcreate", "-an", "--setactivationskip", "y",
                         "--setautoactivation", "n", "-L", "32m", "-n", LV_SH, VG], timeout=300)
                b.check(["lvchange", "-asy", "-K", "%s/%s" % (VG, LV_SH)], timeout=300)
                a.check(["lvchange", "-asy", "-K", "%s/%s" % (VG, LV_SH)], timeout=300)

            with timer.step("record sanlock/lvm state while A holds the lock"):
                lock_lv = "/dev/mapper/%s-lvmlock" % VG
                lvs_args = ["lvs", "-a", "--reportformat", "json", "--units", "b", "-o",
                            "lv_name,lv_uuid,lv_size,lv_attr,lv_active,lock_args,lv_skip_activation",
                            VG]
                _, lvs_out, _ = rec.run_and_save("lvs.json", a, lvs_args, raw=True)
                lvs = {x["lv_name"]: x for x in json.loads(lvs_out)["report"][0]["lv"]}
                # lock_args "1.0.0:OFFSET": OFFSET is the LV's lease offset in
                # the lvmlock LV.  Without an explicit :offset:size,
                # `direct dump` stops after the lockspace's host leases; the
                # whole 1 GiB LV takes > 60 s to read under TCG, so dump up
                # to two 8 MiB slots past the last LV lease.
                last = max(int(x["lv_lockargs"].split(":")[1]) for x in lvs.values()
                           if x["lv_lockargs"])
                dump = "%s:0:%d" % (lock_lv, last + 2 * 8 * 1024 * 1024)
                rec.run_and_save("sanlock-client-status.txt", a, ["sanlock", "client", "status"],
                                 note="A holds vg/%s exclusively and vg/%s shared (B too)" % (LV, LV_SH))
                rec.run_and_save("sanlock-client-status-D.txt", a,
                                 ["sanlock", "client", "status", "-D"])
                rec.run_and_save("sanlock-client-host_status.txt", a,
                                 ["sanlock", "client", "host_status", "-D"])
                rec.run_and_save("sanlock-direct-dump.txt", a, ["sanlock", "direct", "dump", dump],
                                 note="A (host_id 1) holds vg/%s ex; A and B (host_id 2) hold "
                                      "vg/%s sh" % (LV, LV_SH))
                rec.run_and_save("sanlock-direct-dump-from-B.txt", b,
                                 ["sanlock", "direct", "dump", dump],
                                 note="same disk read from host B")
                rec.run_and_save("sanlock-direct-dump-default-range.txt", a,
                                 ["sanlock", "direct", "dump", lock_lv],
                                 note="no :offset:size -> only the lockspace (host) leases")
                rec.run_and_save("lvs-from-B.json", b, lvs_args, raw=True)
                rec.run_and_save("vgs.json", a, [
                    "vgs", "--reportformat", "json", "--units", "b", "-o",
                    "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,vg_lock_type,vg_lock_args",
                    VG], raw=True)
                lv = lvs[LV]
                offset = lv["lv_lockargs"].split(":")[1]
                rec.run_and_save("sanlock-direct-read_leader-lv.txt", b, [
                    "sanlock", "direct", "read_leader", "-r",
                    "lvm_%s:%s:%s:%s" % (VG, lv["lv_uuid"], lock_lv, offset)],
                    note="leader record of vg/%s's lease (offset from lock_args %s), "
                         "read from B" % (LV, lv["lv_lockargs"]))
                rec.run_and_save("lvmlockctl-info-A.txt", a, ["lvmlockctl", "--info"])
                rec.run_and_save("lvmlockctl-info-B.txt", b, ["lvmlockctl", "--info"])

            with timer.step("lvchange -aey -K on B fails (locked by other host)"):
                cmd = ["lvchange", "-aey", "-K", "%s/%s" % (VG, LV)]
                rc, out, err = b.run(cmd, timeout=300)
                rec.save("lvchange-aey-locked-by-other-host.txt", b, cmd, rc, out, err,
                         note="expected failure: host A (host_id 1) holds vg/t")
                if rc == 0:
                    raise LabError("B activated vg/t although A holds it exclusively")
                if "locked by other host" not in (out + err):
                    raise GuestCommandError(b, " ".join(cmd), rc, out, err)
                log("B refused as expected: %s" % err.strip().splitlines()[-1])

            with timer.step("teardown: deactivate, lock-stop A+B, logout"):
                a.check(["lvchange", "-an", "%s/%s" % (VG, LV)], timeout=300)
                a.check(["lvchange", "-an", "%s/%s" % (VG, LV_SH)], timeout=300)
                b.check(["lvchange", "-an", "%s/%s" % (VG, LV_SH)], timeout=300)
                rec.run_and_save("sanlock-direct-dump-after-release.txt", b,
                                 ["sanlock", "direct", "dump", dump],
                                 note="after lvchange -an of both LVs on all hosts "
                                      "(leases free: timestamp 0, own keeps last owner)")
                # B first: A stays lockspace member until the end (either
                # order works; this keeps the lvmlock LV usable on A).
                b.check(["vgchange", "--lock-stop", VG], timeout=300)
                a.check(["vgchange", "--lock-stop", VG], timeout=300)
                for g in (a, b):
                    g.check(["iscsiadm", "-m", "node", "--logoutall=all"], timeout=120)
            ok = True
        except LabError as exc:
            print(lab.failure_report(exc))
        except BaseException:
            interrupted = True
            raise
        finally:
            with timer.step("poweroff A+B, stop tgtd"):
                lab.teardown(fast=interrupted)
        if ok:
            rec.write_index(["Measured: boot A %.0fs, boot B %.0fs, lock-start A %.0fs, "
                             "lock-start B %.0fs (TCG, 1 vCPU, 1 GiB)." % (
                                 facts["boot A"], facts["boot B"], facts["lock-start A"],
                                 facts["lock-start B"])])
            if args.record:
                rec.publish(args.record)
    except LabError as exc:
        print("FAILURE during lab bring-up:\n%s" % exc)
    except KeyboardInterrupt:
        print("interrupted")
    except SystemExit as exc:
        print("terminated by signal (exit %s)" % exc.code)
        print(timer.summary())
        raise
    print(timer.summary())
    for k, v in facts.items():
        print("  %-20s %6.1fs" % (k, v))
    print("whole smoke run: %.1fs" % (time.monotonic() - t_all))
    print("workdir: %s" % lab.workdir)
    if ok:
        print("SMOKE PASSED")
        return 0
    print("SMOKE FAILED")
    return 1


if __name__ == "__main__":
    sys.exit(main())
