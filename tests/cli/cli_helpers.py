# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the CLI test files share: the log of the recording fake (fake_cmd.py), the
contract of a refusal (one `error:` line, then only `hint:` lines, and its exit status), and
the libraries a binary links (also read by tests/bench/bench.py)."""
import json
import os
import re
import subprocess


def start_log(log_path):
    """An empty command log: fake_cmd.py appends to it. Every test environment starts one,
    so a log that is missing later means the fake was never wired up."""
    with open(log_path, "w", encoding="utf-8"):
        pass


def logged_commands(log_path):
    """The argv of every command fake_cmd.py was asked to run, in order. A missing log is a
    broken test setup, not "nothing ran": an assertion that nothing ran must not pass when
    the fake was never reached."""
    if not os.path.exists(log_path):
        raise AssertionError(f"the fake's command log {log_path} is missing: ILVM_FAKE_LOG is not wired up")
    with open(log_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def assert_one_error_line(test, r, code, fragment=""):
    """`r` exited with `code` and printed exactly one `error:` line, containing `fragment`."""
    test.assertEqual(r.returncode, code, f"stdout={r.stdout!r} stderr={r.stderr!r}")
    lines = r.stderr.splitlines()
    test.assertTrue(lines and lines[0].startswith("error: "), r.stderr)
    test.assertTrue(all(l.startswith(("error: ", "hint: ")) for l in lines), r.stderr)
    test.assertEqual(sum(l.startswith("error: ") for l in lines), 1, r.stderr)
    test.assertIn(fragment, lines[0])


def fake_env(tmp, module_dir, **extra):
    """Environment for running ilvm / the hook against the recording fake in `tmp`:
    private config and run dirs, the module under test, fake_cmd.py for every command,
    libvirt's in-process test driver. `extra` adds or overrides variables."""
    env = dict(os.environ)
    env.update({
        "ILVM_CONFIG_DIR": os.path.join(tmp, "etc"),
        "ILVM_RUN_DIR": os.path.join(tmp, "run"),
        "ILVM_BACKEND_DIR": module_dir,
        "ILVM_COMMAND_WRAPPER": os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_cmd.py"),
        "ILVM_FAKE_LOG": os.path.join(tmp, "commands.log"),
        "ILVM_FAKE_SCRIPT": os.path.join(tmp, "script.json"),
        "ILVM_LIBVIRT_URI": "test:///default",
        "ILVM_DEVICE_TIMEOUT_MS": "0",
    })
    env.update(extra)
    start_log(env["ILVM_FAKE_LOG"])
    return env


def status_file(domain, disks, state="running", reason="booted", vg="vg_san"):
    """libvirt's status file of `domain` (/run/libvirt/qemu/DOMAIN.xml) with a block disk
    /dev/VG/VOL per (target, volume, shareable) of `disks`."""
    devices = "".join("<disk type='block' device='disk'><source dev='/dev/%s/%s'/><target dev='%s'/>%s</disk>"
                      % (vg, vol, target, "<shareable/>" if shared else "") for target, vol, shared in disks)
    return ("<domstatus state='%s' reason='%s' pid='4242'><domain type='kvm'><name>%s</name><devices>%s</devices>"
            "</domain></domstatus>\n" % (state, reason, domain, devices))


def write_rules(script_path, rules):
    """The fake's answers (see fake_cmd.py) for the next ilvm run."""
    with open(script_path, "w", encoding="utf-8") as f:
        json.dump(rules, f)


def mark_active(tmp, pool="san"):
    """Pool `pool` (defined in `tmp`) started on this host, without running pool-start."""
    run = os.path.join(tmp, "run", "pools")
    os.makedirs(run, exist_ok=True)
    with open(os.path.join(tmp, "etc", "pools", pool + ".xml"), encoding="utf-8") as src, \
            open(os.path.join(run, pool + ".xml"), "w", encoding="utf-8") as dst:
        dst.write(src.read())


def define_three_volume_pool(tmp, env, ilvm, data):
    """Pool `san` defined by `ilvm` and started (run state only), its VG answering with
    vgs_vg_san_used.json and its volumes with lvs_three.json (vm1 free, vm2 and vm3 active
    here), no sanlock lease found. Returns san's UUID."""
    def lvm(name):
        with open(os.path.join(data, "lvm", name), encoding="utf-8") as f:
            return f.read()
    write_rules(env["ILVM_FAKE_SCRIPT"], [
        {"prefix": ["vgs"], "stdout": lvm("vgs_vg_san_used.json")},
        {"prefix": ["lvs"], "stdout": lvm("lvs_three.json")},
        {"prefix": ["sanlock"], "exit": 1},
    ])
    r = subprocess.run([ilvm, "pool-define", os.path.join(data, "pools", "san.xml")], env=env,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("pool-define failed: " + r.stderr)
    mark_active(tmp)
    with open(os.path.join(tmp, "etc", "pools", "san.xml"), encoding="utf-8") as f:
        return re.search(r"<uuid>([0-9a-f-]{36})</uuid>", f.read()).group(1)


def needed(binary):
    """The DT_NEEDED entries of an ELF file, as readelf -d prints them (what it links)."""
    out = subprocess.run(["readelf", "-d", binary], check=True, capture_output=True, text=True, timeout=60).stdout
    return [line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line]
