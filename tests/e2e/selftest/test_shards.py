#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lab runner's shards (tests/e2e/scenarios/shards.py), without a lab: the groups of the
real ci and full sets cover every scenario, each with its prerequisites, in the runner's
order, multipath and lun-loss in one group, balanced; run() prefixes each child's lines and
returns the worst exit code."""
import contextlib
import importlib.util
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..")
sys.path.insert(0, E2E)

from scenarios import shards  # noqa: E402


def load_runner():
    spec = importlib.util.spec_from_file_location("ilvm_scenarios", os.path.join(E2E, "scenarios", "ilvm_scenarios.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner


R = load_runner()


def the_set(name):
    return [s for s in R.ORDER if s not in R.ON_REQUEST and (name == "full" or s not in R.FULL_ONLY)]


def cost(group, set_name="ci"):
    return sum(R.SHARD_ESTIMATES[set_name].get(s, 300) for s in group)


class Plan(unittest.TestCase):
    def check(self, wanted, n, set_name="ci"):
        groups = shards.plan(wanted, R.NEEDS, R.ORDER, R.SHARD_ESTIMATES[set_name], n, R.SHARD_TOGETHER)
        self.assertEqual(len(groups), n)
        self.assertEqual(set().union(*groups), shards.closure(wanted, R.NEEDS))
        for g in groups:
            self.assertEqual(g, [s for s in R.ORDER if s in g], "not in the runner's order: %s" % g)
            self.assertEqual(set(g), shards.closure(g, R.NEEDS), "a prerequisite missing: %s" % g)
            if {"multipath", "lun-loss"} <= set(wanted):
                self.assertEqual("multipath" in g, "lun-loss" in g, "multipath and lun-loss apart: %s" % g)
        return groups

    def test_every_set_has_estimates_of_its_scenarios(self):
        for name in R.SETS:
            self.assertEqual(sorted(set(the_set(name)) - set(R.SHARD_ESTIMATES[name])), [], name)

    def test_one_shard_is_the_whole_set(self):
        self.assertEqual(self.check(the_set("ci"), 1), [the_set("ci")])

    def test_the_ci_set_in_two_balanced_groups(self):
        groups = self.check(the_set("ci"), 2)
        heavy, light = max(map(cost, groups)), min(map(cost, groups))
        self.assertLess(heavy / light, 1.2, groups)
        self.assertLess(heavy, 0.6 * cost(the_set("ci")), groups)

    def test_the_full_set_in_two_and_three(self):
        for n in (2, 3):
            groups = self.check(the_set("full"), n, "full")
            heavy = max(cost(g, "full") for g in groups)
            self.assertLess(heavy, 0.7 * cost(the_set("full"), "full"), groups)

    def test_named_scenarios_bring_their_prerequisites(self):
        groups = self.check(["agent", "lun-loss"], 2)
        self.assertIn(["two-hosts", "hook", "mirror", "agent"], groups)
        self.assertIn(["two-hosts", "hook", "lun-loss"], groups)

    def test_a_prerequisite_gets_no_lab_of_its_own(self):
        # The demo's pair, named: hook needs two-hosts, so one lab runs both.
        self.assertEqual(shards.plan(["two-hosts", "hook"], R.NEEDS, R.ORDER, R.SHARD_ESTIMATES["ci"], 2),
                         [["two-hosts", "hook"]])

    def test_never_more_groups_than_scenarios(self):
        self.assertEqual(shards.plan(["newcomer"], R.NEEDS, R.ORDER, R.SHARD_ESTIMATES["ci"], 3), [["newcomer"]])


class Run(unittest.TestCase):
    def child(self, i, group, rc):
        return [sys.executable, "-c", "import sys; print('ran ' + ' '.join(sys.argv[1:])); sys.exit(%d)" % rc] + group

    def run_codes(self, codes):
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            rc = shards.run([["g%d" % i] for i in range(len(codes))], lambda i, g: self.child(i, g, codes[i - 1]))
        return rc, text.getvalue()

    def test_lines_prefixed_and_all_passed(self):
        rc, text = self.run_codes([0, 0])
        self.assertEqual(rc, 0)
        self.assertIn("[1] ran g0\n", text)
        self.assertIn("[2] ran g1\n", text)

    def test_a_failed_shard_fails_the_run(self):
        self.assertEqual(self.run_codes([0, 1])[0], 1)
        self.assertEqual(self.run_codes([77, 1])[0], 1)

    def test_skipped_only_when_every_shard_skipped(self):
        self.assertEqual(self.run_codes([77, 77])[0], 77)
        self.assertEqual(self.run_codes([77, 0])[0], 0)


if __name__ == "__main__":
    sys.exit(unittest.main())
