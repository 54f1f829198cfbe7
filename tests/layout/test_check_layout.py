#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check_layout.py itself: it passes a small tree that keeps the rules and fails each kind
of violation, so the layout test in the unit suite can fail."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layout.py")


def make_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


SPDX = "// SPDX-License-Identifier: LGPL-2.1-or-later\n"
MESON_SPDX = "# SPDX-License-Identifier: LGPL-2.1-or-later\n"
GOOD = {
    "common/result.hpp": SPDX + "#pragma once\n",
    "host/core/pool_store.hpp": SPDX + '#include "common/result.hpp"\n',
    "shim/hook.cpp": SPDX + '#include "host/core/pool_store.hpp"\n#include "ilvm-config.h"\n',
    "cli/main.cpp": SPDX + '#include "host/core/pool_store.hpp"\n#include "cli/ui/args.hpp"\n',
    "cli/ui/args.hpp": SPDX + '#include "common/result.hpp"\n',
    "shim/meson.build": MESON_SPDX + "executable('50-iscsi-lvm', 'hook.cpp', dependencies : ilvm_host_dep)\n",
    "cli/meson.build": MESON_SPDX + "subdir('ui')\nexecutable('ilvm', 'main.cpp')\n",
}


class CheckLayout(unittest.TestCase):
    raw = {}  # files written exactly as given

    def run_on(self, extra):
        with tempfile.TemporaryDirectory() as tmp:
            files = dict(GOOD)
            for path, text in extra.items():
                files[path] = (MESON_SPDX if path.endswith("meson.build") else SPDX) + text
            files.update(self.raw)
            make_tree(tmp, files)
            r = subprocess.run([sys.executable, CHECKER, tmp], capture_output=True, text=True)
            return r.returncode, r.stdout

    def assert_refused(self, extra, fragment):
        rc, out = self.run_on(extra)
        self.assertEqual(rc, 1, out)
        self.assertIn(fragment, out)

    def test_a_tree_that_keeps_the_rules_passes(self):
        rc, out = self.run_on({})
        self.assertEqual(rc, 0, out)

    def test_shim_including_cli_fails(self):
        self.assert_refused({"shim/hook.cpp": '#include "cli/ui/args.hpp"\n'}, "shim may not use cli-ui")

    def test_cli_including_shim_fails(self):
        self.assert_refused({"cli/main.cpp": '#include "shim/hook.hpp"\n', "shim/hook.hpp": "\n"}, "cli may not use shim")

    def test_a_shared_folder_including_cli_fails(self):
        self.assert_refused({"host/core/pool_store.hpp": '#include "cli/ui/args.hpp"\n'}, "host-core may not use cli-ui")

    def test_an_include_through_a_stray_include_directory_fails(self):
        # What cli/meson.build's include_directories('../shim') made possible: a bare name.
        self.assert_refused({"cli/main.cpp": '#include "hook.hpp"\n', "shim/hook.hpp": "\n"}, "reaches shim/hook.hpp")

    def test_a_meson_file_compiling_another_folders_file_fails(self):
        self.assert_refused({"cli/meson.build": "executable('ilvm', 'main.cpp', '../shim/hook.cpp')\n"},
                            "'../shim/hook.cpp' reaches into another folder")

    def test_include_directories_into_another_folder_fails(self):
        self.assert_refused({"cli/meson.build": "x = include_directories('../shim')\n"}, "adds another folder's headers")

    def test_the_hook_naming_libvirt_fails(self):
        self.assert_refused({"shim/meson.build": "executable('h', 'hook.cpp', dependencies : [ilvm_host_dep, libvirt_dep])\n"},
                            "brings libvirt")

    def test_a_file_without_the_spdx_line_fails(self):
        self.raw = {"common/strings.hpp": "#pragma once\n"}
        self.assert_refused({}, "common/strings.hpp: no 'SPDX-License-Identifier")

    def test_an_spdx_line_below_the_top_fails(self):
        self.raw = {"common/strings.hpp": '#include "common/result.hpp"\n' + SPDX}
        self.assert_refused({}, "common/strings.hpp: no 'SPDX-License-Identifier")

    def test_a_second_build_directory_is_left_out(self):
        # A meson build dir of any name (build-fuzz/) holds generated files of no folder.
        self.raw = {"build-fuzz/meson-private/coredata.dat": "", "build-fuzz/ilvm-config.h": "#pragma once\n",
                    "build-fuzz/gen.cpp": '#include "cli/ui/args.hpp"\n'}
        rc, out = self.run_on({})
        self.assertEqual(rc, 0, out)

    def test_an_include_of_nothing_fails(self):
        self.assert_refused({"cli/main.cpp": '#include "no/such.hpp"\n'}, "names no file of the tree")


if __name__ == "__main__":
    unittest.main(verbosity=2)
