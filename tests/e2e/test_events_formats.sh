#!/usr/bin/env bash
# End-to-end test of `leakwatch events` (issue 5) and its holder summary
# (issue 7) under Wine: the real exe plays leak-one.yaml on the simulated host
# (`run --polls`, tests/e2e/fakehost-exec.sh), which raises real 2001/2002
# alerts into a fresh history.db; the holder scan is off, and known holder rows
# are then added with sqlite3 (under Wine every token's LUID is 0:0, so a scan
# cannot find them). Then, from that database:
#   - text: Event Viewer's layout with "Event ID:      2001", and the section
#     "Token holders found by LeakWatch's scans" naming the holder by image
#     basename, PID, services and token count of its LATEST scan, and the
#     exited process with who holds it open;
#   - --json: an array (python3 json) with 2001 entries, level "warning", and
#     the alert's LUID, user, domain, terminal session and whether it reached
#     the Event Log in "luid", "user", "domain", "terminal_session", "logged";
#   - --csv: the header raised_at,event_id,level,suppressed,message,luid,user,
#     domain,terminal_session,logged and as many rows as the alerts table;
#   - --holders --json / --csv: one entry per (LUID, PID), latest scan.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine, python3, sqlite3.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/require.sh
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64" python3 sqlite3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
exec_sh=$src/tests/e2e/fakehost-exec.sh
scen=$src/tests/scenarios/leak-one.yaml
work=$build/tests/e2e/events_formats
rm -rf "$work"
mkdir -p "$work/data"
lw_play_history "$scen" 24
n2001=$(sqlite3 "$db" "SELECT count(*) FROM alerts WHERE event_id = 2001")
nalerts=$(sqlite3 "$db" "SELECT count(*) FROM alerts")
[ "$n2001" -ge 1 ] || fail "the run raised no 2001 (alerts: $nalerts)"
[ "$(sqlite3 "$db" "SELECT count(*) FROM holders")" -eq 0 ] || fail "holders rows before the insert"

# 0:a1000 is alice's leaked session. PID 4412 scanned twice (the later scan,
# 5 tokens, is the one to show); PID 5000 exited, held open by 4412.
t0=$(sqlite3 "$db" "SELECT MAX(raised_at) FROM alerts")
sqlite3 "$db" "
INSERT INTO holders(boot_id, luid, scanned_at, pid, image, services, tokens, exited_process,
                    held_by_pid)
VALUES ((SELECT MAX(id) FROM boots), 659456, $t0, 4412, 'C:\\Tools\\TokenGrabber.exe',
        'TokenGrabber', 3, 0, NULL),
       ((SELECT MAX(id) FROM boots), 659456, $t0 + 60000, 4412, 'C:\\Tools\\TokenGrabber.exe',
        'TokenGrabber', 5, 0, NULL),
       ((SELECT MAX(id) FROM boots), 659456, $t0 + 60000, 5000, 'C:\\Tools\\gone.exe',
        NULL, 1, 1, 4412);"

events() {
  local out=$1
  shift
  rc=0
  "$exec_sh" "$scen" -- events --db "$(winpath "$db")" "$@" >"$work/$out" 2>"$work/$out.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "events $* exit $rc ($(head -c 300 "$work/$out.err"))"
  tr -d '\r' <"$work/$out" >"$work/$out.lf"
}

events text
t=$work/text.lf
grep -q '^Event ID:      2001$' "$t" || fail "text: no 'Event ID:      2001'"
[ "$(grep -c '^Event ID:' "$t")" -eq "$nalerts" ] || fail "text: not $nalerts events"
grep -q "^Token holders found by LeakWatch's scans$" "$t" || fail "text: no holder section"
grep -q '^Logon session 00000000:000a1000 (boot [0-9]*):$' "$t" || fail "text: no LUID heading"
grep -q '^  TokenGrabber.exe (PID 4412), services: TokenGrabber, tokens: 5, scanned ' "$t" ||
  fail "text: holder 4412 not shown with its latest scan"
grep -q 'tokens: 3' "$t" && fail "text: an older scan of PID 4412 is shown"
grep -q '^  exited gone.exe (PID 5000), held open by PID 4412, services: -, tokens: 1, ' "$t" ||
  fail "text: exited holder not shown"
# The holders come after the alerts.
[ "$(grep -n "^Token holders found by LeakWatch's scans$" "$t" | cut -d: -f1)" -gt "$(grep -n '^Event ID:' "$t" | tail -1 | cut -d: -f1)" ] ||
  fail "text: holder section is not after the alerts"

events json --json
python3 - "$work/json.lf" "$nalerts" <<'PY' || fail "json: see above"
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list), "not an array"
assert len(a) == int(sys.argv[2]), f"{len(a)} entries, not {sys.argv[2]}"
e = [x for x in a if x["event_id"] == 2001]
assert e, "no 2001"
assert all(x["level"] == "warning" for x in e), e
assert "00000000:000a1000" in [x["luid"] for x in e], [x["luid"] for x in e]
assert all(set(x) == {"raised_at", "event_id", "level", "suppressed", "message", "luid", "user",
                     "domain", "terminal_session", "logged"} for x in a), a[0]
alice = [x for x in e if x["luid"] == "00000000:000a1000"][0]
assert (alice["user"], alice["domain"], alice["terminal_session"], alice["logged"]) == \
    ("alice", "CONTOSO", 2, True), alice
PY

events csv --csv
python3 - "$work/csv.lf" "$nalerts" <<'PY' || fail "csv: see above"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["raised_at", "event_id", "level", "suppressed", "message", "luid", "user",
                   "domain", "terminal_session", "logged"], rows[0]
assert any(r[1] == "2001" and r[5:] == ["00000000:000a1000", "alice", "CONTOSO", "2", "yes"]
           for r in rows[1:]), rows
assert len(rows) - 1 == int(sys.argv[2]), f"{len(rows) - 1} rows, not {sys.argv[2]}"
assert any(r[1] == "2001" and r[2] == "warning" for r in rows[1:]), rows
PY

events hjson --holders --json
python3 - "$work/hjson.lf" <<'PY' || fail "holders json: see above"
import json, sys
h = json.load(open(sys.argv[1]))
got = [(x["luid"], x["pid"], x["image"], x["services"], x["tokens"], x["exited_process"],
        x["held_by_pid"]) for x in h]
assert got == [("00000000:000a1000", 4412, "C:\\Tools\\TokenGrabber.exe", "TokenGrabber", 5, False, None),
               ("00000000:000a1000", 5000, "C:\\Tools\\gone.exe", None, 1, True, 4412)], got
PY

events hcsv --holders --csv
python3 - "$work/hcsv.lf" <<'PY' || fail "holders csv: see above"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["boot_id", "luid", "pid", "image", "services", "tokens", "exited_process",
                   "held_by_pid", "scanned_at"], rows[0]
assert [r[1:8] for r in rows[1:]] == [
    ["00000000:000a1000", "4412", "C:\\Tools\\TokenGrabber.exe", "TokenGrabber", "5", "no", ""],
    ["00000000:000a1000", "5000", "C:\\Tools\\gone.exe", "", "1", "yes", "4412"]], rows
PY

# A database without holders: no section at all.
sqlite3 "$db" "DELETE FROM holders"
events empty
grep -q "^Token holders found" "$work/empty.lf" && fail "text: holder section without holders"
events hempty --holders
grep -q '^No token holders in ' "$work/hempty.lf" || fail "--holders: no 'No token holders'"

echo "PASS: events text/json/csv ($nalerts alerts, $n2001 of 2001) and the holder summary"
