#!/usr/bin/env bash
# End-to-end test of collection on the simulated RDS host (issue 3's
# acceptance): the built leakwatch.exe, unchanged, under Wine with the fake
# secur32.dll / wtsapi32.dll (tests/e2e/fakehost-exec.sh).
#
# For every shipped scenario (tests/scenarios/*.yaml) and the steps first,
# middle, last and past the end:
#   - `sessions --json` equals what the scenario says for that step, field by
#     field (expected JSON from scenario_expect.exe, which uses only the
#     scenario parser; compared by compare_sessions.py), full 64-bit LUIDs;
#   - the fake's counters: one enumeration, a data call per live LUID and no
#     repeat, no LSA or WTS buffer left unfreed, no bad free;
# at the middle step also `sessions --csv` and the table;
# and per scenario `run --polls N` (a config with a 100 ms poll interval in a
# temp folder): the fake's counters equal those of a product that asks for
# each LUID's data once while it lives (lsa_repeat_data_calls 0 where no data
# call fails), nothing unfreed, and the metrics file's counts.
# Then the failures: missing rights (SYSTEM's session unreadable) and a
# broken host (every LSA/WTS call fails) give exit 1 and one clear message,
# and `run` reports each distinct collection error once (event 1102), not
# every poll. The farm's rules and dashboard query only metrics of the
# metrics file written here (tests/farm/check_metric_names.py).
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine, python3.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/require.sh
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64"
require_tool python3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
unset LW_FAKEHOST_EXE LEAKWATCH_FAKEHOST LEAKWATCH_FAKEHOST_STEP LEAKWATCH_FAKEHOST_STATS
exec_sh=$src/tests/e2e/fakehost-exec.sh
compare=$src/tests/e2e/compare_sessions.py
expect_exe=$build/tests/e2e/scenario_expect.exe
work=$build/tests/e2e/sessions_fakehost
rm -rf "$work"
mkdir -p "$work"
[ -f "$expect_exe" ] || { echo "FAIL: $expect_exe is not built" >&2; exit 1; }

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# stat_is FILE KEY VALUE
stat_is() {
  local got
  checks=$((checks + 1))
  got=$(sed -n "s/^$2=//p" "$1" | tr -d '\r')
  [ "$got" = "$3" ] || fail "$1: $2=$got, expected $3"
}
equal() {
  checks=$((checks + 1))
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
# Runs the expectation tool (a Windows exe) in the fake host's prefix; a
# start that Wine fails is retried once, and a second failure says all.
expect() {
  WINEPREFIX=$build/fakehost-prefix WINEDEBUG=-all lw_try 120 "$WINE64" "$expect_exe" "$@"
}

# Warm up: makes the fake host's prefix (once per build) before timing anything.
"$exec_sh" "$src/tests/scenarios/basic.yaml" -- version >/dev/null 2>&1 || true

for scen in "$src"/tests/scenarios/*.yaml; do
  name=$(basename "$scen" .yaml)
  steps=$(expect --steps "$(winpath "$scen")" | tr -d '\r')
  [[ $steps =~ ^[0-9]+$ ]] || { fail "$name: scenario_expect --steps gave '$steps'"; continue; }
  mid=$((steps / 2))
  for step in $(printf '%s\n' 0 "$mid" $((steps - 1)) $((steps + 3)) | sort -nu); do
    t=$work/$name.$step
    expect "$(winpath "$scen")" "$step" >"$t.expected.json" || fail "$name step $step: scenario_expect failed"
    rc=0
    LEAKWATCH_FAKEHOST_STATS=$t.stats "$exec_sh" --step "$step" "$scen" -- sessions --json \
      >"$t.json" 2>"$t.err" || rc=$?
    equal "$rc" 0 "$name step $step: sessions --json exit ($(head -c 300 "$t.err"))"
    checks=$((checks + 1))
    python3 "$compare" json "$t.expected.json" "$t.json" || fail "$name step $step: JSON differs from the scenario"
    nlogons=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["logon_sessions"]))' "$t.expected.json")
    stat_is "$t.stats" status ok
    stat_is "$t.stats" lsa_enumerate_calls 1
    stat_is "$t.stats" lsa_data_calls "$nlogons"
    stat_is "$t.stats" lsa_repeat_data_calls 0
    stat_is "$t.stats" lsa_buffers_outstanding 0
    stat_is "$t.stats" wts_buffers_outstanding 0
    stat_is "$t.stats" bad_frees 0
    stat_is "$t.stats" api_errors 0
    if [ "$step" = "$mid" ]; then
      rc=0
      "$exec_sh" --step "$step" "$scen" -- sessions --csv >"$t.csv" 2>"$t.csv.err" || rc=$?
      equal "$rc" 0 "$name step $step: sessions --csv exit"
      checks=$((checks + 1))
      python3 "$compare" csv "$t.expected.json" "$t.csv" || fail "$name step $step: CSV differs from the scenario"
      rc=0
      "$exec_sh" --step "$step" "$scen" -- sessions >"$t.txt" 2>"$t.txt.err" || rc=$?
      equal "$rc" 0 "$name step $step: sessions (table) exit"
      checks=$((checks + 1))
      python3 "$compare" table "$t.expected.json" "$t.txt" || fail "$name step $step: table differs from the scenario"
    fi
  done

  # The poll loop: data calls only for LUIDs not seen (alive) before.
  polls=$((steps + 2))
  r=$work/$name.run
  mkdir -p "$r"
  cat >"$r/leakwatch.yaml" <<YAML
poll_interval: 100ms
database: '$(winpath "$r/data/history.db")'
metrics_file: '$(winpath "$r/leakwatch.prom")'
YAML
  expect --run "$(winpath "$scen")" 0 "$polls" | tr -d '\r' >"$r/expected.stats"
  rc=0
  LEAKWATCH_FAKEHOST_STATS=$r/fakehost.stats "$exec_sh" "$scen" -- run --polls "$polls" \
    --config "$(winpath "$r/leakwatch.yaml")" >"$r/out" 2>"$r/err" || rc=$?
  equal "$rc" 0 "$name: run --polls $polls exit ($(head -c 300 "$r/err"))"
  for key in lsa_enumerate_calls lsa_data_calls lsa_repeat_data_calls lsa_data_failed; do
    stat_is "$r/fakehost.stats" "$key" "$(sed -n "s/^$key=//p" "$r/expected.stats")"
  done
  stat_is "$r/fakehost.stats" lsa_buffers_outstanding 0
  stat_is "$r/fakehost.stats" wts_buffers_outstanding 0
  stat_is "$r/fakehost.stats" bad_frees 0
  metric() { sed -n "s/^$1 //p" "$r/leakwatch.prom" | tr -d '\r'; }
  equal "$(metric leakwatch_polls_total)" "$polls" "$name: metrics polls_total"
  equal "$(metric leakwatch_poll_failures_total)" 0 "$name: metrics poll_failures_total"
  equal "$(metric leakwatch_logon_sessions)" "$(sed -n 's/^last_logon_sessions=//p' "$r/expected.stats")" \
    "$name: metrics logon_sessions"
  equal "$(metric leakwatch_wts_sessions)" "$(sed -n 's/^last_wts_sessions=//p' "$r/expected.stats")" \
    "$name: metrics wts_sessions"
  checks=$((checks + 1))
  ! grep -q 'could not collect' "$r/err" || fail "$name: run reported a collection error: $(cat "$r/err")"
  echo "ok: $name ($steps steps): sessions at steps 0 $mid $((steps - 1)) $((steps + 3)); run $polls polls:" \
    "$(tr '\n' ' ' <"$r/expected.stats")"
done

# The farm's alert rules and Grafana dashboard (issue 16) query only metrics
# this exe writes: checked against the metrics file of the leak-2-to-152 run.
checks=$((checks + 1))
python3 "$src/tests/farm/check_metric_names.py" "$work/leak-2-to-152.run/leakwatch.prom" "$src" ||
  fail "the farm's rules or dashboard query a metric leakwatch.exe does not write"

# --- no rights: SYSTEM's session unreadable -> one clear error, exit 1 ------
cat >"$work/denied.yaml" <<'YAML'
steps: 1
logon_sessions:
  - luid: 0x3e7
    user: SYSTEM
    domain: NT AUTHORITY
    logon_type: 0
    session: 0
    data_status: 0xC0000022
  - luid: "0:7000"
    user: me
    domain: HOST
    logon_type: Interactive
    session: 1
wts_sessions:
  - id: 1
    station: Console
    state: Active
YAML
rc=0
LEAKWATCH_FAKEHOST_STATS=$work/denied.stats "$exec_sh" "$work/denied.yaml" -- sessions --json \
  >"$work/denied.out" 2>"$work/denied.err" || rc=$?
equal "$rc" 1 "no rights: exit status"
equal "$(wc -c <"$work/denied.out" | tr -d ' ')" 0 "no rights: nothing on stdout"
checks=$((checks + 1))
grep -q 'needs administrative rights (SeDebugPrivilege / member of Administrators)' "$work/denied.err" ||
  fail "no rights: message is '$(cat "$work/denied.err")'"
equal "$(grep -c . "$work/denied.err")" 1 "no rights: one line of error"
stat_is "$work/denied.stats" lsa_buffers_outstanding 0

# --- a broken host: every LSA and WTS call fails ---------------------------
rc=0
LEAKWATCH_FAKEHOST_STATS=$work/broken.stats "$exec_sh" "$src/tests/fakehost/bad/luid-bad.yaml" -- sessions \
  >"$work/broken.out" 2>"$work/broken.err" || rc=$?
equal "$rc" 1 "broken host: exit status"
checks=$((checks + 1))
grep -q 'could not collect the LSA logon sessions: LsaEnumerateLogonSessions failed with 0xC0000001' \
  "$work/broken.err" || fail "broken host: message is '$(cat "$work/broken.err")'"
# The poll loop reports each distinct error once (event 1102; on the console
# also stderr), not at every poll, and counts every failed poll.
r=$work/broken.run
mkdir -p "$r"
printf "poll_interval: 100ms\ndatabase: '%s'\nmetrics_file: '%s'\n" "$(winpath "$r/data/h.db")" \
  "$(winpath "$r/leakwatch.prom")" >"$r/leakwatch.yaml"
rc=0
"$exec_sh" "$src/tests/fakehost/bad/luid-bad.yaml" -- run --polls 5 --config "$(winpath "$r/leakwatch.yaml")" \
  >"$r/out" 2>"$r/err" || rc=$?
equal "$rc" 0 "broken host: run exit"
equal "$(grep -c 'could not collect data at this poll' "$r/err")" 2 "broken host: 1102 once per distinct error (LSA, WTS) over 5 polls"
checks=$((checks + 1))
grep -q 'LsaEnumerateLogonSessions failed with error 0xC0000001' "$r/err" || fail "broken host: no LSA 1102: $(cat "$r/err")"
checks=$((checks + 1))
grep -q 'WTSEnumerateSessionsW failed with error 13 ' "$r/err" || fail "broken host: no WTS 1102: $(cat "$r/err")"
equal "$(sed -n 's/^leakwatch_poll_failures_total //p' "$r/leakwatch.prom" | tr -d '\r')" 5 "broken host: poll_failures_total"

echo "test_sessions_fakehost: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
