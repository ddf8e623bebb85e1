#!/usr/bin/env bash
# The metrics file when it cannot be written (issue 16), with the real
# leakwatch.exe under Wine on the simulated host (fakehost-exec.sh): `run`
# polls every 100 ms into a metrics file whose folder does not exist yet.
# Event 1107 must come once (not at every poll) naming the file and Windows'
# reason; once the folder is made, 1006 once, with how many polls' metrics
# were lost; then the file holds every poll's count and passes
# `promtool check metrics`.
# usage: test_metrics_file.sh   (env LW_SOURCE_DIR, LW_BUILD_DIR)
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64" promtool
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
work=$build/tests/e2e/metrics_file
rm -rf "$work"
mkdir -p "$work/data"
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

polls=150
prom=$work/exporter/leakwatch.prom # the folder comes later
printf "poll_interval: 100ms\ndatabase: 'Z:%s'\nmetrics_file: 'Z:%s'\n" "$work/data/h.db" "$prom" \
  >"$work/leakwatch.yaml"
"$src/tests/e2e/fakehost-exec.sh" "$src/tests/scenarios/basic.yaml" -- run --polls "$polls" \
  --config "Z:$work/leakwatch.yaml" >"$work/out" 2>"$work/err" &
pid=$!
# fakehost-exec.sh passes the exe's output on only at its end, so progress is
# read from the database: it is made at start, before the first poll. Two
# seconds later (some 20 polls, each failing to write) the folder is made;
# the run has 15 s of polls left for the writes that succeed.
for ((i = 0; i < 600; i++)); do
  [ -e "$work/data/h.db" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
sleep 2
mkdir -p "$work/exporter"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "run --polls $polls exited $rc: $(tail -n 5 "$work/err")"

failed=$(grep -c 'cannot write its metrics file' "$work/err" || true)
resumed=$(grep -c 'can write its metrics file .* again' "$work/err" || true)
[ "$failed" = 1 ] || fail "event 1107 came $failed times, expected once: $(cat "$work/err")"
[ "$resumed" = 1 ] || fail "event 1006 came $resumed times, expected once: $(cat "$work/err")"
# 1107 names the file and Windows' reason (the folder is missing: error 3).
grep -q "cannot write its metrics file Z:$prom (cannot create Z:$prom.tmp: .*(error 3))" "$work/err" ||
  fail "event 1107 does not name the file and the reason: $(grep 'cannot write its metrics' "$work/err")"
lost=$(sed -n 's/.*can write its metrics file .* again, after \([0-9]*\) polls whose.*/\1/p' "$work/err")
[ -n "$lost" ] && [ "$lost" -ge 1 ] && [ "$lost" -lt "$polls" ] ||
  fail "event 1006 does not say how many polls' metrics were lost (1..$((polls - 1))): '$lost'"
grep -q 'cannot write its metrics file' <(sed -n '/can write its metrics file/,$p' "$work/err") &&
  fail "event 1107 came again after 1006"

[ -f "$prom" ] || fail "no metrics file after the folder was made"
if [ -f "$prom" ]; then
  got=$(sed -n 's/^leakwatch_polls_total //p' "$prom" | tr -d '\r')
  [ "$got" = "$polls" ] || fail "leakwatch_polls_total is '$got', expected $polls"
  promtool check metrics <"$prom" || fail "promtool check metrics refuses $prom"
  [ ! -e "$prom.tmp" ] || fail "the temporary file $prom.tmp was left"
fi
[ "$fails" = 0 ] || exit 1
echo "ok: 1107 once while $prom could not be written, 1006 once after (metrics of $lost polls lost); the file passes promtool check metrics"
