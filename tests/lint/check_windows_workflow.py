#!/usr/bin/env python3
"""Checks what .github/workflows/windows.yml promises (issue 18), run by
tests/lint/workflows.sh after actionlint:

  - it runs on push, pull_request, a schedule and tags v*;
  - a job on a Windows runner sets VCPKG_ROOT from the runner's vcpkg,
    configures and builds the `msvc` preset, runs `ctest --preset msvc` with
    the labels `unit` and `windows`, builds the `msi` target and uploads an
    .msi; a tag attaches the MSI to a release;
  - the `msi` target builds installer/leakwatch.wxs with wixl and, where wixl
    is absent, with WiX 3's candle: one .wxs for both;
  - the four real-Windows tests are registered under the label `windows`.

Then it removes each required piece from a copy of the files in turn and
checks that the same checks fail: a check that cannot fail proves nothing.
Usage: check_windows_workflow.py ROOT. Exit 0, or 1 naming what is wrong.
"""
import os
import re
import sys

import yaml

WORKFLOW = ".github/workflows/windows.yml"
INSTALLER = "installer/CMakeLists.txt"
WINDOWS_TESTS = "tests/windows/CMakeLists.txt"
REAL_WINDOWS_TESTS = ("test_real_lsa", "test_real_holders", "test_msi_service", "test_service_soak")
# The commands a step's `run:` must hold, each at the start of a line (any
# spacing), and what each proves.
RUN_COMMANDS = [
    (r"VCPKG_ROOT=\$env:VCPKG_INSTALLATION_ROOT", "VCPKG_ROOT set from the runner's vcpkg"),
    (r"(?m)^\s*cmake\s+--preset\s+msvc\b", "configures the msvc preset"),
    (r"(?m)^\s*cmake\s+--build\s+--preset\s+msvc\b", "builds the msvc preset"),
    (r"(?m)^\s*cmake\s+--build\s+--preset\s+msvc\s+--target\s+msi\b", "builds the msi target"),
    (r"(?m)^\s*ctest\s+--preset\s+msvc\s+-L\s+unit\b", "runs the unit tests"),
    (r"(?m)^\s*ctest\s+--preset\s+msvc\s+-L\s+windows\b", "runs the real-Windows tests (label windows)"),
]


def check(files):
    """Returns the list of problems found in `files` (path -> text)."""
    problems = []
    try:
        wf = yaml.safe_load(files[WORKFLOW])
    except yaml.YAMLError as e:
        return ["%s does not parse: %s" % (WORKFLOW, e)]
    # PyYAML reads the key `on` as True (YAML 1.1).
    on = wf.get("on", wf.get(True)) or {}
    if not isinstance(on, dict):
        return ["%s: `on` is not a mapping" % WORKFLOW]
    for event in ("push", "pull_request", "schedule"):
        if event not in on:
            problems.append("%s: not run on %s" % (WORKFLOW, event))
    if not any(c.get("cron") for c in (on.get("schedule") or [])):
        problems.append("%s: no cron schedule" % WORKFLOW)
    if "v*" not in ((on.get("push") or {}).get("tags") or []):
        problems.append("%s: not run on tags v*" % WORKFLOW)

    jobs = wf.get("jobs") or {}
    windows_jobs = [j for j in jobs.values() if str(j.get("runs-on", "")).startswith("windows")]
    if not windows_jobs:
        problems.append("%s: no job on a Windows runner" % WORKFLOW)
    steps = [s for j in windows_jobs for s in (j.get("steps") or [])]
    runs = "\n".join(s.get("run", "") for s in steps)
    for pattern, what in RUN_COMMANDS:
        if not re.search(pattern, runs):
            problems.append("%s: no step that %s (%s)" % (WORKFLOW, what, pattern))
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    if not any(".msi" in str((s.get("with") or {}).get("path", "")) for s in uploads):
        problems.append("%s: no upload-artifact step with the .msi" % WORKFLOW)
    all_steps = [s for j in jobs.values() for s in (j.get("steps") or [])]
    released = [
        s for s in all_steps
        if str(s.get("uses", "")).startswith("softprops/action-gh-release@")
        or "gh release upload" in s.get("run", "")
    ]
    release_jobs = [j for j in jobs.values() if any(s in released for s in (j.get("steps") or []))]
    if not released:
        problems.append("%s: no step attaches the MSI to a release" % WORKFLOW)
    elif not all("refs/tags/v" in str(j.get("if", "")) for j in release_jobs):
        problems.append("%s: the release job does not run only on tags v*" % WORKFLOW)

    # The msi target: wixl and candle each compile the one leakwatch.wxs.
    inst = files[INSTALLER]
    for tool in ("WIXL_EXECUTABLE", "WIX_CANDLE_EXECUTABLE"):
        m = re.search(r'COMMAND\s+"\$\{%s\}"(.*?)(?=\n\s*(COMMAND|WORKING_DIRECTORY)\b)' % tool, inst, re.S)
        if m is None:
            problems.append("%s: no COMMAND running ${%s}" % (INSTALLER, tool))
        elif '"${CMAKE_CURRENT_SOURCE_DIR}/leakwatch.wxs"' not in m.group(1):
            problems.append("%s: ${%s} does not compile installer/leakwatch.wxs" % (INSTALLER, tool))

    tests = files[WINDOWS_TESTS]
    for t in REAL_WINDOWS_TESTS:
        if not re.search(r"add_test\(NAME %s\b" % t, tests):
            problems.append("%s: %s is not registered" % (WINDOWS_TESTS, t))
    registered_windows = re.search(r"lw_test_properties\(\$\{t\} windows\)", tests) and re.search(
        r"lw_test_properties\(test_real_lsa windows\)", tests) and re.search(
            r"lw_test_properties\(test_real_holders windows\)", tests)
    if not registered_windows:
        problems.append("%s: the tests do not carry the label windows" % WINDOWS_TESTS)
    return problems


