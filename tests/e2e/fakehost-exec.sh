#!/usr/bin/env bash
# fakehost-exec.sh - runs the built leakwatch.exe once, under Wine, on the
# simulated RDS host (format and use: tests/scenarios/README.md).
#
# usage: tests/e2e/fakehost-exec.sh [--step N] SCENARIO.yaml [-- ARGS...]
#
# The exe (unchanged) and the fake secur32.dll / wtsapi32.dll are copied into
# a fresh run folder under the build tree, and run there in a Wine prefix that
# has the per-app DllOverrides (native,builtin for secur32 and wtsapi32) for
# the exe's file name. That prefix, BUILD/fakehost-prefix, is made once (a copy
# of the build's test prefix, or a new one) under a lock and reused by every
# later run. The fakes get the scenario as LEAKWATCH_FAKEHOST and the start
# step as LEAKWATCH_FAKEHOST_STEP; LEAKWATCH_FAKEHOST_STATS, when set, is
# passed on (a Linux path is turned into a Z: path) so the fakes write their
# call counters there. The exe's stdout, stderr and exit status pass through;
# a broken scenario is reported by the fakes on stderr as file:line:column.
#
# Environment:
#   LW_BUILD_DIR        the mingw build tree (default: build/mingw in the
#                       project root)
#   LW_FAKEHOST_EXE     run this exe instead of BUILD/service/leakwatch.exe
#                       (tests run the fakes' probe this way)
#   LW_WINEPREFIX       the ready test prefix to copy (default BUILD/wineprefix)
#   LW_FAKEHOST_KEEP=1  keep the run folder and say where it is
#   WINEDEBUG           passed on (default -all)
# Exit status: the exe's, or 125 when this script could not run it, or 250
# when the wineserver crashed in both tries (tests/lib/wine-server.sh).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
. "$root/tests/lib/wine-server.sh"

die() {
  echo "fakehost-exec: $*" >&2
  exit 125
}
usage() {
  echo "usage: tests/e2e/fakehost-exec.sh [--step N] SCENARIO.yaml [-- ARGS...]" >&2
  exit 125
}

[ -x "$WINE64" ] || die "Wine is missing ($WINE64); run tests/setup/install-packages.sh"

step=0
scenario=
while [ $# -gt 0 ]; do
  case $1 in
  --step)
    [ $# -ge 2 ] || usage
    step=$2
    shift 2
    ;;
  --step=*)
    step=${1#--step=}
    shift
    ;;
  --)
    shift
    break
    ;;
  -h | --help) usage ;;
  -*) die "unknown option '$1'" ;;
  *)
    [ -z "$scenario" ] || die "one scenario only (put the program's arguments after --)"
    scenario=$1
    shift
    ;;
  esac
done
[ -n "$scenario" ] || usage
[[ $step =~ ^[0-9]+$ ]] || die "--step wants a step number, got '$step'"
if [ ! -f "$scenario" ] || [ ! -r "$scenario" ]; then
  die "no scenario file '$scenario'"
fi
scenario=$(realpath "$scenario")

build=${LW_BUILD_DIR:-$root/build/mingw}
build=$(realpath -m "$build")
exe=${LW_FAKEHOST_EXE:-$build/service/leakwatch.exe}
[ -f "$exe" ] || die "$exe is not built (cmake --preset mingw && cmake --build build/mingw)"
for dll in secur32 wtsapi32; do
  [ -f "$build/fakehost/$dll.dll" ] || die "$build/fakehost/$dll.dll is not built"
done
exe_name=$(basename "$exe")

# Windows paths for the fakes: Wine maps Z: to /.
winpath() {
  case $1 in
  [A-Za-z]:*) printf '%s' "$1" ;;
  *) printf 'Z:%s' "$(realpath -m "$1")" ;;
  esac
}

