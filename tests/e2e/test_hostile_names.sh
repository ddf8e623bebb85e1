#!/usr/bin/env bash
# Hostile names (issue 14): tests/scenarios/hostile-names.yaml, whose leaked
# users and RDP clients carry spreadsheet formula starts, ESC sequences, a C1
# CSI, a bidirectional override and line breaks, is played to the real
# service (tests/e2e/run-scenario.sh); then every operator output is read as
# the tool it lands in reads it (tests/e2e/check_hostile_output.py):
#   - `history --csv`, `sessions --csv` and `leaks --csv`, by a strict CSV
#     reader: no cell begins with = + - @ TAB or CR; `--csv-exact` keeps them;
#   - `events`, `history`, `sessions`, `leaks` and `status` as text: no raw
#     control character
#     (C0 but LF, DEL, C1, bidirectional controls), and the names are there,
#     escaped;
#   - `report --html` as a browser parses it: no element or attribute a name
#     could have made (no script, no handler, no reference), no raw control
#     character in its text, and the names are there, escaped.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine, python3.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
require_tool python3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
scen=$src/tests/scenarios/hostile-names.yaml
exec_sh=$src/tests/e2e/fakehost-exec.sh
check=$src/tests/e2e/check_hostile_output.py
work=$build/tests/e2e/hostile_names
rm -rf "$work"
mkdir -p "$work"

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# run NAME ARGS...: the exe on the hostile host (step 1: every user logged
# on), output to $work/NAME; a non-zero exit is a failure with its stderr.
run() {
  local name=$1 rc=0
  shift
  checks=$((checks + 1))
  bash "$exec_sh" --step 1 "$scen" -- "$@" >"$work/$name" 2>"$work/$name.err" || rc=$?
  [ "$rc" = 0 ] || fail "leakwatch $* exited $rc: $(head -c 400 "$work/$name.err")"
}
# expect KIND FILES...: check_hostile_output.py must find nothing.
expect() {
  local kind=$1 out
  shift
  checks=$((checks + 1))
  out=$(python3 "$check" "$kind" "$@" 2>&1) || fail "$kind check: $out"
}
contains() {
  checks=$((checks + 1))
  grep -qF -- "$2" "$work/$1" || fail "$1 does not show '$2'"
}

printf 'poll_interval: 300ms\ngrace_period: 2s\n' >"$work/config.yaml"
rc=0
bash "$src/tests/e2e/run-scenario.sh" "$scen" "$work/config.yaml" "$work/out" >"$work/play.log" 2>&1 || rc=$?
checks=$((checks + 1))
if [ "$rc" != 0 ]; then
  fail "run-scenario.sh exited $rc: $(tail -n 20 "$work/play.log")"
else
  db=Z:$work/out/history.db
  run history.csv history --db "$db" --csv
  run history.csv-exact history --db "$db" --csv-exact
  run history.txt history --db "$db"
  run events.txt events --db "$db"
  run events.csv events --db "$db" --csv
  run sessions.csv sessions --csv
  run sessions.csv-exact sessions --csv-exact
  run sessions.txt sessions
  run leaks.txt leaks --db "$db"
  run leaks.csv leaks --db "$db" --csv
  run leaks.csv-exact leaks --db "$db" --csv-exact
  run report.out report --db "$db" --html "Z:$work/report.html"
  # status exits 2 here (the service was stopped): not a failure of this test.
  bash "$exec_sh" --step 1 "$scen" -- status --db "$db" >"$work/status.txt" 2>"$work/status.txt.err" || true
  expect csv "$work/history.csv" "$work/events.csv" "$work/sessions.csv" "$work/leaks.csv"
  expect csv-exact "$work/history.csv-exact" "$work/sessions.csv-exact" "$work/leaks.csv-exact"
  expect text "$work/history.txt" "$work/events.txt" "$work/sessions.txt" "$work/out/alerts.txt" \
    "$work/leaks.txt" "$work/status.txt"
  expect html "$work/report.html"
  # The names are there, escaped, not dropped; history's table cuts a name
  # to its 120 columns with "..." (the whole is in its --csv).
  contains history.txt 'CONTOSO\red\x1b[31m\x1b]0;...'
  contains history.txt 'line1\nForged: yes\rCR\adm...'
  contains history.csv 'red'$'\e''[31m'
  contains sessions.txt 'red\x1b[31m'
  contains events.txt 'admin\u202eexe.txt'
  contains leaks.txt 'admin\u202eexe.txt'
  contains report.html 'admin\u202eexe.txt'
  contains report.html 'red\x1b[31m\x1b]0;pwned\x07\u009b2J'
  contains report.html '=cmd|&#39; /C calc&#39;!A0'
  contains history.csv "\"'=HYPERLINK("
  contains sessions.csv "\"'-2+3+cmd|"
  leaks=$(grep -c '^Event ID:      2001' "$work/events.txt")
  checks=$((checks + 1))
  [ "$leaks" -ge 4 ] || fail "events shows $leaks alerts 2001, expected one per leaked user (4)"
fi
[ "$failures" -eq 0 ] || { echo "--- outputs in $work" >&2; }
echo "test_hostile_names: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
