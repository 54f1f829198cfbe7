#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in for lvm/iscsiadm/sanlock/... in CLI tests (ILVM_COMMAND_WRAPPER).

The backend runs `fake_cmd.py <argv...>`. We append the argv as one JSON line to
$ILVM_FAKE_LOG and answer from $ILVM_FAKE_SCRIPT: a JSON list of rules
{"prefix": [...], "exit": N, "stdout": "...", "stderr": "..."}; the last matching rule
wins, no match means exit 0 with no output. A rule with "stdout_seq": [...] answers its
entries in turn (the last repeats), counted in $ILVM_FAKE_LOG.state; "answers": [{"exit",
"stdout", "stderr"}, ...] likewise with whole answers (a failure, then a success). A rule with
"sleep": N first records its pid in $ILVM_FAKE_LOG.sleeping and sleeps N seconds (a wedged
command). With $ILVM_FAKE_LVM naming a JSON file, lvs/lvcreate/lvchange/lvremove that no rule
answers with output or an exit status act on the LVs listed there (a tiny LVM: creates,
activations, tags, renames, extensions, removals; one process at a time under an flock), so concurrent ilvm runs see
each other's volumes. An lvs that asks for the VG's fields (-o …,vg_free,vg_extent_size) gets
them on each LV row, as LVM prints them, from the VG of tests/data/lvm/vgs_vg_san.json
(recorded reports of lvs have only the LV fields). Nothing is executed."""
import fcntl
import json
import os
import sys
import time

LVS_FIELDS = ("lv_name", "lv_uuid", "lv_size", "lv_path", "lv_active_locally", "lv_active_exclusively",
              "lv_device_open", "lv_skip_activation", "lv_autoactivation", "lv_lockargs", "lv_tags")


def fake_lvm(argv, path):
    """(exit, stdout, stderr) of an LVM command on the LVs in `path`, or None if not LVM's."""
    if argv[0] not in ("lvs", "lvcreate", "lvchange", "lvremove", "lvrename", "lvextend"):
        return None
    with open(path + ".lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path, encoding="utf-8") as f:
            lvs = json.load(f)
        vg = "vg_san"
        out, rc, err = "", 0, ""
        target = argv[-1].split("/")[-1]
        if argv[0] == "lvs":
            rows = []
            for i, (name, lv) in enumerate(sorted(lvs.items())):
                rows.append({"lv_name": name, "lv_uuid": "uuid-" + name, "lv_size": str(lv.get("size", 1073741824)),
                             "lv_path": "/dev/%s/%s" % (vg, name), "lv_active_locally": "1" if lv.get("active") else "0",
                             "lv_active_exclusively": "1" if lv.get("active") == "ex" else "0", "lv_device_open": "0",
                             "lv_skip_activation": "1", "lv_autoactivation": "0",
                             "lv_lockargs": "1.0.0:%d" % (70254592 + i * 1048576), "lv_tags": ",".join(lv.get("tags", []))})
            out = json.dumps({"report": [{"lv": rows}]})
        elif argv[0] == "lvcreate":
            name = argv[argv.index("--name") + 1]
            # As lvm2 2.03.16 does (tests/data/lvm/lvcreate_*.txt): the name checked, the size
            # rounded up to whole extents and checked against the VG's free space.
            extent, free = int(VG_SPACE["vg_extent_size"]), int(VG_SPACE["vg_free"])
            extents = -(-int(argv[argv.index("--size") + 1].rstrip("b")) // extent)
            if name in lvs:
                rc, err = 5, '  Logical Volume "%s" already exists in volume group "%s"\n' % (name, vg)
            elif extents * extent > free:
                rc, err = 5, '  Volume group "%s" has insufficient free space (%d extents): %d required.\n' % (
                    vg, free // extent, extents)
            else:
                tags = [argv[i + 1] for i, a in enumerate(argv) if a == "--addtag"]
                lvs[name] = {"size": extents * extent, "tags": tags}
                if argv[argv.index("--activate") + 1] == "ey":   # created locked (a snapshot's new top)
                    lvs[name]["active"] = "ex"
        elif argv[0] == "lvrename":
            old = argv[-2].split("/")[-1]
            if old not in lvs:
                rc, err = 5, '  Existing logical volume "%s" not found in volume group "%s"\n' % (old, vg)
            elif target in lvs:
                rc, err = 5, '  Logical Volume "%s" already exists in volume group "%s"\n' % (target, vg)
            else:
                lvs[target] = lvs.pop(old)
        elif target not in lvs:
            rc, err = 5, '  Failed to find logical volume "%s/%s"\n' % (vg, target)
        elif argv[0] == "lvremove":
            del lvs[target]
        elif argv[0] == "lvextend":
            lvs[target]["size"] = int(argv[argv.index("--size") + 1].rstrip("b"))
        elif "-aey" in argv or "-asy" in argv:
            lvs[target]["active"] = "ex" if "-aey" in argv else "sh"
        elif "-an" in argv:
            lvs[target].pop("active", None)
        elif "--deltag" in argv or "--addtag" in argv:
            gone = [argv[i + 1] for i, a in enumerate(argv) if a == "--deltag"]
            added = [argv[i + 1] for i, a in enumerate(argv) if a == "--addtag"]
            lvs[target]["tags"] = [t for t in lvs[target].get("tags", []) if t not in gone] + added
        with open(path, "w", encoding="utf-8") as f:
            json.dump(lvs, f)
        return rc, out, err


VG_SPACE = {"vg_free": "9659482112", "vg_extent_size": "4194304"}   # tests/data/lvm/vgs_vg_san.json


def with_vg_fields(argv, out):
    """`out` (an lvs JSON report) with the VG fields `argv` asks for on each LV row."""
    fields = argv[argv.index("-o") + 1].split(",") if "-o" in argv else []
    wanted = {k: v for k, v in VG_SPACE.items() if k in fields}
    if argv[0] != "lvs" or not wanted or not out.strip():
        return out
    report = json.loads(out)
    for part in report.get("report", []):
        for row in part.get("lv", []):
            for k, v in wanted.items():
                row.setdefault(k, v)
    return json.dumps(report)


def next_in_turn(index):
    """How many times rule `index` gave one of its "answers" before, counted in $ILVM_FAKE_LOG.state."""
    state_path = os.environ["ILVM_FAKE_LOG"] + ".state"
    state = {}
    if os.path.exists(state_path):
        with open(state_path, encoding="utf-8") as f:
            state = json.load(f)
    n = state.get("answers-%d" % index, 0)
    state["answers-%d" % index] = n + 1
    with open(state_path, "w", encoding="utf-8") as f:
        json.dump(state, f)
    return n


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
            if "answers" in rule:
                rule = dict(rule, **rule["answers"][min(next_in_turn(index), len(rule["answers"]) - 1)])
            if "stdout_seq" in rule:
                state_path = os.environ["ILVM_FAKE_LOG"] + ".state"
                state = {}
                if os.path.exists(state_path):
                    with open(state_path, encoding="utf-8") as f:
                        state = json.load(f)
                n = state.get(str(index), 0)
                seq = rule["stdout_seq"]
                sys.stdout.write(with_vg_fields(argv, seq[min(n, len(seq) - 1)]))
                state[str(index)] = n + 1
                with open(state_path, "w", encoding="utf-8") as f:
                    json.dump(state, f)
            if os.environ.get("ILVM_FAKE_LVM") and not any(k in rule for k in ("stdout", "stdout_seq", "exit")):
                break   # only a delay: the fake LVM answers
            sys.stdout.write(with_vg_fields(argv, rule.get("stdout", "")) if int(rule.get("exit", 0)) == 0
                             else rule.get("stdout", ""))
            sys.stderr.write(rule.get("stderr", ""))
            return int(rule.get("exit", 0))
    if os.environ.get("ILVM_FAKE_LVM"):
        answer = fake_lvm(argv, os.environ["ILVM_FAKE_LVM"])
        if answer is not None:
            sys.stdout.write(with_vg_fields(argv, answer[1]) if answer[0] == 0 else answer[1])
            sys.stderr.write(answer[2])
            return answer[0]
    return 0


if __name__ == "__main__":
    sys.exit(main())
