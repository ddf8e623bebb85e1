#!/usr/bin/env bash
# Wine test: `leakwatch holders` names the token grabber. Starts
# tests/tools/token_grabber.exe ($1) in the build's prefix (processes are
# visible only within one prefix) holding 4 primary and, in a second grabber,
# 2 impersonation token copies, the first also keeping an exited child's
# process handle; then checks that `leakwatch holders --json` names each
# grabber's PID and image with the right token count and type, and the exited
# child held open by the first grabber; that the table names them too; and
# that --luid narrows the scan. Under Wine every token's AuthenticationId is
# 0:0 (README, "Under Wine"), so entries are matched by PID, and 0:0 is the LUID that
# holds everything.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64" python3
export WINEPREFIX=$LW_WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

grabber_exe=${1:?usage: test_holders.sh token_grabber.exe}
leakwatch="$LW_BUILD_DIR/service/leakwatch.exe"
work="$LW_BUILD_DIR/tests/holders_grabber"
rm -rf "$work"
mkdir -p "$work"
stop="$work/stop"
pids=()

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.json "$work"/*.txt; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}
cleanup() {
  touch "$stop"
  for p in "${pids[@]+"${pids[@]}"}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

# grab NAME ARGS...: starts a grabber, waits for "ready", sets grabbed to its
# Windows PID (not a $(...) subshell: cleanup needs the job in pids).
grab() {
  local name=$1
  shift
  "$WINE64" "$grabber_exe" "$@" --stop-file "Z:$stop" --seconds 120 >"$work/$name.out" 2>&1 &
  pids+=($!)
  # Up to 60 s: under a parallel ctest load a new Wine process has been seen to
  # take over 20 s to start (nothing printed at all), not a grabber problem.
  for _ in $(seq 600); do
    grep -q '^ready' "$work/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '^ready' "$work/$name.out" || fail "$name did not get ready"
  grabbed=$(sed -n 's/^pid \([0-9]*\).*/\1/p' "$work/$name.out" | tr -d '\r')
}

grab grabber1 --copies 4 --child
pid1=$grabbed
grab grabber2 --copies 2 --impersonation
pid2=$grabbed
child=$(sed -n 's/^child \([0-9]*\) exited.*/\1/p' "$work/grabber1.out" | tr -d '\r')
[ -n "$pid1" ] && [ -n "$pid2" ] && [ -n "$child" ] || fail "grabber output not understood"
echo "grabbers: $pid1 (4 primary, exited child $child), $pid2 (2 impersonation)"

"$WINE64" "$leakwatch" holders --json >"$work/holders.json" 2>"$work/holders.err" ||
  fail "leakwatch holders --json exited $?"
python3 - "$work/holders.json" "$pid1" "$pid2" "$child" <<'PY' || fail "JSON check failed"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
pid1, pid2, child = (int(x) for x in sys.argv[2:5])
assert doc["complete"] is True, doc["complete"]
cost = doc["cost"]
for key in ("handles_seen", "token_handles_inspected", "elapsed_ms", "processes_not_inspectable"):
    assert isinstance(cost[key], int), key
assert cost["handles_seen"] > 0 and cost["token_handles_inspected"] >= 6, cost
holders = [(s["luid"], h) for s in doc["logon_sessions"] for h in s["holders"]]
def one(pred, what):
    found = [h for h in holders if pred(h[1])]
    assert len(found) == 1, (what, found)
    return found[0]
luid, g1 = one(lambda h: h["pid"] == pid1 and not h["exited_process"], "grabber 1")
assert luid == "00000000:00000000", luid   # Wine: every AuthenticationId is 0:0
assert g1["image"].lower().endswith("\\token_grabber.exe"), g1["image"]
assert g1["tokens"] == 4 and g1["primary_tokens"] == 4, g1
assert g1["token_types"] == "primary" and g1["held_open_by"] is None, g1
_, g2 = one(lambda h: h["pid"] == pid2 and not h["exited_process"], "grabber 2")
assert g2["tokens"] == 2 and g2["impersonation_tokens"] == 2, g2
assert g2["token_types"] == "impersonation", g2
_, ex = one(lambda h: h["pid"] == child, "exited child")
assert ex["exited_process"] is True and ex["tokens"] == 1, ex
assert ex["held_open_by"]["pid"] == pid1, ex
assert ex["held_open_by"]["image"].lower().endswith("\\token_grabber.exe"), ex
print("ok: JSON names grabber %d (4 primary), %d (2 impersonation), exited %d held by %d"
      % (pid1, pid2, child, pid1))
PY

"$WINE64" "$leakwatch" holders >"$work/table.txt" 2>&1 || fail "leakwatch holders exited $?"
tr -d '\r' <"$work/table.txt" >"$work/table.clean.txt"
grep -Eq "^00000000:00000000 +$pid1 +4 +primary +.*token_grabber\.exe$" "$work/table.clean.txt" ||
  fail "table does not name grabber $pid1 with 4 primary tokens"
grep -Eq "^00000000:00000000 +$child +1 +exited +.*held open by token_grabber\.exe \(PID $pid1\)$" \
  "$work/table.clean.txt" || fail "table does not name the exited child $child"
grep -q '^Scanned [0-9]* handles in [0-9]* ms' "$work/table.clean.txt" || fail "no cost line"
echo "ok: table names them"

# --luid narrows: 0:0 holds the grabbers (Wine), 0:1 nothing.
"$WINE64" "$leakwatch" holders --luid 0:0 --json >"$work/luid00.json" || fail "--luid 0:0 failed"
"$WINE64" "$leakwatch" holders --luid 0:1 >"$work/luid01.txt" || fail "--luid 0:1 failed"
python3 - "$work/luid00.json" "$pid1" <<'PY' || fail "--luid 0:0 check failed"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert [s["luid"] for s in doc["logon_sessions"]] == ["00000000:00000000"], doc
assert any(h["pid"] == int(sys.argv[2]) for h in doc["logon_sessions"][0]["holders"])
PY
tr -d '\r' <"$work/luid01.txt" | grep -q '^00000000:00000001: no token handle found' ||
  fail "--luid 0:1 should find nothing"
! grep -q token_grabber "$work/luid01.txt" || fail "--luid 0:1 named a grabber"
echo "ok: --luid narrows the scan"

# Bad usage exits 2.
rc=0
"$WINE64" "$leakwatch" holders --luid nonsense >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad --luid should exit 2, got $rc"
echo "PASS"
