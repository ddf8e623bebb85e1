#!/usr/bin/env bash
# run-scenario.sh - plays a simulated RDS host to the real LeakWatch service.
#
# usage: tests/e2e/run-scenario.sh SCENARIO.yaml CONFIG.yaml OUTDIR
#
# From the project root, after the mingw build (LW_BUILD_DIR, default
# build/mingw): in a fresh copy of the build's Wine prefix, puts the fake
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
# Exits non-zero with a clear message if any of that could not be done.
set -euo pipefail

die() {
  echo "run-scenario: $*" >&2
  exit 1
}
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
require_tool sqlite3 python3

exe=$build/service/leakwatch.exe
[ -f "$exe" ] || die "$exe is not built (cmake --preset mingw && cmake --build --preset mingw)"
for dll in secur32 wtsapi32; do
  [ -f "$build/fakehost/$dll.dll" ] || die "$build/fakehost/$dll.dll is not built"
done
msi=$(ls "$build"/LeakWatch-*-x64.msi 2>/dev/null | sort -V | tail -n 1 || true)

steps=$(sed -n 's/^steps:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$scenario" | head -n 1)
[ -n "$steps" ] || die "$scenario has no 'steps:' line"

# The configuration must be valid before we spend a minute on it.
"$WINE64" "$exe" config check "Z:$config" >"$out.effective.tmp" 2>"$out.check.tmp" </dev/null ||
  { mkdir -p "$out"; cat "$out.check.tmp" >&2; rm -f "$out".*.tmp; die "invalid configuration $config"; }
interval_ms=$(python3 "$here/effective-config.py" poll_interval_ms <"$out.effective.tmp")
database=$(python3 "$here/effective-config.py" database <"$out.effective.tmp")
rm -f "$out.effective.tmp" "$out.check.tmp"

mkdir -p "$out"
rm -f "$out"/history.db "$out"/eventlog.txt "$out"/alerts.txt "$out"/wine.log "$out"/fakehost.stats
work=$(mktemp -d "$build/run-scenario.XXXXXX")
trap 'lw_wine_end; rm -rf "$work"' EXIT
lw_wine_clean_machine "$work"
lw_wine_start_logging "$out/wine.log"

# Windows paths of this machine, seen from Linux.
unix_of() { # C:\x\y -> $WINEPREFIX/drive_c/x/y (drive C only)
  local p=${1//\\//}
  case $p in
  [Cc]:/*) printf '%s/drive_c/%s' "$WINEPREFIX" "${p:3}" ;;
  *) die "unsupported path '$1' (use C:\\...)" ;;
  esac
}
# Wine's %ProgramData% is C:\users\Public, not C:\ProgramData: ask it.
programdata=$("$WINE64" cmd /c 'echo %ProgramData%' </dev/null 2>/dev/null | tr -d '\r\n')
[ -n "$programdata" ] || die "cannot read %ProgramData% of the Wine prefix"
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
  "$WINE64" reg add 'HKCU\Software\Wine\AppDefaults\leakwatch.exe\DllOverrides' \
    /v "$dll" /d native,builtin /f >/dev/null 2>&1 || die "could not set the DllOverrides"
done

if [ -n "$msi" ]; then
  install_log="$out/msiexec.log"
  ok=0
  for _ in 1 2; do # msiexec under Wine fails now and then with "ShellExecuteEx failed"
    if "$WINE64" msiexec /i "Z:$msi" /qn /l*v "Z:$install_log" </dev/null >/dev/null 2>&1; then
      ok=1
      break
    fi
  done
  [ $ok = 1 ] || die "msiexec /i $msi failed (log: $install_log)"
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
enumerations() { sed -n 's/^lsa_enumerate_calls=\([0-9]*\)$/\1/p' "$stats" 2>/dev/null | tail -n 1; }
deadline=$(($(date +%s) + 60 + steps * interval_ms * 3 / 1000))
while :; do
  n=$(enumerations)
  [ -n "$n" ] && [ "$n" -gt "$steps" ] && break
  [ "$(date +%s)" -le "$deadline" ] || die "only ${n:-0} of $steps steps played before the time limit"
  lw_query LeakWatch | grep -q 'STATE *: *[0-9]* *RUNNING' || die "the service stopped: $(lw_query LeakWatch)"
  sleep 0.2
done

lw_sc stop LeakWatch >/dev/null || true
lw_wait_state LeakWatch STOPPED 30 || die "the service did not stop"
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
