#!/usr/bin/env bash
# `leakwatch report --html` (issue 15's acceptance) on the real exe under
# Wine, rendered by headless Chromium: the real service plays
# tests/scenarios/leak-2-to-152.yaml (run-scenario.sh, which stops it at the
# end and leaves OUTDIR/history.db); then, from that database:
#   - `report --html FILE --db DB` exits 0, says where it wrote, and FILE is
#     one page with its Content-Security-Policy, no script, no external
#     reference (check-report-render.py);
#   - Chromium's --dump-dom of FILE: the figures the page marks
#     (data-figure: open leaks, leaked logon sessions, highest ID, live
#     sessions, pinned IDs, polls, alerts), the leak rows' LUIDs and the
#     alerts per event ID equal what sqlite3 answers on the same database;
#   - Chromium's --screenshot of FILE: a PNG kept in the build tree (its path
#     is printed);
#   - a folder that does not exist: exit 1, the error names the file, and
#     nothing is left behind; no --html, or a bad time: exit 2.
# A missing chromium skips the test (exit 77) on a developer's machine and
# fails it when CI=true (tests/lib/require.sh).
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build with the MSI), Wine.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
require_tool python3 sqlite3 chromium
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
exec_sh=$src/tests/e2e/fakehost-exec.sh
work=$build/tests/e2e/report_render
scenario=$src/tests/scenarios/leak-2-to-152.yaml
rm -rf "$work"
mkdir -p "$work"

# The demo's settings: a poll every 300 ms stands for one a minute.
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' 'gap_threshold: 10' >"$work/config.yaml"
bash "$src/tests/e2e/run-scenario.sh" "$scenario" "$work/config.yaml" "$work/run" ||
  fail "run-scenario.sh failed (its output is above; results in $work/run)"
db=$work/run/history.db
page=$work/report.html

# Runs the exe on the database; $1 names the output, $2 the exit code wanted.
lw report.out 0 report --html "$(winpath "$page")" --db "$(winpath "$db")"
grep -q "^Wrote $(winpath "$page") (" "$work/report.out.lf" ||
  fail "report did not say it wrote $(winpath "$page"): $(cat "$work/report.out.lf")"
[ -s "$page" ] || fail "report exited 0 but $page is empty or missing"
[ ! -e "$page.tmp" ] || fail "report left its temporary file $page.tmp"

# A folder that does not exist: the error names the file, nothing is left.
lw nodir.out 1 report --html "$(winpath "$work/no-such-folder/r.html")" --db "$(winpath "$db")"
grep -qF "cannot write the report $(winpath "$work/no-such-folder/r.html")" "$work/nodir.out.err.lf" ||
  fail "the error does not name the file: $(cat "$work/nodir.out.err.lf")"
[ ! -e "$work/no-such-folder" ] || fail "a failed report left $work/no-such-folder"
lw usage.out 2 report --db "$(winpath "$db")"
grep -q -- '--html FILE is required' "$work/usage.out.err.lf" ||
  fail "report without --html: $(head -3 "$work/usage.out.err.lf")"
lw badtime.out 2 report --html "$(winpath "$work/x.html")" --since last-tuesday
grep -q "^leakwatch report: --since: 'last-tuesday' is not a time" "$work/badtime.out.err.lf" ||
  fail "report --since last-tuesday: $(head -3 "$work/badtime.out.err.lf")"
[ ! -e "$work/x.html" ] || fail "a refused report wrote $work/x.html"

# chrome NAME ARGS...: headless Chromium with a profile of its own, given a
# generous limit (its first start is slow, more so beside Wine); on failure
# prints the command and what it said. stdout to $work/NAME.
chrome() {
  local name=$1 rc=0
  shift
  local cmd=(chromium --headless --no-sandbox --disable-gpu --no-first-run
    --user-data-dir="$work/chromium-profile" "$@")
  HOME=$work/chromium-home timeout 300 "${cmd[@]}" >"$work/$name" 2>"$work/$name.err" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "FAIL: chromium exited $rc$([ "$rc" = 124 ] && echo ' (no answer in 300 s)'):" >&2
    echo "  ${cmd[*]}" >&2
    tail -n 30 "$work/$name" "$work/$name.err" >&2
    exit 1
  fi
}
mkdir -p "$work/chromium-home"
chrome report.dom --dump-dom "file://$page"
chrome screenshot.out --screenshot="$work/report.png" --window-size=1200,2600 "file://$page"
[ -s "$work/report.png" ] && [ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "chromium wrote no PNG at $work/report.png ($(tail -n 3 "$work/screenshot.out.err"))"

# The answers of SQL on the same database.
q() { sqlite3 -readonly "$db" "$1"; }
open="released_at IS NULL AND boot_id = (SELECT MAX(id) FROM boots)"
{
  # `leakwatch leaks`' rows: users, and system logons whose user did not leak.
  echo "open_leaks=$(q "SELECT COUNT(*) FROM v_leaks s WHERE $open AND (kind = 'user' OR
    with_luid IS NULL OR with_luid NOT IN (SELECT luid FROM v_leaks u WHERE u.kind = 'user'
    AND u.boot_id = s.boot_id))")"
  echo "leaked_logon_sessions=$(q "SELECT COUNT(*) FROM v_leaks WHERE $open")"
  for f in highest_session_id live_sessions pinned_ids; do
    echo "$f=$(q "SELECT $f FROM polls WHERE highest_session_id IS NOT NULL ORDER BY id DESC LIMIT 1")"
  done
  echo "polls=$(q "SELECT COUNT(*) FROM v_polls")"
  echo "alerts=$(q "SELECT COUNT(*) FROM v_alerts")"
} >"$work/sql-figures.txt"
q "SELECT luid FROM v_leaks s WHERE $open AND (kind = 'user' OR with_luid IS NULL OR with_luid
  NOT IN (SELECT luid FROM v_leaks u WHERE u.kind = 'user' AND u.boot_id = s.boot_id))
  ORDER BY luid" >"$work/sql-luids.txt"
q "SELECT event_id || '=' || COUNT(*) FROM v_alerts GROUP BY event_id ORDER BY event_id" >"$work/sql-alerts.txt"

python3 "$src/tests/e2e/check-report-render.py" "$page" "$work/report.dom" "$work/sql-figures.txt" \
  "$work/sql-luids.txt" "$work/sql-alerts.txt" ||
  fail "the report does not match the database (files in $work)"
echo "screenshot: $work/report.png"
echo "test_report_render: passed ($(wc -c <"$page") bytes; $(tr '\n' ' ' <"$work/sql-figures.txt"))"