# --- the prefix, made once, with the overrides for this exe name ----------
prefix=$build/fakehost-prefix
source_prefix=${LW_WINEPREFIX:-$build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
mkdir -p "$build"
# (The lock's descriptor is kept from Wine: a wineserver started here must not
# hold the lock for as long as it lives.)
exec 9>"$prefix.lock"
flock 9
if [ ! -f "$prefix/.fakehost-ready" ]; then
  rm -rf "$prefix"
  # prefix.sh makes the source prefix first when it is not there yet.
  bash "$root/tests/wine/prefix.sh" clone "$source_prefix" "$prefix" 9>&- ||
    die "could not make $prefix from $source_prefix"

  touch "$prefix/.fakehost-ready"
fi
# Its own server, up 60 s past the last run and its stderr kept
# (tests/lib/wine-server.sh): many short runs in a row otherwise race Wine's
# idle shutdown, which ends a starting program with exit 1 and not a word.
server_log=$prefix.wineserver.log
WINEPREFIX=$prefix lw_server_keep "$prefix" "$server_log"
# The per-app override is asked of the registry itself each time (a marker
# file could outlive a write the server never saved), and never waited for
# with `wineserver -w`: under the lock, that waited for every other run in
# this prefix to end (a concurrent test's minute, seen as writer_lock's stall).
key="HKCU\\Software\\Wine\\AppDefaults\\$exe_name\\DllOverrides"
if ! WINEPREFIX=$prefix timeout 60 "$WINE64" reg query "$key" /v wtsapi32 </dev/null >/dev/null 2>&1 9>&-; then
  for dll in secur32 wtsapi32; do
    WINEPREFIX=$prefix lw_try 60 "$WINE64" reg add "$key" /v "$dll" /d native,builtin /f >/dev/null 9>&- ||
      die "could not set the DllOverrides for $exe_name"
  done
fi
exec 9>&-

# --- the run folder -------------------------------------------------------
mkdir -p "$build/fakehost-run"
run=$(mktemp -d "$build/fakehost-run/run.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ "${LW_FAKEHOST_KEEP:-0}" = 1 ]; then
    echo "fakehost-exec: kept $run" >&2
  else
    rm -rf "$run"
  fi
}
trap cleanup EXIT
cp "$exe" "$run/$exe_name"
cp "$build/fakehost/secur32.dll" "$build/fakehost/wtsapi32.dll" "$run/"

export LEAKWATCH_FAKEHOST
LEAKWATCH_FAKEHOST=$(winpath "$scenario")
export LEAKWATCH_FAKEHOST_STEP=$step
if [ -n "${LEAKWATCH_FAKEHOST_STATS:-}" ]; then
  LEAKWATCH_FAKEHOST_STATS=$(winpath "$LEAKWATCH_FAKEHOST_STATS")
  export LEAKWATCH_FAKEHOST_STATS
fi
export WINEPREFIX=$prefix

# The product's own status goes back to the caller, without the ERR trap's
# word: a non-zero exit is often what a test asks for. A run the wineserver's
# crash ended (a Wine bug, tests/lib/wine-server.sh) is said and made once
# more on a new server; when the output goes to a file, only the run that
# counts is passed on.
for attempt in 1 2; do
  rc=0
  if [ -t 1 ]; then
    lw_run_watching "$server_log" "$WINE64" "$run/$exe_name" "$@" || rc=$?
  else
    lw_run_watching "$server_log" "$WINE64" "$run/$exe_name" "$@" >"$run/.stdout" 2>"$run/.stderr" || rc=$?
  fi
  [ "$rc" = 250 ] && [ "$attempt" = 1 ] || break
  echo "fakehost-exec: the wineserver crashed while '$exe_name $*' ran: $(lw_crash_said "$server_log" | tr '\n' ' ')" >&2
  # (No `wineserver -k`: the crashed one is gone, and a new one may already
  # serve another run of this prefix.)
  echo "fakehost-exec: retry: once more on a new server" >&2
  lw_server_keep "$prefix" "$server_log"
done
if [ ! -t 1 ]; then
  cat "$run/.stdout"
  cat "$run/.stderr" >&2
fi
[ "$rc" != 250 ] || echo "fakehost-exec: FAIL: the wineserver crashed twice ($server_log)" >&2
exit $rc
