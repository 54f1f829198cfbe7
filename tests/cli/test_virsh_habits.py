#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virsh's habits in ilvm (issue 20): one table of invocations, each with the pattern its
standard output must match (re.search, multi-line) and its exit status. The pool `san` is
defined and started (run state only), its VG answers with vgs_vg_san_used.json and its
volumes with lvs_three.json (vm1 free, vm2 and vm3 active here). `{uuid}` in an invocation
or a pattern stands for san's UUID, `{key}` for vm1's key.

Usage: test_virsh_habits.py <ilvm binary> <backend module dir> <tests/data dir>"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import define_three_volume_pool, fake_env, write_rules

ILVM, MODULE_DIR, DATA = sys.argv[1:4]

VM1_KEY = "7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa"

# (invocation, pattern stdout must match, exit status)
CASES = [
    # 1. the lists as virsh prints them
    (["pool-list", "--details"],
     r"^ Name\s+State\s+Autostart\s+Persistent\s+Capacity\s+Allocation\s+Available\n-+\n"
     r" san\s+running\s+no\s+yes\s+10.00 GiB\s+5.00 GiB\s+5.00 GiB\s*$", 0),
    (["pool-list", "--all", "--details"], r"^ san\s+running\s+no\s+yes\s+10.00 GiB", 0),
    (["pool-list", "--name"], r"\Asan {17}\n\Z", 0),
    (["pool-list", "--uuid"], r"\A{uuid}\n\Z", 0),
    (["pool-list", "--uuid", "--name"], r"\A{uuid} san {17}\n\Z", 0),
    (["pool-list", "--inactive", "--name"], r"\A\Z", 0),
    (["pool-list", "--details", "--name"], r"\A\Z", 2),
    (["vol-list", "san", "--details"],
     r"^ Name\s+Path\s+Type\s+Capacity\s+Allocation\n-+\n"
     r" vm1\s+/dev/vg_san/vm1\s+block\s+1.00 GiB\s+1.00 GiB\s*\n vm2\s+/dev/vg_san/vm2\s+block\s+2.00 GiB", 0),
    (["vol-list", "--pool", "san", "--name"], r"\Avm1\nvm2\nvm3\n\Z", 0),
    (["vol-list", "san", "--name", "--json"], r"\A\Z", 2),
    # 2. --bytes where virsh has it
    (["pool-info", "san", "--bytes"],
     r"^Capacity:\s+10733223936\nAllocation:\s+5368709120\nAvailable:\s+5364514816\n", 0),
    (["pool-info", "san"], r"^Capacity:\s+10.00 GiB\n", 0),
    (["vol-info", "vm2", "--pool", "san", "--bytes"], r"^Capacity:\s+2147483648 bytes\nAllocation:\s+2147483648 bytes\n", 0),
    (["vol-info", "vm2", "--pool", "san"], r"^Capacity:\s+2.00 GiB\n", 0),
    (["pool-list", "--bytes"], r"\A\Z", 2),
    # 4. a pool by name or UUID, a volume by name, key or path
    (["pool-info", "{uuid}"], r"^Name:\s+san\nUUID:\s+{uuid}\n", 0),
    (["vol-list", "{uuid}", "--name"], r"\Avm1\nvm2\nvm3\n\Z", 0),
    (["vol-info", "vm1", "--pool", "{uuid}"], r"^Name:\s+vm1\n", 0),
    (["vol-info", "{key}"], r"^Name:\s+vm1\n(.*\n)*Key:\s+{key}\n", 0),
    (["vol-info", "{key}", "--pool", "san"], r"^Name:\s+vm1\n", 0),
    (["vol-path", "{key}"], r"\A/dev/vg_san/vm1\n\Z", 0),
    (["vol-info", "/dev/vg_san/vm2"], r"^Name:\s+vm2\n", 0),
    (["vol-info", "AAAAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAAAA"], r"\A\Z", 3),
    (["pool-info", "00000000-0000-0000-0000-000000000000"], r"\A\Z", 3),
    (["vol-info", "vm1"], r"\A\Z", 2),   # a name needs its pool, as in virsh
    # 5. help
    (["help"], r"^Commands:\n(.*\n)*  vol-info +volume information", 0),
    (["help", "vol-info"], r"\AUsage: ilvm vol-info <vol> \[--pool VALUE\]", 0),
    (["help", "vol-info"], r"^  <vol> +\(required\) volume name \(with --pool\), key or path", 0),
    (["help", "nope"], r"\A\Z", 2),
    (["help", "vol-info", "pool-info"], r"\A\Z", 2),
    (["host-setup", "--help"], r"\AUsage: ilvm host-setup --host-id VALUE \[--initiator VALUE\]", 0),
    (["host-setup", "--help"], r"^  --host-id VALUE +\(required\) this host's sanlock host_id", 0),
    (["pool-list", "--help"], r"^  --details +virsh's extended columns$", 0),
]

