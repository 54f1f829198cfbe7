#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The e2e runner's per-set settings (tests/e2e/scenarios/ilvm_scenarios.py, use_set()) are
module globals. A second module-level assignment of one of those names silently replaces
either the setting or the other value: VIRT_INSTALL was both the set's "run the virt-install
recipe" flag and the recipe's argv, so `--set full` crashed in `agent` with "bool + list"
after two hours of lab (full16, 2026-12-06). This reads the runner's source (no lab, no root)
and fails on any name use_set() declares global that the module assigns more than once, or
a set that lacks a key another set has."""
import ast
import os
import sys
import unittest

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "ilvm_scenarios.py")


def module_assignments(tree):
    counts = {}
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            for t in node.targets:
                targets += [t] if isinstance(t, ast.Name) else [e for e in getattr(t, "elts", []) if isinstance(e, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            targets = [node.target]
        for t in targets:
            counts[t.id] = counts.get(t.id, 0) + 1
    return counts


class ScenarioSettings(unittest.TestCase):
    def setUp(self):
        with open(RUNNER) as f:
            self.tree = ast.parse(f.read(), RUNNER)

    def test_each_set_setting_has_one_module_level_name(self):
        use_set = next(n for n in self.tree.body if isinstance(n, ast.FunctionDef) and n.name == "use_set")
        settings = {name for n in ast.walk(use_set) if isinstance(n, ast.Global) for name in n.names}
        self.assertTrue(settings, "use_set() declares no globals: the runner changed shape, update this test")
        counts = module_assignments(self.tree)
        twice = sorted(name for name in settings if counts.get(name, 0) > 1)
        self.assertEqual(twice, [], "set by use_set() and assigned again at module level: %s" % twice)

    def test_every_set_has_the_same_keys(self):
        sets = next(n for n in self.tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "SETS" for t in n.targets))
        keys = {}
        for k, v in zip(sets.value.keys, sets.value.values):
            keys[ast.literal_eval(k)] = {ast.literal_eval(x) for x in v.keys}
        first = next(iter(keys.values()))
        for name, ks in keys.items():
            self.assertEqual(ks, first, "set %s has other keys than the others" % name)


if __name__ == "__main__":
    sys.exit(unittest.main())