# Each mutation removes one required piece; the checks must then fail.
MUTATIONS = [
    (WORKFLOW, r"\n  schedule:\n    - cron: [^\n]*", "\n"),
    (WORKFLOW, r'tags: \["v\*"\]', 'tags: ["release-*"]'),
    (WORKFLOW, r"ctest --preset msvc -L windows", "ctest --preset msvc -L unit"),
    (WORKFLOW, r"cmake --build --preset msvc --target msi", "cmake --build --preset msvc"),
    (WORKFLOW, r"cmake --preset msvc @extra", "cmake --preset mingw @extra"),
    (WORKFLOW, r"path: build/msvc/LeakWatch-\*-x64\.msi", "path: build/msvc/README.md"),
    (WORKFLOW, r"softprops/action-gh-release@", "softprops/action-gh-noop@"),
    (WORKFLOW, r"runs-on: windows-2022", "runs-on: ubuntu-latest"),
    (INSTALLER, r'(-out "\$\{_obj\}" )"\$\{CMAKE_CURRENT_SOURCE_DIR\}/leakwatch\.wxs"',
     r'\1"${CMAKE_CURRENT_SOURCE_DIR}/other.wxs"'),
    (WINDOWS_TESTS, r"lw_test_properties\(test_real_lsa windows\)", "lw_test_properties(test_real_lsa wine)"),
]


def main():
    root = sys.argv[1]
    files = {}
    for rel in (WORKFLOW, INSTALLER, WINDOWS_TESTS):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            files[rel] = f.read()
    problems = check(files)
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: %s builds the msvc preset, runs ctest -L unit and -L windows, builds the MSI "
          "from installer/leakwatch.wxs, uploads it and releases it on tags v*" % WORKFLOW)
    bad = 0
    for rel, pattern, repl in MUTATIONS:
        mutated = dict(files)
        mutated[rel], n = re.subn(pattern, repl, files[rel], count=1)
        if n != 1:
            print("FAIL: mutation %r no longer applies to %s: update the list" % (pattern, rel))
            bad = 1
        elif not check(mutated):
            print("FAIL: %s with %r replaced still passes the checks" % (rel, pattern))
            bad = 1
    if not bad:
        print("ok: each of %d broken copies fails the checks" % len(MUTATIONS))
    return bad


if __name__ == "__main__":
    sys.exit(main())
