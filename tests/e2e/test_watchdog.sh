#!/usr/bin/env bash
# End-to-end test of the poll loop's watchdog and pace events (issue 12): the
# real leakwatch.exe on the simulated host, with a fault asked of the fake
# LSA (LEAKWATCH_FAKEHOST_FAULT, or fakehost.fault beside a service's exe):
#   1. `run`, the poll thread ended inside LsaEnumerateLogonSessions (as
#      Wine's server ended the holder scan's thread): event 1104 on stderr
#      naming it, exit code 14 (LW_SVC_EXIT_STALLED), and no further poll;
#   2. `run`, one poll delayed past three intervals: event 1105 once, then
#      1004 once polls are on time again, every poll made;
#   3. the service (Wine's SCM), its poll thread ended: 1104 in the Event
#      Log, the service STOPPED with service-specific exit code 14, its
#      process gone. (Wine's services.exe has no recovery actions: the
#      restart itself is for Windows, see README.)
#   4. `run`, a poll that never returns: 1104 "a poll has not finished"
#      after the hung-poll limit (60 s at a 1 s interval), exit code 14.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), LW_WINEPREFIX, Wine.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$src/tests/lib/wine-service.sh"
exec_sh=$src/tests/e2e/fakehost-exec.sh
scenario=$src/tests/scenarios/basic.yaml
work=$build/tests/e2e/watchdog
rm -rf "$work"
mkdir -p "$work"
unset LEAKWATCH_FAKEHOST_FAULT

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  checks=$((checks + 1))
  "$@" || fail "$what"
}
show() { echo "--- $1:" >&2; tail -n 20 "$1" >&2; }

# config DIR INTERVAL: a configuration of its own in DIR.
config() {
  mkdir -p "$1"
  printf "poll_interval: %s\ndatabase: '%s'\nmetrics_file: '%s'\n" "$2" "$(winpath "$1/data/h.db")" \
    "$(winpath "$1/leakwatch.prom")" >"$1/leakwatch.yaml"
}

# run_faulted NAME FAULT INTERVAL POLLS: `leakwatch run` with the fault; sets rc.
run_faulted() {
  local d=$work/$1
  config "$d" "$3"
  rc=0
  LEAKWATCH_FAKEHOST_FAULT=$2 LEAKWATCH_FAKEHOST_STATS=$d/fakehost.stats timeout 300 "$exec_sh" \
    "$scenario" -- run --polls "$4" --config "$(winpath "$d/leakwatch.yaml")" >"$d/out" 2>"$d/err" || rc=$?
}

# --- 1. the poll thread ends ------------------------------------------------
run_faulted exit-thread "exit-thread 3" 200ms 10
d=$work/exit-thread
check "exit-thread: exit code is $rc, expected 14" [ "$rc" = 14 ]
check "exit-thread: no 1104 'the poll thread ended' on stderr" \
  grep -q 'LeakWatch stopped polling: the poll thread ended' "$d/err"
check "exit-thread: 1104 does not name the 2 polls made" grep -q 'after 2 polls' "$d/err"
calls=$(sed -n 's/^lsa_enumerate_calls=//p' "$d/fakehost.stats" | tr -d '\r')
check "exit-thread: the host saw $calls enumerations, expected 3 (none after the thread ended)" [ "$calls" = 3 ]
[ "$failures" -eq 0 ] || show "$d/err"

# --- 2. a late poll, then on time again --------------------------------------
run_faulted delay "delay 3 1500" 300ms 8
d=$work/delay
check "delay: exit code is $rc, expected 0" [ "$rc" = 0 ]
check "delay: 1105 not raised exactly once" [ "$(grep -c 'LeakWatch polls are late' "$d/err")" = 1 ]
check "delay: 1105 does not name collection as the longest part" \
  grep -q 'The longest part was collecting the logon and terminal sessions' "$d/err"
check "delay: 1004 not raised exactly once" [ "$(grep -c 'LeakWatch polls on time again' "$d/err")" = 1 ]
check "delay: not every poll made" grep -qx 'leakwatch_polls_total 8' <(tr -d '\r' <"$d/leakwatch.prom")
check "delay: late polls not counted" grep -qx 'leakwatch_polls_late_total 1' <(tr -d '\r' <"$d/leakwatch.prom")
[ "$failures" -eq 0 ] || show "$d/err"

# --- 3. the service's poll thread ends ---------------------------------------
svc=$work/service
mkdir -p "$svc"
trap 'lw_wine_end' EXIT
lw_wine_clean_machine "$svc"
lw_wine_start_logging "$svc/wine.log" || fail "could not start services.exe with its log"
lw_fakehost_service "$scenario" || fail "service: could not set up the service on the simulated host"
printf 'exit-thread 4\n' >"$app/fakehost.fault"
printf 'poll_interval: 200ms\n' >"$data/leakwatch.yaml"
lw_sc start LeakWatch >/dev/null || fail "service: sc start failed: $(lw_query LeakWatch)"
stopped=0
# 60 s: 4 polls of 200 ms, the watchdog's 1 s look, Wine's start.
lw_wait_state LeakWatch STOPPED 60 && stopped=1
state=$(lw_query LeakWatch)
check "service: not STOPPED after its poll thread ended: $state" [ "$stopped" = 1 ]
check "service: no service-specific exit code 14: $state" grep -Eq 'SERVICE_EXIT_CODE *: *14\b' <<<"$state"
for _ in $(seq 100); do
  lw_service_alive || break
  sleep 0.1
done
alive=0
lw_service_alive && alive=1
check "service: its process still runs after the watchdog's stop" [ "$alive" = 0 ]
python3 "$src/tests/e2e/eventlog-from-wine.py" <"$svc/wine.log" >"$svc/eventlog.txt" ||
  fail "service: could not read the Event Log calls from $svc/wine.log"
check "service: no 1104 in the Event Log" grep -q '^id=1104 type=error the poll thread ended' "$svc/eventlog.txt"
check "service: 1104 without exit code 14" grep -q '^id=1104 .*| 14$' "$svc/eventlog.txt"
[ "$failures" -eq 0 ] || { show "$svc/eventlog.txt"; echo "$state" >&2; }
lw_wine_end
trap - EXIT

# --- 4. a poll that never returns ---------------------------------------------
run_faulted hang "hang 2" 1s 10
d=$work/hang
check "hang: exit code is $rc, expected 14" [ "$rc" = 14 ]
check "hang: no 1104 'a poll has not finished'" \
  grep -q 'LeakWatch stopped polling: a poll has not finished ([6-9][0-9].[0-9] seconds since the last poll began, while collecting the logon and terminal sessions)' "$d/err"
[ "$failures" -eq 0 ] || show "$d/err"

echo "test_watchdog: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
