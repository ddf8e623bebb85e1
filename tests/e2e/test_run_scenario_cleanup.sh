#!/usr/bin/env bash
# run-scenario.sh cleans up after a failure (issue 12): a scenario whose
# logon sessions cannot be read (a broken step: every LSA call fails) never
# advances, so the run fails on its progress limit with a message saying how
# far it got - and afterwards no Wine process of the run's prefix is left
# running, and the prefix is gone.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$src/tests/lib/wine-service.sh"
work=$build/tests/e2e/run_scenario_cleanup
rm -rf "$work"
mkdir -p "$work"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
printf 'poll_interval: 200ms\n' >"$work/config.yaml"
rc=0
LW_SCENARIO_STALL_SECONDS=10 timeout 300 bash "$src/tests/e2e/run-scenario.sh" \
  "$src/tests/fakehost/bad/luid-bad.yaml" "$work/config.yaml" "$work/out" >"$work/log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "run-scenario.sh passed on a host whose steps cannot be read"
[ "$rc" != 124 ] || fail "run-scenario.sh did not end by itself within 300 s"
grep -q 'run-scenario: no step played for [0-9]* s: 0 of 1 steps played' "$work/log" ||
  fail "no progress message saying how far it got"
prefix=$(sed -n 's/^run-scenario: Wine prefix //p' "$work/log" | head -n 1)
if [ -z "$prefix" ]; then
  fail "run-scenario.sh did not say its prefix"
else
  left=$(lw_wine_pids "$prefix")
  [ -z "$left" ] || fail "Wine processes of $prefix still run: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ',')")"
  [ ! -e "$prefix" ] || fail "the prefix $prefix is still there"
  # Clean up for the next runs whatever the check found.
  [ -z "$left" ] || kill -9 $left 2>/dev/null
fi
[ "$failures" -eq 0 ] || { echo "--- run-scenario.sh said:" >&2; tail -n 20 "$work/log" >&2; }
echo "test_run_scenario_cleanup: $((4 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
