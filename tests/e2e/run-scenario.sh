#!/usr/bin/env bash
# run-scenario.sh - plays a simulated RDS host to the real LeakWatch service.
#
# usage: tests/e2e/run-scenario.sh SCENARIO.yaml CONFIG.yaml OUTDIR
#
# From the project root. Sets up what it needs: the packages and the mingw
# build (LW_BUILD_DIR, default build/mingw) when the exe is missing, the
# build's Wine prefix when it is not there yet. In a fresh copy of that
# prefix, puts the fake
# secur32.dll / wtsapi32.dll and the scenario (as fakehost.yaml) into
# C:\Program Files\LeakWatch with the per-app DllOverrides for leakwatch.exe,
# and CONFIG.yaml as %ProgramData%\LeakWatch\leakwatch.yaml; installs the built
# MSI (which starts the service; without an MSI the exe is registered with
# `sc create`), lets the service poll until every step has been played, stops
# it, and leaves in OUTDIR:
#   history.db    the service's SQLite history
#   eventlog.txt  one line per ReportEventW call, in order:
#                 id=<event ID> type=<information|warning|error> <inserts joined by " | ">
#   alerts.txt    the alerts as Event Viewer shows them (`leakwatch events`)
#   wine.log      what Wine's eventlog/advapi channels and the service printed
#   fakehost.stats  the fake DLLs' call counters
# Exits non-zero with a clear message if any of that could not be done: a
# service that stops advancing through the steps for LW_SCENARIO_STALL_SECONDS
# (default 60, and at least 20 poll intervals) fails the run with how far it
# got. Every Wine process of the run's prefix is ended before the prefix is
# removed, whether the run passed or failed.
#
# Restart mid-scenario (optional; both variables or neither):
#   LW_SCENARIO_RESTART_AT_STEP=N   once the fake has seen N enumerations
#                                   (steps 0..N-1 played), stop the service;
#   LW_SCENARIO_RESTART_WITH=FILE   then make FILE the host (the fakes start
#                                   again at its step 0, so FILE's step 0 must
#                                   be the host as SCENARIO left it, WTS
#                                   sessions alive across the restart starting
#                                   at step 0 in both files: the fake reports a
#                                   WTS session's `from` as its LogonTime),
#                                   start the service again in the same Wine
#                                   session (same boot), and play all of FILE.
# The outputs are the same, covering both runs (eventlog.txt then has two
# 1000 and two 1001); fakehost.stats is FILE's run, and fakehost-1.stats the
# run before the restart.
#
# An operator's action mid-scenario (optional; both variables or neither,
# not with a restart):
#   LW_SCENARIO_AT_STEP=N      once the fake has seen N enumerations,
#   LW_SCENARIO_AT_STEP_RUN=F  run the bash script F while the service keeps
#                              polling, with WINE64, LW_EXE (the built exe)
#                              and LW_OUT (OUTDIR) in its environment; its
#                              failure fails the run (issue 15: `leakwatch
#                              ack` beside the running service).
#
# LW_SCENARIO_STATUS=1 (optional): `leakwatch status --json` is run in the
# run's prefix once every step is played while the service still runs, and
# again once it has stopped, into OUTDIR/status-running.json and
# status-stopped.json, with their exit codes in status-running.rc and
# status-stopped.rc (issue 15: the verdicts against the real SCM).
set -eEuo pipefail

