#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in for lvm/iscsiadm/sanlock/... in CLI tests (ILVM_COMMAND_WRAPPER).

The backend runs `fake_cmd.py <argv...>`. We append the argv as one JSON line to
$ILVM_FAKE_LOG and answer from $ILVM_FAKE_SCRIPT: a JSON list of rules
{"prefix": [...], "exit": N, "stdout": "...", "stderr": "..."}; the last matching rule
wins, no match means exit 0 with no output. A rule with "stdout_seq": [...] answers its
entries in turn (the last repeats), counted in $ILVM_FAKE_LOG.state. A rule with
"sleep": N first records its pid in $ILVM_FAKE_LOG.sleeping and sleeps N seconds (a wedged
command). Nothing is executed."""
import json
import os
import sys
import time


def main() -> int:
    argv = sys.argv[1:]
    with open(os.environ["ILVM_FAKE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    rules = []
    script = os.environ.get("ILVM_FAKE_SCRIPT")
    if script and os.path.exists(script):
        with open(script, encoding="utf-8") as f:
            rules = json.load(f)
    for index in reversed(range(len(rules))):
        rule = rules[index]
        prefix = rule["prefix"]
        if argv[: len(prefix)] == prefix:
            if "sleep" in rule:
                with open(os.environ["ILVM_FAKE_LOG"] + ".sleeping", "w", encoding="utf-8") as f:
                    f.write(str(os.getpid()))
                time.sleep(float(rule["sleep"]))
            if "stdout_seq" in rule:
                state_path = os.environ["ILVM_FAKE_LOG"] + ".state"
                state = {}
                if os.path.exists(state_path):
                    with open(state_path, encoding="utf-8") as f:
                        state = json.load(f)
                n = state.get(str(index), 0)
                seq = rule["stdout_seq"]
                sys.stdout.write(seq[min(n, len(seq) - 1)])
                state[str(index)] = n + 1
                with open(state_path, "w", encoding="utf-8") as f:
                    json.dump(state, f)
            sys.stdout.write(rule.get("stdout", ""))
            sys.stderr.write(rule.get("stderr", ""))
            return int(rule.get("exit", 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
