#!/usr/bin/env bash
# The scripts meet Wine 8's server crash as they should (tests/lib/wine-server.sh):
# the prefix's wineserver is made to crash (SIGSEGV, as its own bug does; its
# handler then says "wineserver crashed") while
#   1. tests/e2e/run-scenario.sh plays a scenario to the service: the run says
#      the server crashed, plays the scenario once more on a new Wine machine,
#      plays every step, keeps the first server's words in
#      wine.log.wineserver.1 and leaves no process of the first prefix;
#   2. tests/e2e/fakehost-exec.sh runs `leakwatch run --polls`: it says so,
#      runs once more and passes on only the run that counts (every poll made).
# Case 2 uses a build folder of its own (links to the built exe and fakes),
# so that the shared fake-host prefix of the other tests is left alone.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$src/tests/lib/wine-service.sh"
work=$build/tests/e2e/wineserver_crash
rm -rf "$work"
mkdir -p "$work"

failures=0
checks=0
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  "$@" || {
    echo "FAIL: $what" >&2
    failures=$((failures + 1))
  }
}
# server_of PREFIX: the Linux PID of that prefix's wineserver, once it runs.
server_of() {
  local p
  for p in $(lw_wine_pids "$1"); do
    case $(readlink "/proc/$p/exe" 2>/dev/null) in */wineserver*) echo "$p" && return 0 ;; esac
  done
  return 1
}
# crash_when PREFIX STATS N: once the fake's counters STATS show N
# enumerations (the service or program is polling), SIGSEGV the server.
crash_when() {
  local n pid
  for _ in $(seq 1200); do
    n=$(sed -n 's/^lsa_enumerate_calls=//p' "$2" 2>/dev/null | tr -d '\r' | tail -n 1)
    if [ -n "$n" ] && [ "$n" -ge "$3" ] && pid=$(server_of "$1"); then
      kill -SEGV "$pid" && echo "crashed the wineserver $pid of $1 after $n polls" && return 0
    fi
    sleep 0.1
  done
  echo "FAIL: $2 never showed $3 polls in 120 s" >&2
  return 1
}

# --- 1. run-scenario.sh ------------------------------------------------------
scen=$src/tests/scenarios/leak-one.yaml
printf 'poll_interval: 200ms\n' >"$work/config.yaml"
timeout 600 bash "$src/tests/e2e/run-scenario.sh" "$scen" "$work/config.yaml" "$work/out" >"$work/log" 2>&1 &
runner=$!
# (Once the service runs and the play begins: a crash while msiexec installs
# would leave msiexec waiting, the case of lw_try's time limit.)
prefix=
for _ in $(seq 1800); do
  if grep -q '^run-scenario: the service runs; playing' "$work/log"; then
    prefix=$(sed -n 's/^run-scenario: Wine prefix //p' "$work/log" | head -n 1)
    break
  fi
  sleep 0.1
done
check "run-scenario.sh did not start playing in 180 s" [ -n "$prefix" ]
[ -z "$prefix" ] || crash_when "$prefix" "$prefix/drive_c/Program Files/LeakWatch/fakehost.stats" 3
rc=0
wait "$runner" || rc=$?
steps=$(sed -n 's/^steps: *//p' "$scen")
check "run-scenario.sh exited $rc after the crash, expected 0 (a second play)" [ "$rc" = 0 ]
check "run-scenario.sh did not say the server crashed" \
  grep -q 'run-scenario: the wineserver crashed during this run: wineserver crashed' "$work/log"
check "run-scenario.sh did not say it plays once more" \
  grep -q 'run-scenario: retry: playing the scenario once more on a new Wine machine' "$work/log"
check "the first server's words are not kept in wine.log.wineserver.1" \
  grep -q 'wineserver crashed' "$work/out/wine.log.wineserver.1"
check "the second play did not play all $steps steps" grep -q "run-scenario: $steps steps played" "$work/log"
played=$(sed -n 's/^lsa_enumerate_calls=//p' "$work/out/fakehost.stats" 2>/dev/null | tr -d '\r')
check "the second play's host saw ${played:-no} enumerations, expected more than $steps" \
  [ "${played:-0}" -gt "$steps" ]
if [ -n "$prefix" ]; then
  left=$(lw_wine_pids "$prefix")
  check "Wine processes of the first prefix $prefix still run: $left" [ -z "$left" ]
  [ -z "$left" ] || kill -9 $left 2>/dev/null
fi
[ "$failures" -eq 0 ] || { echo "--- run-scenario.sh said:" >&2; tail -n 30 "$work/log" >&2; }

# --- 2. fakehost-exec.sh -----------------------------------------------------
own=$work/build
mkdir -p "$own/service" "$own/fakehost"
ln -s "$build/service/leakwatch.exe" "$own/service/leakwatch.exe"
ln -s "$build/fakehost/secur32.dll" "$own/fakehost/secur32.dll"
ln -s "$build/fakehost/wtsapi32.dll" "$own/fakehost/wtsapi32.dll"
polls=40
cat >"$work/run.yaml" <<YAML
poll_interval: 200ms
database: 'Z:$work/run/history.db'
metrics_file: 'Z:$work/run/leakwatch.prom'
YAML
mkdir -p "$work/run"
rc=0
LW_BUILD_DIR=$own LEAKWATCH_FAKEHOST_STATS=$work/run/fakehost.stats timeout 600 \
  bash "$src/tests/e2e/fakehost-exec.sh" "$src/tests/scenarios/basic.yaml" -- run --polls "$polls" \
  --config "Z:$work/run.yaml" >"$work/run.out" 2>"$work/run.err" &
runner=$!
crash_when "$own/fakehost-prefix" "$work/run/fakehost.stats" 3
wait "$runner" || rc=$?
check "fakehost-exec.sh exited $rc after the crash, expected 0 (a second run)" [ "$rc" = 0 ]
check "fakehost-exec.sh did not say the server crashed" \
  grep -q "fakehost-exec: the wineserver crashed while 'leakwatch.exe run --polls $polls" "$work/run.err"
check "fakehost-exec.sh did not say it runs once more" \
  grep -q 'fakehost-exec: retry: once more on a new server' "$work/run.err"
made=$(sed -n 's/^leakwatch_polls_total //p' "$work/run/leakwatch.prom" 2>/dev/null | tr -d '\r')
check "the second run made ${made:-no} polls, expected $polls" [ "${made:-0}" = "$polls" ]
check "the first run's output was passed on too" [ "$(grep -c 'The LeakWatch service .* started' "$work/run.err")" = 1 ]
WINEPREFIX=$own/fakehost-prefix "$WINESERVER" -k 2>/dev/null || true
lw_wine_kill_prefix "$own/fakehost-prefix"
[ "$failures" -eq 0 ] || { echo "--- fakehost-exec.sh said:" >&2; tail -n 30 "$work/run.err" >&2; }

echo "test_wineserver_crash: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
