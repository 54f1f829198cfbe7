#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ilvm(8) and the code name the same things (issue 20): every verb `ilvm --help` lists and
every option its `--help` shows appear in the man page, every ILVM_* variable the sources
read is in its ENVIRONMENT section, and every verb or variable the man page describes
exists. ilvmd(8) documents every ILVM_* variable the agent's own sources read.

Usage: test_manpage.py <ilvm binary> <source root>"""
import os
import re
import subprocess
import sys
import unittest

ILVM, ROOT = sys.argv[1:3]
MAN = os.path.join(ROOT, "docs", "man", "ilvm.8")
AGENT_MAN = os.path.join(ROOT, "docs", "man", "ilvmd.8")
CODE_DIRS = ("cli", "common", "host", "plugin", "shim")


def man_text(path=MAN):
    """The page with roff's escaped hyphens and font changes read as plain text."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("\\-", "-").replace("\\(aq", "'")
    return re.sub(r"\\f[BIRP]", "", text)


def section(text, name):
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH )" % re.escape(name), text, re.S | re.M)
    return m.group(1) if m else ""


def ilvm_help(*args):
    r = subprocess.run([ILVM, *args], capture_output=True, text=True, timeout=30)
    return r.stdout


def verbs():
    out = ilvm_help("--help")
    listed = out.split("Commands:", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in listed.splitlines() if l.startswith("  ") and l.strip()]


def env_vars_in_code(dirs=CODE_DIRS):
    names = set()
    for d in dirs:
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
            for n in files:
                if n.endswith((".cpp", ".hpp", ".h", ".c")):
                    with open(os.path.join(dirpath, n), encoding="utf-8") as f:
                        names |= set(re.findall(r'"(ILVM_[A-Z_]+)"', f.read()))
    return names


class ManPageTest(unittest.TestCase):
    def setUp(self):
        self.man = man_text()

    def test_the_binary_lists_verbs(self):
        # Guards the parsing below: an empty list would pass every other test.
        self.assertGreater(len(verbs()), 30)

    def test_every_verb_has_an_entry(self):
        missing = [v for v in verbs() if not re.search(r"^\.(?:B|BI|BR|TP)\b.*\b%s\b" % re.escape(v), self.man, re.M)]
        self.assertEqual(missing, [])

    def test_every_option_of_every_verb_is_documented(self):
        missing = []
        for v in verbs():
            for opt in sorted(set(re.findall(r"(--[a-z][a-z-]*)", ilvm_help(v, "--help")))):
                if opt == "--help":
                    continue
                if not re.search(r"(?<![a-z-])%s(?![a-z-])" % re.escape(opt), self.man):
                    missing.append("%s %s" % (v, opt))
        self.assertEqual(missing, [])

    def test_every_entry_of_the_command_sections_is_a_verb(self):
        real = set(verbs())
        documented = set()
        for name in ("POOL COMMANDS", "VOLUME COMMANDS", "LIBVIRT, RECONCILE AND BOOT COMMANDS",
                     "LIVE MIGRATION COMMANDS", "HOST COMMANDS"):
            body = section(self.man, name)
            self.assertTrue(body, name)
            for m in re.finditer(r"^\.TP\n\.(?:B|BI|BR) \"?([a-z][a-z-]+)", body, re.M):
                documented.add(m.group(1))
        self.assertGreater(len(documented), 30)
        self.assertEqual(sorted(documented - real), [])

    def test_environment_matches_the_code(self):
        documented = set(re.findall(r"^\.B (ILVM_[A-Z_]+)$", section(self.man, "ENVIRONMENT"), re.M))
        in_code = env_vars_in_code()
        self.assertGreater(len(in_code), 5)
        self.assertEqual(sorted(in_code - documented), [], "read by the code, missing from ENVIRONMENT")
        self.assertEqual(sorted(documented - in_code), [], "documented, read by nothing")

    def test_the_agents_environment_is_in_its_page(self):
        body = section(man_text(AGENT_MAN), "ENVIRONMENT")
        documented = set(re.findall(r"ILVM_[A-Z_]+", body))
        in_agent = env_vars_in_code(("agent",))
        self.assertIn("ILVM_AGENT_SAFETY_NET_SECONDS", in_agent)   # guards the scan
        self.assertEqual(sorted(in_agent - documented), [], "read by ilvmd, missing from ilvmd(8) ENVIRONMENT")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
