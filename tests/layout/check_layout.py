#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tree's dependency rules (docs/architecture.md), checked over #include lines and
meson files. Exit 0 when every rule holds, 1 with one line per violation otherwise.

  * every quoted #include resolves to a file of the tree (or a header the build generates),
    and the including folder may use the included one (ALLOWED below): shim/, cli/ and agent/
    never include each other, shared folders (common/, host/, plugin/) include neither;
  * no meson.build names another folder's files: no '..' in a path, no include_directories
    with a path, no source path into another top-level folder;
  * the hook's meson file names no library that brings libvirt;
  * every source, script and meson file carries the project's SPDX line (LICENSE).

Usage: check_layout.py SOURCE_ROOT
"""
import os
import re
import sys

# Folder -> unit, longest prefix first.
UNITS = [
    ("plugin/include/", "abi"),
    ("plugin/src/sanlock/", "plugin-sanlock"),
    ("plugin/src/iscsi/session_timeouts.", "plugin-iscsi-timing"),
    ("plugin/", "plugin"),
    ("common/", "common"),
    ("host/core/", "host-core"),
    ("host/libvirt/", "host-libvirt"),
    ("host/handover/", "host-handover"),
    ("host/reconcile/", "host-reconcile"),
    ("host/journal/", "host-journal"),
    ("agent/", "agent"),
    ("shim/", "shim"),
    ("cli/ui/", "cli-ui"),
    ("cli/hostprep/", "cli-hostprep"),
    ("cli/", "cli"),
    ("tests/", "tests"),
]

HOST = {"host-core", "host-libvirt", "host-handover", "host-reconcile", "host-journal"}
# What each unit may include besides itself (the one-way order of docs/architecture.md).
ALLOWED = {
    "common": set(),
    "abi": set(),
    "plugin-sanlock": {"common"},
    "plugin-iscsi-timing": set(),
    "plugin": {"common", "abi", "plugin-sanlock", "plugin-iscsi-timing"},
    "host-core": {"common", "abi"},
    "host-libvirt": {"common", "abi", "host-core"},
    "host-handover": {"common", "abi", "host-core", "host-libvirt"},
    "host-reconcile": {"common", "abi", "host-core", "host-libvirt", "host-handover"},
    "host-journal": {"common"},
    "shim": {"common", "abi", "host-core"},
    "agent": {"common", "abi", "plugin-sanlock"} | HOST,
    "cli-ui": {"common"},
    "cli-hostprep": {"common", "cli-ui", "plugin-sanlock", "plugin-iscsi-timing"},
    "cli": {"common", "abi", "cli-ui", "cli-hostprep"} | HOST,
    "tests": None,  # tests may include anything
}
# Headers the build writes (meson.build, xml-schemas/meson.build).
GENERATED = {"ilvm-config.h", "ilvm-embedded-schemas.h"}
# Libraries whose dependency brings libvirt: the hook must name none of them.
LIBVIRT_DEPS = {"libvirt_dep", "libvirt_headers_dep", "ilvm_libvirt_dep", "ilvm_handover_dep", "ilvm_reconcile_dep", "ilvm_verbs_dep"}
SOURCE_SUFFIXES = (".cpp", ".hpp", ".h", ".c")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def unit_of(path):
    for prefix, unit in UNITS:
        if path.startswith(prefix):
            return unit
    return None


def tree_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        # Build directories are not part of the tree, whatever their name (build-fuzz/ of
        # docs/testing.md holds generated headers): meson marks each with meson-private/.
        dirs[:] = [x for x in dirs if not x.startswith(".") and x not in ("build", "subprojects")
                   and not os.path.isdir(os.path.join(d, x, "meson-private"))]
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return out


def resolve(includer, name, known):
    """The tree file an include names: the includer's folder, then the include roots the
    build declares (the source root, plugin/src, plugin/include); else any file of the tree
    ending in that path (what a stray include_directories would reach), or None."""
    for base in (os.path.dirname(includer), "", "plugin/src", "plugin/include"):
        candidate = os.path.normpath(os.path.join(base, name))
        if candidate in known:
            return candidate
    matches = sorted(f for f in known if f.endswith("/" + name))
    return matches[0] if matches else None


def check_includes(root, files, problems):
    known = set(files)
    for f in files:
        if not f.endswith(SOURCE_SUFFIXES):
            continue
        unit = unit_of(f)
        if unit is None:
            problems.append(f"{f}: a source file outside every library folder")
            continue
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for name in INCLUDE.findall(text):
            if name in GENERATED:
                continue
            target = resolve(f, name, known)
            if target is None:
                problems.append(f'{f}: #include "{name}" names no file of the tree')
                continue
            other = unit_of(target)
            allowed = ALLOWED[unit]
            if allowed is None or other == unit or other in allowed:
                continue
            problems.append(f'{f}: #include "{name}" reaches {target}: {unit} may not use {other}')


def meson_strings(text):
    return re.findall(r"'([^'\n]*)'", re.sub(r"#[^\n]*", "", text))


def check_meson(root, files, problems):
    tops = {p.split("/")[0] for p, _ in UNITS}
    for f in files:
        if os.path.basename(f) != "meson.build":
            continue
        folder = os.path.dirname(f)
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        for s in meson_strings(text):
            if "../" in s or s == "..":
                problems.append(f"{f}: '{s}' reaches into another folder")
            elif folder == "" and s.split("/")[0] in tops and s.endswith(SOURCE_SUFFIXES):
                problems.append(f"{f}: '{s}' compiles a file of {s.split('/')[0]}/ from the root")
        for args in re.findall(r"include_directories\(([^)]*)\)", text):
            for s in meson_strings(args):
                if folder not in ("", "plugin") and s != ".":
                    problems.append(f"{f}: include_directories('{s}') adds another folder's headers")
        if folder == "shim":
            for dep in sorted(LIBVIRT_DEPS):
                if re.search(r"\b" + dep + r"\b", text):
                    problems.append(f"{f}: the hook names {dep}, which brings libvirt")


SPDX = "SPDX-License-Identifier: LGPL-2.1-or-later"


def check_spdx(root, files, problems):
    for f in files:
        if f.startswith(("tests/data/", "tests/e2e/recorded/")):
            continue
        if f.endswith(SOURCE_SUFFIXES + (".py",)) or os.path.basename(f) == "meson.build":
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                lines = fh.read(1000).split("\n")
            first = 1 if lines and lines[0].startswith("#!") else 0
            if len(lines) <= first or SPDX not in lines[first]:
                problems.append(f"{f}: no '{SPDX}' line at the top")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    files = tree_files(root)
    problems = []
    check_includes(root, files, problems)
    check_meson(root, files, problems)
    check_spdx(root, files, problems)
    for p in problems:
        print(p)
    checked = sum(1 for f in files if f.endswith(SOURCE_SUFFIXES))
    print(f"{checked} source files and their meson files checked: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