# 3. sizes: (capacity, bytes lvcreate gets (rounded up to 4 MiB extents), exit status)
SIZES = [
    ("1g", 1 << 30, 0), ("1G", 1 << 30, 0), ("1GiB", 1 << 30, 0), ("1gib", 1 << 30, 0),
    ("512m", 512 << 20, 0), ("512M", 512 << 20, 0), ("4096k", 4 << 20, 0), ("1gb", 239 * (4 << 20), 0),
    ("1GB", 239 * (4 << 20), 0), ("8388608", 8 << 20, 0), ("8388608b", 8 << 20, 0), ("8388608Bytes", 8 << 20, 0),
    ("1t", None, 4),   # more than the VG has: refused, as before
    ("20x", None, 2), ("1.5g", None, 2), ("1gi", None, 2), ("", None, 2),
]


class VirshHabitsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-virsh-")
        self.env = fake_env(self.tmp, MODULE_DIR)

        self.uuid = define_three_volume_pool(self.tmp, self.env, ILVM, DATA)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=60)

    def fill(self, text):
        return text.replace("{uuid}", self.uuid).replace("{key}", VM1_KEY)

    def test_table(self):
        for argv, pattern, code in CASES:
            argv = [self.fill(a) for a in argv]
            with self.subTest(invocation=" ".join(argv)):
                r = self.ilvm(*argv)
                self.assertEqual(r.returncode, code, f"stdout={r.stdout!r} stderr={r.stderr!r}")
                self.assertRegex(r.stdout, re.compile(self.fill(pattern), re.M))

    def test_every_option_is_described(self):
        verbs = re.findall(r"(?m)^  ([a-z][a-z-]+) ", self.ilvm("help").stdout.split("Commands:")[1])
        self.assertGreater(len(verbs), 30)
        for verb in verbs:
            with self.subTest(verb=verb):
                r = self.ilvm("help", verb)
                self.assertEqual(r.returncode, 0, r.stderr)
                usage = r.stdout.splitlines()[0]
                named = re.findall(r"<([a-z-]+)>|--([a-z-]+)", usage)
                options = r.stdout.split("Arguments and options:\n")[1].split("\n\n")[0].splitlines() if named else []
                self.assertEqual(len(options), len(named), r.stdout)
                for line in options:
                    self.assertRegex(line, r"^  (<[a-z-]+>|--[a-z-]+( VALUE)?) +(\(required\) )?\S", r.stdout)

    def test_json_numbers_nulls_and_state(self):
        info = json.loads(self.ilvm("pool-info", "san", "--json").stdout)
        self.assertEqual(info["state"], "running")   # the word the text says
        self.assertRegex(self.ilvm("pool-info", "san").stdout, r"(?m)^State:\s+running$")
        self.assertEqual((info["source"]["port"], info["source"]["lun"]), (3260, 0))
        self.assertEqual((info["source"]["initiator"], info["source"]["chap_username"], info["vg"]["uuid"]),
                         (None, None, None))
        self.assertEqual((info["capacity"], info["available"]), (10733223936, 5364514816))
        self.assertNotIn("", [v for v in info["source"].values()] + [info["libvirt_mirror"]["detail"]])
        listed = json.loads(self.ilvm("pool-list", "--all", "--json").stdout)
        self.assertEqual(listed, [{"name": "san", "state": "running", "autostart": False, "persistent": True}])
        vols = json.loads(self.ilvm("vol-list", "san", "--json").stdout)
        self.assertEqual([(v["name"], v["capacity"], v["state"]) for v in vols],
                         [("vm1", 1 << 30, "free"), ("vm2", 2 << 30, "active-here"), ("vm3", 1 << 30, "active-here")])

    # 6. pool-define-as and pool-edit
    def define_as(self, *extra):
        return self.ilvm("pool-define-as", "two", "--source-host", "10.0.0.51", "--source-dev",
                         "iqn.2024-04.com.example:two", "--source-name", "vg_two", *extra)

    def test_pool_define_as_defines_what_the_xml_would(self):
        r = self.define_as("iscsi-lvm", "--lun", "1", "--source-port", "3261", "--auth-username", "vmhost",
                           "--secret-usage", "two-chap", "--source-initiator", "iqn.2026-11.org.example:host-a")
        self.assertEqual((r.returncode, r.stdout), (0, "Pool two defined\n"), r.stderr)
        info = json.loads(self.ilvm("pool-info", "two", "--json").stdout)
        self.assertEqual(info["source"], {"host": "10.0.0.51", "port": 3261,
                                          "portals": [{"host": "10.0.0.51", "port": 3261}],
                                          "target": "iqn.2024-04.com.example:two",
                                          "lun": 1, "initiator": "iqn.2026-11.org.example:host-a",
                                          "chap_username": "vmhost"})
        self.assertEqual((info["vg"]["name"], info["lock_type"], info["state"]), ("vg_two", "sanlock", "inactive"))
        xml = self.ilvm("pool-dumpxml", "two").stdout
        self.assertIn("usage='two-chap'", xml)
        self.assertRegex(xml, r"<uuid>[0-9a-f-]{36}</uuid>")

    def test_pool_define_as_refusals_change_nothing(self):
        before = sorted(os.listdir(os.path.join(self.tmp, "etc", "pools")))
        for extra, code, fragment in [
            (["--type", "logical"], 2, "pool type 'logical' is not supported here"),
            (["--auth-username", "u"], 2, "CHAP needs exactly one of --secret-usage and --secret-uuid"),
            (["--auth-username", "u", "--secret-usage", "a", "--secret-uuid", "b"], 2, "exactly one of"),
            (["--secret-usage", "a"], 2, "need --auth-username"),
            (["--auth-username", "u", "--secret-usage", "a", "--auth-type", "none"], 2, "auth type 'none' is not supported"),
            (["--lun", "x"], 2, "invalid LUN 'x'"),
            (["--target", "/dev/elsewhere"], 2, "/dev/vg_two"),
        ]:
            with self.subTest(extra=extra):
                r = self.define_as(*extra)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertIn(fragment, r.stderr.splitlines()[0])
        r = self.ilvm("pool-define-as", "two", "--source-host", "10.0.0.51", "--source-name", "vg_two")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("pool-define-as needs --source-dev (the target's IQN)", r.stderr)
        # san's LUN under another name: pool-define's own check.
        r = self.ilvm("pool-define-as", "again", "--source-host", "10.0.0.50", "--source-dev",
                      "iqn.2024-04.com.example:vms", "--source-name", "vg_again")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("pool 'san' already uses LUN 0", r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "etc", "pools"))), before)

    def edit(self, pool, editor, visual=None):
        env = dict(self.env, EDITOR=editor, TMPDIR=self.tmp)
        env.pop("VISUAL", None)
        if visual is not None:
            env["VISUAL"] = visual
        return subprocess.run([ILVM, "pool-edit", pool], env=env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def stored(self, pool):
        with open(os.path.join(self.tmp, "etc", "pools", pool + ".xml"), encoding="utf-8") as f:
            return f.read()

    def test_pool_edit_defines_what_the_editor_leaves(self):
        self.assertEqual(self.define_as().returncode, 0)
        before = self.stored("two")
        r = self.edit("two", "true")
        self.assertEqual((r.returncode, r.stdout), (0, "Pool two XML configuration not changed.\n"), r.stderr)
        r = self.edit("two", "sed -i 's/10.0.0.51/10.0.0.52/'")
        self.assertEqual((r.returncode, r.stdout), (0, "Pool two XML configuration edited.\n"), r.stderr)
        self.assertEqual(json.loads(self.ilvm("pool-info", "two", "--json").stdout)["source"]["host"], "10.0.0.52")
        self.assertEqual(re.search(r"<uuid>.*</uuid>", self.stored("two")).group(0),
                         re.search(r"<uuid>.*</uuid>", before).group(0))
        # VISUAL wins over EDITOR, as in virsh.
        r = self.edit("two", "false", visual="true")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The private copy is gone.
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("ilvm-pool-")], [])

    def test_pool_edit_refusals_leave_the_definition(self):
        before = self.stored("san")
        # A started pool's portal cannot change (without a terminal: no second try).
        r = self.edit("san", "sed -i 's/10.0.0.50/10.0.0.99/'")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertRegex(r.stderr, r"\Aerror: pool 'san' is active: its portal 10.0.0.50:3260 -> 10.0.0.99:3260 cannot change")
        r = self.edit("san", "sed -i 's/<name>vg_san/<name>vg san/'")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.edit("san", "sed -i 's#<name>san</name>#<name>san2</name>#'")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("error: pool-edit cannot rename pool 'san' to 'san2'", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "etc", "pools", "san2.xml")))
        r = self.edit("san", "false")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("the editor 'false' failed", r.stderr)
        r = self.edit("san", "/nonexistent/editor")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("error: cannot run the editor '/nonexistent/editor'", r.stderr)
        r = self.edit("san", "'unterminated")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.stored("san"), before)
        self.assertEqual(self.edit("nope", "true").returncode, 3)

    def test_sizes_in_any_case(self):
        lvm = os.path.join(self.tmp, "lvm.json")
        with open(lvm, "w", encoding="utf-8") as f:
            json.dump({}, f)
        self.env["ILVM_FAKE_LVM"] = lvm
        with open(os.path.join(DATA, "lvm", "vgs_vg_san.json"), encoding="utf-8") as f:
            write_rules(self.env["ILVM_FAKE_SCRIPT"], [{"prefix": ["vgs"], "stdout": f.read()}])
        for i, (text, size, code) in enumerate(SIZES):
            with self.subTest(capacity=text):
                r = self.ilvm("vol-create-as", "san", "s%d" % i, text)
                self.assertEqual(r.returncode, code, r.stderr)
                with open(lvm, encoding="utf-8") as f:
                    made = json.load(f).get("s%d" % i)
                self.assertEqual(made and made["size"], size)
                if code == 2:
                    self.assertRegex(r.stderr, r"\Aerror: (unknown size unit|size '.*' is not a number)")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
