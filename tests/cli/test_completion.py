#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bash completion (cli/completion/ilvm): sourced into bash, with the bash-completion
package's _init_completion when it is installed and without it, against the real ilvm (a
pool `san` defined and started, its volumes from lvs_three.json). Each case: the words on
the line (the last one being completed) and the exact COMPREPLY, sorted.

Usage: test_completion.py <ilvm binary> <backend module dir> <tests/data dir> <completion file>"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from cli_helpers import define_three_volume_pool, fake_env

ILVM, MODULE_DIR, DATA, COMPLETION = sys.argv[1:5]
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

CASES = [
    (["ilvm", "pool-i"], ["pool-info"]),
    (["ilvm", "-v", "vol-cr"], ["vol-create", "vol-create-as", "vol-create-from"]),
    (["ilvm", "he"], ["help"]),
    (["ilvm", "help", "vol-de"], ["vol-deactivate", "vol-delete"]),
    (["ilvm", "pool-info", ""], ["san"]),
    (["ilvm", "pool-info", "san", "--b"], ["--bytes"]),
    (["ilvm", "vol-list", "san", "--"], ["--details", "--help", "--json", "--name"]),
    (["ilvm", "vol-info", "--pool", "san", "vm"], ["vm1", "vm2", "vm3"]),
    (["ilvm", "vol-delete", "vm1", "--pool", ""], ["san"]),
    (["ilvm", "vol-create-as", "san", ""], []),   # the new volume's name: nothing to offer
    (["ilvm", "vol-info", "v"], []),               # no pool named yet: no volumes
    (["ilvm", "host-setup", "--host"], ["--host-id"]),
    (["ilvm", "lease-"], ["lease-lost"]),
    (["ilvm", "lease-lost", ""], []),              # a VG, given by lvmlockctl: nothing to offer
]


class CompletionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ilvm-completion-")
        self.env = fake_env(self.tmp, MODULE_DIR)
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(ILVM), os.path.join(bindir, "ilvm"))
        self.env["PATH"] = bindir + os.pathsep + self.env["PATH"]
        define_three_volume_pool(self.tmp, self.env, ILVM, DATA)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def complete(self, words, with_package):
        line = " ".join(words)
        script = ('[ -z "$BC" ] || . "$BC"; . "$COMPLETION"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
                  'COMP_LINE=$LINE; COMP_POINT=${#LINE}; _ilvm; printf "%s\\n" "${COMPREPLY[@]}"')
        env = dict(self.env, BC=BASH_COMPLETION if with_package else "", COMPLETION=COMPLETION, LINE=line)
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", *words], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(w for w in r.stdout.split("\n") if w)

    def test_cases(self):
        modes = [False] + ([True] if os.path.exists(BASH_COMPLETION) else [])
        for with_package in modes:
            for words, expected in CASES:
                with self.subTest(line=" ".join(words), bash_completion=with_package):
                    self.assertEqual(self.complete(words, with_package), expected)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