args=("$@")
play_try=${LW_SCENARIO_ATTEMPT:-1}
# die: fails the run, saying why. When the prefix's wineserver crashed (a
# Wine bug that ends every process of the prefix: tests/lib/wine-server.sh),
# the run is said to have met it and is played once more from the start on a
# new Wine machine; the first try's server log is kept as wine.log.wineserver.1.
die() {
  echo "run-scenario: $*" >&2
  if [ -n "${out:-}" ] && [ "$(lw_server_crashes "$out/wine.log.wineserver")" != 0 ]; then
    echo "run-scenario: the wineserver crashed during this run: $(lw_crash_said "$out/wine.log.wineserver" | tr '\n' ' ')" >&2
    if [ "$play_try" = 1 ]; then
      echo "run-scenario: retry: playing the scenario once more on a new Wine machine" >&2
      trap - EXIT
      lw_wine_end
      rm -rf "${work:-}"
      mv "$out/wine.log.wineserver" "$out/wine.log.wineserver.1"
      unset WINEPREFIX LW_WINE_LOG
      LW_SCENARIO_ATTEMPT=2 exec bash "${BASH_SOURCE[0]}" "${args[@]}"
    fi
  fi
  exit 1
}
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
[ $# -eq 3 ] || die "usage: tests/e2e/run-scenario.sh SCENARIO.yaml CONFIG.yaml OUTDIR"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scenario=$(realpath "$1" 2>/dev/null) && [ -f "$scenario" ] || die "no scenario file '$1'"
config=$(realpath "$2" 2>/dev/null) && [ -f "$config" ] || die "no configuration file '$2'"
out=$(realpath -m "$3")
build=$(realpath -m "${LW_BUILD_DIR:-$root/build/mingw}")
export LW_SOURCE_DIR=$root LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$root/tests/lib/require.sh"
. "$root/tests/lib/wine-service.sh"
. "$root/tests/lib/wine-server.sh"
require_tool sqlite3 python3

exe=$build/service/leakwatch.exe
if [ ! -f "$exe" ] || [ ! -f "$build/fakehost/secur32.dll" ]; then
  echo "run-scenario: building the product first (log: $build-setup.log)" >&2
  mkdir -p "$(dirname "$build")"
  { bash "$root/tests/setup/install-packages.sh" && cmake --preset mingw -S "$root" -B "$build" &&
    cmake --build "$build" -j "$(nproc)"; } >"$build-setup.log" 2>&1 ||
    { tail -n 30 "$build-setup.log" >&2; die "the build failed (log: $build-setup.log)"; }
fi
for dll in secur32 wtsapi32; do
  [ -f "$build/fakehost/$dll.dll" ] || die "$build/fakehost/$dll.dll is not built"
done
msi=$(ls "$build"/LeakWatch-*-x64.msi 2>/dev/null | sort -V | tail -n 1 || true)

scenario_steps() { sed -n 's/^steps:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1; }
steps=$(scenario_steps "$scenario")
[ -n "$steps" ] || die "$scenario has no 'steps:' line"
restart_at=${LW_SCENARIO_RESTART_AT_STEP:-}
restart_with=${LW_SCENARIO_RESTART_WITH:-}
if [ -n "$restart_at" ] || [ -n "$restart_with" ]; then
  [[ $restart_at =~ ^[1-9][0-9]*$ ]] || die "LW_SCENARIO_RESTART_AT_STEP must be a step count (1 or more)"
  restart_with=$(realpath "$restart_with" 2>/dev/null) && [ -f "$restart_with" ] ||
    die "LW_SCENARIO_RESTART_WITH: no scenario file '${LW_SCENARIO_RESTART_WITH:-}'"
  steps2=$(scenario_steps "$restart_with")
  [ -n "$steps2" ] || die "$restart_with has no 'steps:' line"
fi

mkdir -p "$out"
rm -f "$out"/history.db "$out"/eventlog.txt "$out"/alerts.txt "$out"/wine.log "$out"/fakehost.stats \
  "$out"/fakehost-1.stats "$out"/wine.log.wineserver
[ "$play_try" != 1 ] || rm -f "$out"/wine.log.wineserver.1
work=$(mktemp -d "$build/run-scenario.XXXXXX")
trap 'lw_wine_end; rm -rf "$work"' EXIT
trap 'echo "run-scenario: interrupted" >&2; exit 143' INT TERM
lw_wine_clean_machine "$work"
echo "run-scenario: Wine prefix $WINEPREFIX" >&2

# The configuration must be valid before we spend a minute on it; it is
# checked in the run's own prefix (never the user's ~/.wine, which a first
# run would have to make). A check that failed without a word is Wine failing
# to start the exe: once more.
check_rc=0
for check_try in 1 2; do
  check_rc=0
  timeout 120 "$WINE64" "$exe" config check "Z:$config" >"$out/effective.tmp" 2>"$out/check.tmp" </dev/null ||
    check_rc=$?
  [ "$check_rc" = 0 ] || [ -s "$out/check.tmp" ] && break
  [ "$check_try" = 1 ] && echo "retry: leakwatch config check exited $check_rc without a word; once more" >&2
done
[ "$check_rc" = 0 ] ||
  { cat "$out/check.tmp" >&2; rm -f "$out"/*.tmp; die "invalid configuration $config (exit $check_rc)"; }
interval_ms=$(python3 "$here/effective-config.py" poll_interval_ms <"$out/effective.tmp")
database=$(python3 "$here/effective-config.py" database <"$out/effective.tmp")
rm -f "$out/effective.tmp" "$out/check.tmp"
lw_wine_start_logging "$out/wine.log" || die "could not start services.exe with its log"

# Windows paths of this machine, seen from Linux.
unix_of() { # C:\x\y -> $WINEPREFIX/drive_c/x/y (drive C only)
  local p=${1//\\//}
  case $p in
  [Cc]:/*) printf '%s/drive_c/%s' "$WINEPREFIX" "${p:3}" ;;
  *) die "unsupported path '$1' (use C:\\...)" ;;
  esac
}
# Wine's %ProgramData% is C:\users\Public, not C:\ProgramData: ask it.
programdata=$(lw_try 60 "$WINE64" cmd /c 'echo %ProgramData%') || die "cannot read %ProgramData% of the Wine prefix"
programdata=${programdata//$'\r'/}
programdata=${programdata//$'\n'/}
[ -n "$programdata" ] || die "cannot read %ProgramData% of the Wine prefix (empty answer)"
database=${database//%ProgramData%/$programdata}
database=${database//%PROGRAMDATA%/$programdata}
db_unix=$(unix_of "$database")

app="$WINEPREFIX/drive_c/Program Files/LeakWatch"
data=$(unix_of "$programdata")/LeakWatch
mkdir -p "$app" "$data"
cp "$build/fakehost/secur32.dll" "$build/fakehost/wtsapi32.dll" "$app/"
cp "$scenario" "$app/fakehost.yaml"
cp "$config" "$data/leakwatch.yaml"
for dll in secur32 wtsapi32; do
  lw_try 60 "$WINE64" reg add 'HKCU\Software\Wine\AppDefaults\leakwatch.exe\DllOverrides' \
    /v "$dll" /d native,builtin /f >/dev/null || die "could not set the DllOverrides"
done

if [ -n "$msi" ]; then
  install_log="$out/msiexec.log"
  # msiexec under Wine fails now and then with "ShellExecuteEx failed".
  lw_try 180 "$WINE64" msiexec /i "Z:$msi" /qn /l*v "Z:$install_log" >/dev/null ||
    die "msiexec /i $msi failed (log: $install_log)"
else
  cp "$exe" "$app/"
  lw_sc create LeakWatch binPath= 'C:\Program Files\LeakWatch\leakwatch.exe service' start= demand >/dev/null ||
    die "sc create failed"
  lw_sc start LeakWatch >/dev/null || die "sc start failed"
fi
lw_wait_state LeakWatch RUNNING 30 || die "the service did not reach RUNNING: $(lw_query LeakWatch)"

# Every step is played once the fake has seen `steps` enumerations; then one
# more poll so the last step is also stored.
stats="$app/fakehost.stats"
# (Nothing before the fake's first enumeration writes the file.)
enumerations() {
  [ -f "$stats" ] || return 0
  sed -n 's/^lsa_enumerate_calls=\([0-9]*\)$/\1/p' "$stats" 2>/dev/null | tail -n 1 || true
}
# play_until N STEPS: waits until the fake has seen more than N enumerations.
# The limit is on progress, not on the whole run: a loaded machine may play
# slowly, but a service that plays no step for `stall` seconds has stopped.
# The default is above the service's own watchdog (a poll hung for
# max(10 intervals, 60 s) ends the service with event 1104), so that a hung
# poll is seen as the service reports it.
stall=${LW_SCENARIO_STALL_SECONDS:-120}
[ "$stall" -ge $((interval_ms * 30 / 1000)) ] || stall=$((interval_ms * 30 / 1000))
# evidence: what a stalled or stopped run leaves to look at, on stderr.
evidence() {
  local pids
  echo "run-scenario: $(lw_query LeakWatch | grep -E 'STATE|EXIT_CODE' | tr -s ' ' | tr '\n' ' ' || true)" >&2
  pids=$(lw_wine_pids "$WINEPREFIX" | tr '\n' ',')
  [ -z "$pids" ] || ps -o pid=,stat=,nlwp=,wchan:24=,etime=,args= -p "${pids%,}" 2>/dev/null | sed 's/^/  /' >&2 || true
  echo "run-scenario: the last events:" >&2
  python3 "$here/eventlog-from-wine.py" <"$out/wine.log" 2>/dev/null | tail -n 4 | cut -c1-200 | sed 's/^/  /' >&2 || true
  if [ -s "$out/wine.log.wineserver" ]; then
    echo "run-scenario: the wineserver said:" >&2
    tail -n 10 "$out/wine.log.wineserver" | sed 's/^/  /' >&2
  fi
}
# While the service plays, nothing Windows is started in its prefix: every
# program start there is a chance of the wineserver's crash (a scan meeting
# a starting process), and `sc query` five times a second made it likely.
# Progress is read from the fake's counters, life from /proc; the SCM is
# asked only once the service's process is gone.
play_until() {
  local n last=-1 moved=$SECONDS
  while :; do
    n=$(enumerations)
    [ -n "$n" ] && [ "$n" -gt "$1" ] && break
    if [ "${n:-0}" != "$last" ]; then
      last=${n:-0}
      moved=$SECONDS
    fi
    if [ "$(lw_server_crashes "$out/wine.log.wineserver")" != 0 ]; then
      die "the wineserver crashed after ${n:-0} of $2 steps"
    fi
    if [ $((SECONDS - moved)) -gt "$stall" ]; then
      evidence
      die "no step played for $stall s: ${n:-0} of $2 steps played"
    fi
    if ! lw_service_alive; then
      n=$(enumerations)
      [ -n "$n" ] && [ "$n" -gt "$1" ] && break
      evidence
      die "the service's process ended after ${n:-0} of $2 steps"
    fi
    sleep 0.2
  done
}
# (lw_service_alive: the service's process writes fakehost.stats once more
# as it exits, after reporting STOPPED.)
echo "run-scenario: the service runs; playing $steps steps" >&2
if [ -n "$restart_at" ]; then
  play_until $((restart_at - 1)) "$restart_at"
  lw_sc stop LeakWatch >/dev/null || die "sc stop (restart) failed"
  lw_wait_state LeakWatch STOPPED 30 || die "the service did not stop for the restart"
  for _ in $(seq 100); do
    lw_service_alive || break
    sleep 0.1
  done
  lw_service_alive && die "the service process did not exit for the restart"
  mv "$stats" "$out/fakehost-1.stats" 2>/dev/null || true
  cp "$restart_with" "$app/fakehost.yaml"
  lw_sc start LeakWatch >/dev/null || die "sc start (restart) failed"
  lw_wait_state LeakWatch RUNNING 30 || die "the service did not reach RUNNING after the restart"
  steps=$steps2
fi
at_step=${LW_SCENARIO_AT_STEP:-}
at_step_run=${LW_SCENARIO_AT_STEP_RUN:-}
if [ -n "$at_step" ] || [ -n "$at_step_run" ]; then
  [[ $at_step =~ ^[1-9][0-9]*$ ]] || die "LW_SCENARIO_AT_STEP must be a step count (1 or more)"
  [ -f "$at_step_run" ] || die "LW_SCENARIO_AT_STEP_RUN: no script '$at_step_run'"
  [ -z "$restart_at" ] || die "LW_SCENARIO_AT_STEP does not go with a restart"
  play_until $((at_step - 1)) "$steps"
  WINE64=$WINE64 LW_EXE=$exe LW_OUT=$out bash "$at_step_run" ||
    die "the script of LW_SCENARIO_AT_STEP_RUN failed ($at_step_run)"
fi
play_until "$steps" "$steps"

# status_json NAME: `leakwatch status --json` in this prefix (its default
# configuration and database: the service's), exit code kept beside it.
status_json() {
  local rc=0
  WINEDEBUG=-all "$WINE64" "$exe" status --json </dev/null >"$out/status-$1.json" \
    2>"$out/status-$1.err" || rc=$?
  echo "$rc" >"$out/status-$1.rc"
}
[ "${LW_SCENARIO_STATUS:-0}" != 1 ] || status_json running
lw_sc stop LeakWatch >/dev/null || true
lw_wait_state LeakWatch STOPPED 30 || die "the service did not stop"
[ "${LW_SCENARIO_STATUS:-0}" != 1 ] || status_json stopped
# The service closed the database at its stop (a clean WAL checkpoint).

[ -f "$db_unix" ] || die "no history database at $database"
sqlite3 "$db_unix" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null 2>&1 || true
cp "$db_unix" "$out/history.db"
cp "$stats" "$out/fakehost.stats" 2>/dev/null || true
python3 "$here/eventlog-from-wine.py" <"$out/wine.log" >"$out/eventlog.txt" ||
  die "could not read the Event Log calls from $out/wine.log"
WINEDEBUG=-all "$WINE64" "$exe" events --db "Z:$out/history.db" </dev/null >"$out/alerts.txt" 2>"$out/alerts.err" ||
  die "leakwatch events failed: $(cat "$out/alerts.err")"
rm -f "$out/alerts.err"
echo "run-scenario: $steps steps played; results in $out"
