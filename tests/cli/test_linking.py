#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `ilvm`, the qemu hook and the backend module link (issue 16): not libvirt, which they
load only when a verb first talks to libvirt (host/libvirt/libvirt_api.hpp, the module's
secret provider). Linked, libvirt and its own libraries cost every `ilvm` run and every hook
call their dynamic linking. ilvmd links it (libvirt-glib needs it). Nor libsystemd, which
`ilvm` loads only to send a journal entry (host/journal/journal_log.cpp): linked, it and the
five libraries it brings cost every run ~2.3 ms. ilvmd links it for sd_notify.

Usage: test_linking.py <ilvm> <hook> <module> <ilvmd>"""
import subprocess
import sys
import unittest

from cli_helpers import needed

ILVM, HOOK, MODULE, ILVMD = sys.argv[1:5]


class Linking(unittest.TestCase):
    def test_ilvm_the_hook_and_the_module_do_not_link_libvirt(self):
        for binary in (ILVM, HOOK, MODULE):
            libs = needed(binary)
            self.assertTrue(libs, binary)   # readelf read it
            self.assertEqual([l for l in libs if l.startswith("libvirt")], [], binary)

    def test_ilvm_the_hook_and_the_module_do_not_link_libsystemd(self):
        for binary in (ILVM, HOOK, MODULE):
            self.assertEqual([l for l in needed(binary) if l.startswith("libsystemd")], [], binary)

    def test_the_agent_links_libsystemd(self):
        self.assertIn("libsystemd.so.0", needed(ILVMD))

    def test_the_agent_links_libvirt(self):
        # The check above would pass on any binary if needed() read nothing: here it must find it.
        self.assertIn("libvirt.so.0", needed(ILVMD))

    def test_ilvm_help_runs_without_loading_libvirt(self):
        r = subprocess.run([ILVM, "--help"], capture_output=True, text=True, timeout=60,
                           env={"LD_DEBUG": "libs", "PATH": "/usr/bin:/bin"})
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        initialised = [l.split("calling init:")[1].strip() for l in r.stderr.splitlines() if "calling init:" in l]
        self.assertTrue(initialised, "LD_DEBUG said nothing: the check below would mean nothing")
        self.assertEqual([l for l in initialised if "libvirt" in l], [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
