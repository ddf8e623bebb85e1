#!/usr/bin/env bash
# Memory test: every native unit test exe, with its own arguments (taken from
# ctest; a folder for temporary files made its own), runs clean under valgrind
# memcheck: no invalid access, no leak.
# test_store_crash is left out: it SIGKILLs children on purpose.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool valgrind python3
cd "$LW_BUILD_DIR"
ctest --show-only=json-v1 -L unit >"$LW_BUILD_DIR/unit-tests.json"
python3 - "$LW_BUILD_DIR/unit-tests.json" <<'PY'
import json, os, shutil, subprocess, sys, tempfile
tests = json.load(open(sys.argv[1]))["tests"]
# ctest runs this beside the same unit tests (-j): a test's folder for
# temporary files (an argument naming a folder of the build tree; fixtures are
# in the source tree) becomes a folder of this run's own below it, or both
# would write the same leaks.db at once.
build = os.path.realpath(os.environ["LW_BUILD_DIR"])
def private(arg, made):
    if os.path.isdir(arg) and os.path.realpath(arg).startswith(build + os.sep):
        made.append(tempfile.mkdtemp(prefix="valgrind-", dir=arg))
        os.chmod(made[-1], 0o755)  # as open as its parent: test_store_readers reads as another user
        return made[-1]
    return arg
failed = []
for t in tests:
    if t["name"] == "test_store_crash":
        continue
    made = []
    cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
           "--errors-for-leak-kinds=definite,indirect", "--track-fds=no"] + \
        t["command"][:1] + [private(a, made) for a in t["command"][1:]]
    cwd = next((p["value"] for p in t.get("properties", []) if p["name"] == "WORKING_DIRECTORY"), None)
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for d in made:
        shutil.rmtree(d, ignore_errors=True)
    status = "ok" if r.returncode == 0 else "FAIL (exit %d)" % r.returncode
    print("%-24s %s" % (t["name"], status))
    if r.returncode != 0:
        failed.append(t["name"])
        sys.stderr.write(r.stderr[-4000:])
if failed:
    sys.exit("valgrind: %d tests failed: %s" % (len(failed), ", ".join(failed)))
print("valgrind: %d unit tests clean" % (len(tests) - 1))
PY
