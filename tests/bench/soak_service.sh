#!/usr/bin/env bash
# soak_service.sh - the service's memory and descriptors over a long run under
# Wine (issue 12's soak): the real leakwatch.exe as a service (Wine's SCM) on
# the simulated host (fake secur32/wtsapi32 beside it) playing a churning
# host (tests/scenarios/gen-soak-churn.py: a user logs on every 2 polls and
# off 10 later, every 4th one leaks for 40 polls, one network logon per
# poll), holders on (holders.interval 1m, the minimum; a scan also runs when
# each leak episode starts), grace_period 2s, poll_interval 100ms, the
# default database, a metrics file; until the fake has seen POLLS
# enumerations (one per poll).
#
# usage: tests/bench/soak_service.sh [POLLS]     (default 2000; ~4-6 min)
# From the project root after the mingw build (LW_BUILD_DIR, default
# build/mingw). Results in LW_SOAK_OUT (default BUILD/bench/soak): samples.txt,
# wine.log, eventlog.txt, history.db, fakehost.stats, leakwatch.prom.
#
# Measured: the Linux process of the service (the Wine process whose command
# line has leakwatch.exe and whose WINEPREFIX is this run's prefix; the whole
# Wine process: the product, Wine's DLLs, and the fake host's DLLs with the
# scenario they hold, loaded once): VmRSS from /proc/PID/status and the
# number of entries of /proc/PID/fd, sampled when the fake has seen 10 %,
# 20 %, ... 100 % of POLLS enumerations (the stats file the fake rewrites at
# the start of each enumeration). The first 10 % are the warm-up (SQLite's
# page cache, the first leaks and holder scans, Wine's lazy loading). The
# verdict compares the sample at 100 % with the one at 50 %: the run fails
# (exit 1) if either grew by more than 5 % of its 50 % value; growth from
# 10 % to 100 % is printed too. It also fails if the service stopped, its
# process changed, or the run took too long (POLLS x interval x 5 + 120 s),
# and, as sanity checks, if v_polls rows differ from the fake's final
# enumerations, PRAGMA integrity_check is not ok, or a fake buffer was not freed.
# Part of the figure and not the product's: the fake's own table of LUIDs
# asked about grows by one small entry per new LUID (5 per 2 polls, ~5,000
# over 2,000 polls).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
polls=${1:-2000}
interval=${LW_SOAK_INTERVAL:-100ms}
[[ $polls =~ ^[1-9][0-9]*$ ]] && [ "$polls" -ge 20 ] || { echo "usage: $0 [POLLS >= 20]" >&2; exit 2; }
[[ $interval =~ ^[1-9][0-9]*ms$ ]] || { echo "LW_SOAK_INTERVAL must be in ms (e.g. 100ms)" >&2; exit 2; }
build=$(realpath -m "${LW_BUILD_DIR:-$src/build/mingw}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$src/tests/lib/require.sh"
. "$src/tests/lib/wine-service.sh"
require_tool sqlite3 python3
out=$(realpath -m "${LW_SOAK_OUT:-$build/bench/soak}")

die() {
  echo "soak: FAIL: $*" >&2
  [ -f "$out/samples.txt" ] && cat "$out/samples.txt" >&2
  [ -f "$out/wine.log" ] && { echo "--- $out/wine.log (last lines):" >&2; tail -n 30 "$out/wine.log" >&2; }
  exit 1
}
for f in "$build/service/leakwatch.exe" "$build/fakehost/secur32.dll" "$build/fakehost/wtsapi32.dll"; do
  [ -f "$f" ] || die "$f is not built (cmake --preset mingw && cmake --build --preset mingw)"
done
# The build's prepared prefix (ctest's fixture makes it; so do we, once).
if [ ! -f "$LW_WINEPREFIX/.leakwatch-ready" ]; then
  bash "$src/tests/wine/prefix.sh" setup "$LW_WINEPREFIX" >/dev/null || die "cannot set up $LW_WINEPREFIX"
  bash "$src/tests/wine/prefix.sh" teardown "$LW_WINEPREFIX"
fi

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "$build/soak.XXXXXX")
trap 'lw_wine_end; rm -rf "$work"' EXIT
python3 "$src/tests/scenarios/gen-soak-churn.py" $((polls + 100)) >"$out/soak.yaml" ||
  die "could not generate the scenario"
lw_wine_clean_machine "$work"
lw_wine_start_logging "$out/wine.log" || die "could not start services.exe with its log"
lw_fakehost_service "$out/soak.yaml" || die "could not set up the service on the simulated host"
stats=$app/fakehost.stats
cat >"$data/leakwatch.yaml" <<YAML
poll_interval: $interval
grace_period: 2s
metrics_file: '$programdata\\LeakWatch\\leakwatch.prom'
holders:
  enabled: true
  interval: 1m
YAML
lw_sc start LeakWatch >/dev/null || die "sc start failed: $(lw_query LeakWatch)"
lw_wait_state LeakWatch RUNNING 60 || die "the service did not reach RUNNING: $(lw_query LeakWatch)"
t0=$(date +%s.%N)

