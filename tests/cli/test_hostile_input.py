#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The catalog of faults and hostile input of issue 15, against the real `ilvm` binary and
module with the recording fake (fake_cmd.py): portals that do not answer, portal hosts
spelt in ways that hide which address they are, names LVM or open-iscsi cannot take.

Every refusal must print one `error:` line (plus optional `hint:` lines), exit with the
documented status (2 invalid input, 3 not found, 4 conflict, 5 system) and change nothing:
the config and run directories are the same before and after (lock files, which any
pool command creates and leaves, aside), and no command that changes the host ran - or,
for a failed login, whatever the attempt created (node record, iface) was removed again.

Usage: test_hostile_input.py <ilvm binary> <backend module dir> <tests/data dir>"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import assert_one_error_line, fake_env, logged_commands, mark_active, write_rules

ILVM, MODULE_DIR, DATA = sys.argv[1:4]

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_SYSTEM = 2, 3, 4, 5
IQN = "iqn.2024-04.com.example:vms"
LVM_WRITERS = {"pvcreate", "vgcreate", "vgremove", "pvremove", "lvcreate", "lvremove", "lvextend", "lvreduce",
               "lvchange", "vgchange", "wipefs", "dd", "blkdiscard"}


def pool_xml(name="san", host="10.0.0.50", vg=None, extra_source="", port=None):
    port_attr = f" port='{port}'" if port else ""
    vg_elem = f"<name>{vg}</name>" if vg is not None else ""
    return (f"<pool type='iscsi-lvm'><name>{name}</name><source><host name='{host}'{port_attr}/>"
            f"<device path='{IQN}' lun='0'/>{extra_source}{vg_elem}</source></pool>\n")


def mutating(cmd):
    """Whether a logged argv changes the host: LVM writers, iscsiadm new/update/delete/login."""
    if not cmd:
        return False
    if cmd[0] in LVM_WRITERS:
        return True
    return cmd[0] == "iscsiadm" and any(a in ("new", "update", "delete", "--login") for a in cmd)


def created_and_removed(cmds):
    """(created, left behind): the node records and ifaces `--op new` made, and those of
    them no later `--op delete` removed."""
    created, left = [], set()
    for cmd in cmds:
        if cmd[:1] != ["iscsiadm"] or "--op" not in cmd:
            continue
        op = cmd[cmd.index("--op") + 1]
        what = tuple(cmd[:cmd.index("--op")])
        if op == "new":
            created.append(what)
            left.add(what)
        elif op == "delete":
            left.discard(what)
    return created, left


class HostileInputTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-hostile-")
        self.env = fake_env(self.tmp, MODULE_DIR)
        self.log = self.env["ILVM_FAKE_LOG"]
        self.script = self.env["ILVM_FAKE_SCRIPT"]
        write_rules(self.script, [])

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ilvm(self, *args):
        return subprocess.run([ILVM, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def define(self, xml, name="pool.xml"):
        r = self.ilvm("pool-define", self.write(name, xml))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def snapshot(self):
        """Every file under the config and run directories with its content, lock files aside."""
        out = {}
        for top in ("etc", "run"):
            root = os.path.join(self.tmp, top)
            for d, _, files in os.walk(root):
                for f in files:
                    if f.endswith(".lock"):
                        continue
                    path = os.path.join(d, f)
                    with open(path, "rb") as fh:
                        out[os.path.relpath(path, self.tmp)] = fh.read()
        return out

    def refused(self, args, code, fragment, rules=(), commands_allowed=False):
        """Runs `ilvm args`, expecting a refusal that changes nothing. Returns the result and
        the commands the fake saw during it."""
        write_rules(self.script, list(rules))
        before_files, before_log = self.snapshot(), len(logged_commands(self.log))
        r = self.ilvm(*args)
        assert_one_error_line(self, r, code, fragment)
        self.assertEqual(self.snapshot(), before_files, "the config or run directory changed")
        cmds = logged_commands(self.log)[before_log:]
        if not commands_allowed:
            self.assertEqual(cmds, [], "a refusal of input ran commands")
        return r, cmds

    # --- item 4: portal hosts, one spelling per address -----------------------------------
    def test_portal_hosts_that_hide_their_address_are_refused_at_define(self):
        cases = [
            ("010.0.0.1", "portal host '010.0.0.1' is not a valid IPv4 address"),
            ("10.0.0.050", "is not a valid IPv4 address"),
            ("0x7f.0.0.1", "portal host '0x7f.0.0.1' is not a valid IPv4 address"),
            ("127.1", "portal host '127.1' is not a valid IPv4 address"),
            ("2130706433", "is not a valid IPv4 address"),
            ("::ffff:10.0.0.50", "is an IPv4-mapped IPv6 address: write the IPv4 address 10.0.0.50"),
            ("[fd00::50]", "write an IPv6 address without brackets"),
            ("fe80::1%eth0", "has a zone index"),
            ("san.example.org", "portal host 'san.example.org' is a host name: give the portal's IP address"),
            ("localhost", "is a host name"),
        ]
        for host, fragment in cases:
            with self.subTest(host=host):
                r, _ = self.refused(["pool-define", self.write("bad.xml", pool_xml(host=host))], EXIT_INVALID, fragment)
                self.assertIn("hint: ", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "etc", "pools", "san.xml")))

    def test_the_same_lun_under_another_spelling_is_a_conflict(self):
        self.define(pool_xml(host="2001:DB8:0::50"))
        with open(os.path.join(self.tmp, "etc", "pools", "san.xml"), encoding="utf-8") as f:
            stored = f.read()
        self.assertIn("<host name='2001:db8::50' port='3260'/>", stored)
        for host in ("2001:db8::50", "2001:0db8:0000:0000:0000:0000:0000:0050", "2001:DB8::0:50"):
            with self.subTest(host=host):
                self.refused(["pool-define", self.write("two.xml", pool_xml(name="san2", host=host, vg="vg_two"))],
                             EXIT_CONFLICT, "pool 'san' already uses LUN 0 of")
        # The IPv4 form of a pool's portal, mapped into IPv6, never gets as far.
        self.define(pool_xml(name="v4", host="10.0.0.50", vg="vg_v4"), "v4.xml")
        self.refused(["pool-define", self.write("m.xml", pool_xml(name="v4b", host="::ffff:10.0.0.50", vg="vg_v4b"))],
                     EXIT_INVALID, "IPv4-mapped")

    # --- item 5: names LVM or open-iscsi cannot take --------------------------------------
    def test_volume_group_names_lvm_refuses_later_are_refused_at_define(self):
        for vg, fragment in [("mapper", "volume group name 'mapper'"), ("disk", "volume group name 'disk'"),
                             ("dm-0", "volume group name 'dm-0'"), ("loop0", "volume group name 'loop0'"),
                             (".", "volume group name '.' is reserved"), ("..", "volume group name '..' is reserved")]:
            with self.subTest(vg=vg):
                self.refused(["pool-define", self.write("vg.xml", pool_xml(vg=vg))], EXIT_INVALID, fragment)
        # Without <source><name> the VG takes the pool's name.
        self.refused(["pool-define", self.write("vg.xml", pool_xml(name="mapper"))], EXIT_INVALID,
                     "volume group name 'mapper'")

    def test_volume_names_lvm_reserves_are_refused_before_any_command(self):
        self.define(pool_xml(vg="vg_san"))
        mark_active(self.tmp)
        for name in ["vm_cdata", "vm_cmeta", "vm_corig", "vm_cpool", "vm_cvol", "vm_imeta", "vm_iorig", "vm_mimage",
                     "vm_mlog", "vm_pmspare", "vm_rimage", "vm_rmeta", "vm_tdata", "vm_tmeta", "vm_vdata",
                     "vm_vorigin", "vm_wcorig"]:
            with self.subTest(name=name):
                reserved = name[2:]
                self.refused(["vol-create-as", "san", name, "1G"], EXIT_INVALID,
                             f"volume name '{name}' must not contain '{reserved}'")
        for name, fragment in [("snapshot1", "must not start with 'snapshot'"), ("pvmove0", "must not start with 'pvmove'"),
                               ("lvmlock", "volume name 'lvmlock' is reserved")]:
            with self.subTest(name=name):
                self.refused(["vol-create-as", "san", name, "1G"], EXIT_INVALID, fragment)

    def test_long_pool_names_get_ifaces_of_their_own(self):
        prefix = "p" * 59
        initiator = "<initiator><iqn name='iqn.2026-11.org.example:host-a'/></initiator>"
        self.define(pool_xml(name=prefix + "aaaaa", vg="vg_a", extra_source=initiator), "a.xml")
        self.define(pool_xml(name=prefix + "bbbbb", host="10.0.0.51", vg="vg_b", extra_source=initiator), "b.xml")
        write_rules(self.script, [{"prefix": ["iscsiadm", "--mode", "session"], "exit": 21,
                                   "stderr": "iscsiadm: No active sessions.\n"}])
        before = len(logged_commands(self.log))
        r = self.ilvm("pool-undefine", prefix + "aaaaa")
        self.assertEqual(r.returncode, 0, r.stderr)
        deleted = [c[c.index("--interface") + 1] for c in logged_commands(self.log)[before:]
                   if c[:3] == ["iscsiadm", "--mode", "iface"] and c[-2:] == ["--op", "delete"]]
        self.assertEqual(len(deleted), 1, deleted)
        self.assertLessEqual(len(deleted[0]), 64)
        # Not the 59-character prefix both names share: that was pool b's iface too.
        self.assertNotEqual(deleted[0], ("ilvm-" + prefix + "aaaaa")[:64])
        # Pool b's own, when it goes.
        before = len(logged_commands(self.log))
        self.assertEqual(self.ilvm("pool-undefine", prefix + "bbbbb").returncode, 0)
        deleted_b = [c[c.index("--interface") + 1] for c in logged_commands(self.log)[before:]
                     if c[:3] == ["iscsiadm", "--mode", "iface"] and c[-2:] == ["--op", "delete"]]
        self.assertEqual(len(deleted_b), 1)
        self.assertNotEqual(deleted_b[0], deleted[0])
        # A short name keeps the iface earlier versions made.
        self.define(pool_xml(name="short", vg="vg_s", extra_source=initiator), "s.xml")
        before = len(logged_commands(self.log))
        self.assertEqual(self.ilvm("pool-undefine", "short").returncode, 0)
        self.assertIn(["iscsiadm", "--mode", "iface", "--interface", "ilvm-short", "--op", "delete"],
                      logged_commands(self.log)[before:])

    # --- item 3: login to a portal that does not answer ------------------------------------
    def login_fails_rules(self, iface=None, stderr_file="iscsiadm-login-refused.txt"):
        with open(os.path.join(DATA, "stderr", stderr_file), encoding="utf-8") as f:
            stderr = f.read()
        node = ["iscsiadm", "--mode", "node", "--targetname", IQN, "--portal", "10.0.0.50:3260"]
        if iface:
            node += ["--interface", iface]
        rules = [{"prefix": ["iscsiadm", "--mode", "session"], "exit": 21, "stderr": "iscsiadm: No active sessions.\n"},
                 {"prefix": node, "exit": 21, "stderr": "iscsiadm: No records found\n"},
                 {"prefix": node + ["--op"], "exit": 0},
                 {"prefix": node + ["--login"], "exit": 8, "stderr": stderr}]
        if iface:
            rules += [{"prefix": ["iscsiadm", "--mode", "iface", "--interface", iface], "exit": 6,
                       "stderr": f"iscsiadm: Could not read iface {iface} (6).\n"},
                      {"prefix": ["iscsiadm", "--mode", "iface", "--interface", iface, "--op"], "exit": 0}]
        return rules

    def test_dead_portal_fails_in_one_line_and_leaves_nothing_behind(self):
        self.define(pool_xml(vg="vg_san"))
        r, cmds = self.refused(["pool-start", "san"], EXIT_SYSTEM,
                               f"iSCSI login to {IQN} at 10.0.0.50:3260 failed (tried for up to 20 s, 5 s per attempt): "
                               "iscsiadm: initiator reported error (4 - encountered connection failure)",
                               rules=self.login_fails_rules(), commands_allowed=True)
        self.assertIn("<login timeout=", r.stderr)
        created, left = created_and_removed(cmds)
        self.assertEqual(len(created), 1, cmds)
        self.assertEqual(left, set(), cmds)
        self.assertFalse(any(c[0] in LVM_WRITERS for c in cmds), cmds)

    def test_dead_portal_with_an_initiator_removes_the_iface_it_made(self):
        self.define(pool_xml(vg="vg_san", extra_source="<initiator><iqn name='iqn.2026-11.org.example:host-a'/></initiator>"))
        _, cmds = self.refused(["pool-start", "san"], EXIT_SYSTEM, "failed (tried for up to 20 s, 5 s per attempt)",
                               rules=self.login_fails_rules(iface="ilvm-san", stderr_file="iscsiadm-login-timed-out.txt"),
                               commands_allowed=True)
        created, left = created_and_removed(cmds)
        self.assertEqual(len(created), 2, cmds)  # the iface and the node record
        self.assertEqual(left, set(), cmds)

    def test_a_login_that_hangs_is_killed_after_the_login_time_and_undone(self):
        # <login timeout='1' retries='1'/>: iscsid gives up after 1-2 s, so iscsiadm is killed
        # at 1 + 1 + 15 = 17 s; here it hangs (the fake sleeps), as iscsiadm did in the lab.
        self.define(pool_xml(vg="vg_san", extra_source="<login timeout='1' retries='1'/>"))
        rules = self.login_fails_rules()
        rules[-1] = {"prefix": rules[-1]["prefix"], "sleep": 60}
        r, cmds = self.refused(["pool-start", "san"], EXIT_SYSTEM,
                               f"iSCSI login to {IQN} at 10.0.0.50:3260 failed (tried for up to 1 s, 1 s per attempt): ",
                               rules=rules, commands_allowed=True)
        self.assertIn("did not finish within 17 s and was killed", r.stderr)
        # iscsid might still finish the login it was asked for: logged out, then the record removed.
        self.assertTrue(any(c[-1] == "--logout" for c in cmds), cmds)
        created, left = created_and_removed(cmds)
        self.assertEqual((len(created), left), (1, set()), cmds)

    def test_login_settings_out_of_bounds_are_refused_at_define(self):
        for attrs, fragment in [("timeout='0'", "login timeout '0' is not a whole number from 1 to 600"),
                                ("timeout='5s'", "login timeout '5s' is not a whole number"),
                                ("retries='-1'", "login retries '-1' is not a whole number from 1 to 100"),
                                ("timeout='600' retries='100'", "more than 3600 s of trying"),
                                ("wait='1'", "unknown attribute 'wait' on <login>")]:
            with self.subTest(attrs=attrs):
                self.refused(["pool-define", self.write("l.xml", pool_xml(extra_source=f"<login {attrs}/>"))],
                             EXIT_INVALID, fragment)

    def test_every_refusal_ran_nothing_that_changes_the_host(self):
        """Catalog files of the invalid-XML manifest, one after the other: afterwards the
        fake's whole log holds no command that changes the host."""
        for kind, fname in [("pool", "pool-ipv4-leading-zero.xml"), ("pool", "pool-ipv6-mapped.xml"),
                            ("pool-define", "pool-host-name.xml"), ("pool", "pool-login-too-long.xml")]:
            with self.subTest(case=fname):
                self.refused(["pool-define", os.path.join(DATA, "xml", "invalid", fname)], EXIT_INVALID, "")
        self.assertFalse(any(mutating(c) for c in logged_commands(self.log)))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
