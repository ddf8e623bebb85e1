#!/usr/bin/env python3
"""Every file the repository refers to is in the repository (issue 15, item 8).

Scans the tracked text files of a tree for repository paths (those under
common/, service/, tests/, config/, installer/, cmake/, .ci/ and .github/) and
says each one that names no file or folder, looked up from the tree's root and
from the referring file's folder (CMake lists name their sources relatively).
A path naming a built file (token_grabber.exe) counts when its source is there.
Placeholders (NAME, TARGET, N) and globs are not paths. It also refuses any
mention of places outside the repository: the team's shared folder, the
developers' machines, notes kept elsewhere. The project describes what it
needs from them in its own files (tests/scenarios/README.md, README's "Under
Wine").

Usage: doc_refs.py TREE   (TREE a git work tree, or any folder: then every file)
Prints one line per fault, "FILE:LINE: ...", and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

TOP = r"(?:\.ci|\.github|cmake|common|config|installer|service|tests)"
PATH = re.compile(r"(?<![\w./-])(" + TOP + r"/[\w./-]*\w)")
# Outside the repository: the team folder beside the clone and its files.
OUTSIDE = re.compile(r"\.\./shared\b|\bWINE-NOTES\.md\b|\bSCENARIO-FORMAT\.md\b|(?<![\w.])/work/")
PLACEHOLDER = re.compile(r"(?:^|[/._-])(?:NAME|TARGET|N|X|ID|CMD|PRESET)(?:$|[/._-])")
BUILT = {".exe": (".c",), ".dll": (".c", ".def"), ".msi": (".wxs",)}
# This lint's own self-test writes the faults it must find; layering.sh's
# self-test makes up a tree of its own.
SELF = {"tests/lint/doc_refs.py", "tests/lint/doc-refs.sh", "tests/lint/layering.sh"}


def tracked(tree):
    try:
        out = subprocess.run(["git", "-C", tree, "ls-files", "-z"], capture_output=True,
                             check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, _, names in os.walk(tree):
            found += [os.path.relpath(os.path.join(d, n), tree) for n in names]
        return found


def exists(tree, referrer, path):
    for base in (tree, os.path.join(tree, os.path.dirname(referrer))):
        p = os.path.normpath(os.path.join(base, path.rstrip(".")))
        if os.path.exists(p):
            return True
        stem, ext = os.path.splitext(p)
        if any(os.path.exists(stem + src) for src in BUILT.get(ext, ())):
            return True
    return False


def check(tree):
    faults = []
    for rel in sorted(tracked(tree)):
        if rel in SELF:
            continue
        try:
            with open(os.path.join(tree, rel), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue  # binary: a PNG, an MSI
        for n, line in enumerate(lines, 1):
            m = OUTSIDE.search(line)
            if m:
                faults.append(f"{rel}:{n}: refers to '{m.group(0)}', outside the repository")
            for m in PATH.finditer(line):
                path = m.group(1)
                if "*" in path or PLACEHOLDER.search(path) or "/build/" in f"/{path}":
                    continue
                if not exists(tree, rel, path):
                    faults.append(f"{rel}:{n}: '{path}' is not in the repository")
    return faults


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    faults = check(sys.argv[1])
    for f in faults:
        print(f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