# The service's Linux process: exactly one of this prefix.
pids=$(lw_service_pids)
[ "$(wc -w <<<"$pids")" = 1 ] || die "expected one leakwatch.exe process in $WINEPREFIX, found: '$pids'"
pid=$pids
echo "soak: $polls polls at $interval; the service is Linux PID $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ *$//'))"
enumerations() {
  local n
  n=$(sed -n 's/^lsa_enumerate_calls=\([0-9]*\)\r*$/\1/p' "$stats" 2>/dev/null | tail -n 1)
  echo "${n:-0}"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

printf '%-6s %-7s %-9s %-10s %-5s\n' "run%" "polls" "seconds" "VmRSS_kB" "fds" | tee "$out/samples.txt"
deadline=$(($(date +%s) + 120 + polls * ${interval%ms} * 5 / 1000))
declare -A rss fd
for pct in 10 20 30 40 50 60 70 80 90 100; do
  target=$((polls * pct / 100))
  while :; do
    n=$(enumerations)
    [ "$n" -ge "$target" ] && break
    [ -d "/proc/$pid" ] || die "the service's process $pid ended after $n polls: $(lw_query LeakWatch)"
    [ "$(date +%s)" -le "$deadline" ] || die "only $n of $polls polls before the time limit"
    sleep 0.2
  done
  n_last=$n
  rss[$pct]=$(rss_kb)
  fd[$pct]=$(fds)
  [ -n "${rss[$pct]}" ] || die "cannot read /proc/$pid/status at $pct %"
  printf '%-6s %-7s %-9s %-10s %-5s\n' "$pct" "$n" \
    "$(python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$t0")" \
    "${rss[$pct]}" "${fd[$pct]}" | tee -a "$out/samples.txt"
done
[ "$(lw_service_pids)" = "$pid" ] || die "the service's process changed during the run"
state=$(lw_query LeakWatch)
grep -q 'STATE *: *[0-9]* *RUNNING' <<<"$state" || die "the service is not RUNNING at the end: $state"
elapsed=$(python3 -c 'import sys, time; print("%.0f" % (time.time() - float(sys.argv[1])))' "$t0")

lw_sc stop LeakWatch >/dev/null || die "sc stop failed"
lw_wait_state LeakWatch STOPPED 60 || die "the service did not stop: $(lw_query LeakWatch)"
for _ in $(seq 150); do
  [ -d "/proc/$pid" ] || break
  sleep 0.2
done
cp "$stats" "$out/fakehost.stats" 2>/dev/null
cp "$data/leakwatch.prom" "$out/leakwatch.prom" 2>/dev/null
sqlite3 "$data/history.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
cp "$data/history.db" "$out/history.db" || die "no history database in $data"
python3 "$src/tests/e2e/eventlog-from-wine.py" <"$out/wine.log" >"$out/eventlog.txt"
lw_wine_end
trap 'rm -rf "$work"' EXIT

metric() { sed -n "s/^$1 \([0-9.]*\)\r*$/\1/p" "$out/leakwatch.prom" | tail -n 1; }
q() { sqlite3 -readonly "$out/history.db" "$1"; }
stat() { sed -n "s/^$1=//p" "$out/fakehost.stats" | tr -d '\r'; }
echo "soak: $n_last polls in ${elapsed} s to the last sample; $(stat lsa_enumerate_calls) in all" \
  "(v_polls $(q 'SELECT count(*) FROM v_polls'), failed $(q 'SELECT count(*) FROM v_polls WHERE error IS NOT NULL'));" \
  "leak episodes $(q 'SELECT count(*) FROM v_leaks') ($(q 'SELECT count(*) FROM v_leaks WHERE released_at IS NULL') open at the end);" \
  "holder scans $(metric leakwatch_holder_scans_total) (abandoned $(metric leakwatch_holder_scans_abandoned_total));" \
  "alerts $(q 'SELECT count(*) FROM v_alerts'); late polls $(metric leakwatch_polls_late_total);" \
  "fake: buffers outstanding $(stat lsa_buffers_outstanding)/$(stat wts_buffers_outstanding), bad frees $(stat bad_frees)"
echo "soak: integrity_check $(q 'PRAGMA integrity_check' | head -n 1); events: $(cut -d' ' -f1 "$out/eventlog.txt" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"

# growth FROM TO VALUES: percent growth, one decimal.
growth() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%+.1f" % ((b - a) * 100 / a))' "$1" "$2"; }
verdict=0
for what in rss fd; do
  declare -n v=$what
  g50=$(growth "${v[50]}" "${v[100]}")
  g10=$(growth "${v[10]}" "${v[100]}")
  over=$(python3 -c 'import sys; print(1 if float(sys.argv[1]) > 5.0 else 0)' "$g50")
  name=$([ "$what" = rss ] && echo "VmRSS" || echo "open descriptors")
  echo "soak: $name at 10/50/100 %: ${v[10]} / ${v[50]} / ${v[100]}; 50->100 % ${g50} % (limit +5 %), 10->100 % ${g10} %"
  [ "$over" = 0 ] || { echo "soak: FAIL: $name grew ${g50} % from 50 % to 100 % of the run" >&2; verdict=1; }
  unset -n v
done
# Sanity, not the figure: every poll stored, the database sound, the fake's buffers all freed.
[ "$(q 'SELECT count(*) FROM v_polls')" = "$(stat lsa_enumerate_calls)" ] ||
  { echo "soak: FAIL: v_polls rows differ from the polls made (the fake's enumerations)" >&2; verdict=1; }
[ "$(q 'PRAGMA integrity_check')" = ok ] || { echo "soak: FAIL: PRAGMA integrity_check" >&2; verdict=1; }
[ "$(stat lsa_buffers_outstanding) $(stat wts_buffers_outstanding) $(stat bad_frees)" = "0 0 0" ] ||
  { echo "soak: FAIL: the fake's buffers were not all freed (see $out/fakehost.stats)" >&2; verdict=1; }
[ "$verdict" = 0 ] && echo "soak: PASS (flat within 5 % from 50 % to 100 % of $polls polls)"
exit "$verdict"
