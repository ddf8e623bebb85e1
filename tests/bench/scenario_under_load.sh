#!/usr/bin/env bash
# scenario_under_load.sh - the dependability check of issue 12: plays a
# scenario to the real service RUNS times through tests/e2e/run-scenario.sh,
# with the holder scan on (the default), while a CPU hog keeps every core
# busy, and prints one row per run: result, seconds, steps played, holder
# scans abandoned (event 1103), polls late (1105), alerts 2001.
#
# usage: tests/bench/scenario_under_load.sh [RUNS [SCENARIO [INTERVAL]]]
#        (defaults: 30, tests/scenarios/leak-2-to-152.yaml, 300ms)
# Exits 1 if any run failed. From the project root, after the mingw build
# (run-scenario.sh builds it when missing). Not part of tests/run.sh: 30 runs
# take about half an hour.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-30}
scenario=${2:-$root/tests/scenarios/leak-2-to-152.yaml}
interval=${3:-300ms}
work=${LW_BUILD_DIR:-$root/build/mingw}/scenario-under-load
rm -rf "$work"
mkdir -p "$work"

hogs=()
stop_hogs() {
  [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap stop_hogs EXIT
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  hogs+=($!)
done

printf 'poll_interval: %s\ngrace_period: 2s\n' "$interval" >"$work/config.yaml"
printf '%-4s %-6s %8s %7s %5s %5s %5s\n' run result seconds steps 1103 1105 2001 | tee "$work/table.txt"
failed=0
for i in $(seq "$runs"); do
  out=$work/run-$i
  t0=$SECONDS
  rc=0
  bash "$root/tests/e2e/run-scenario.sh" "$scenario" "$work/config.yaml" "$out" >"$out.log" 2>&1 || rc=$?
  secs=$((SECONDS - t0))
  steps=$(sed -n 's/^run-scenario: \([0-9]*\) steps played.*/\1/p' "$out.log")
  [ -n "$steps" ] || steps=$(grep -o '[0-9]* of [0-9]* steps played' "$out.log" | head -n 1)
  count() { grep -c "^id=$1 " "$out/eventlog.txt" 2>/dev/null || true; }
  result=ok
  if [ "$rc" != 0 ]; then
    result=FAIL
    failed=$((failed + 1))
  fi
  printf '%-4s %-6s %8s %7s %5s %5s %5s\n' "$i" "$result" "$secs" "${steps:-?}" "$(count 1103)" \
    "$(count 1105)" "$(count 2001)" | tee -a "$work/table.txt"
  [ "$rc" = 0 ] || tail -n 5 "$out.log" | sed 's/^/     /'
  # Nothing of the run's prefix may be left (run-scenario.sh ends it all).
  left=0
  for p in /proc/[0-9]*; do
    case $(readlink "$p/exe" 2>/dev/null) in */wine*) ;; *) continue ;; esac
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -q '^WINEPREFIX=.*/run-scenario\.[A-Za-z0-9]*/prefix$' &&
      left=$((left + 1))
  done
  [ "$left" = 0 ] || echo "     $left Wine processes of a finished run are still running" | tee -a "$work/table.txt"
done
echo "scenario_under_load: $((runs - failed)) passed, $failed failed (table: $work/table.txt)"
[ "$failed" -eq 0 ]
