#!/usr/bin/env bash
# Wine test: one writer per history database (issue 12 item 6). On the
# simulated host (tests/e2e/fakehost-exec.sh, leak-one.yaml), a first
# `leakwatch run --polls N` writes a database; while it runs:
#   - a second `leakwatch run` on the same database fails at once: exit 1,
#     stderr names the operation ("take the writer lock"), the database and
#     the holder ("leakwatch run, PID n"), and it writes nothing;
#   - readers are not blocked: `leakwatch history` (under Wine) and sqlite3
#     read the database while the lock is held.
# Then the first run ends normally and its history is intact: PRAGMA
# integrity_check = ok, exactly N polls (none from the second writer), the
# two leak episodes of leak-one.yaml, both released, and no lock file left.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64" sqlite3 timeout
src=$LW_SOURCE_DIR
exec_sh=$src/tests/e2e/fakehost-exec.sh
scen=$src/tests/scenarios/leak-one.yaml
work=$LW_BUILD_DIR/tests/writer_lock
rm -rf "$work"
mkdir -p "$work/data"
db=$work/data/history.db
# Long enough (45 s) that a slow Wine start of the second writer under load
# still finds the first one running (40 polls were too few in CI).
polls=150
first_pid=

winpath() { printf 'Z:%s' "$(realpath -m "$1")"; }
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f" >&2; head -c 3000 "$f" >&2; echo >&2; }
  done
  exit 1
}
cleanup() {
  if [ -n "$first_pid" ] && kill -0 "$first_pid" 2>/dev/null; then
    kill "$first_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
q() { sqlite3 -readonly "$db" "$1" 2>&1; }

cat >"$work/leakwatch.yaml" <<YAML
poll_interval: 300ms
grace_period: 2s
database: '$(winpath "$db")'
YAML
cfg=$(winpath "$work/leakwatch.yaml")

# 1. The first writer, in the background.
timeout 300 bash "$exec_sh" "$scen" -- run --polls "$polls" --config "$cfg" \
  >"$work/first.out" 2>"$work/first.err" &
first_pid=$!

# Wait until it has written a few polls (and so holds the lock).
for _ in $(seq 600); do
  n=$(q "SELECT count(*) FROM polls" 2>/dev/null || true)
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 3 ] && break
  kill -0 "$first_pid" 2>/dev/null || fail "the first writer ended before writing 3 polls (bash $exec_sh $scen -- run --polls $polls --config $cfg)"
  sleep 0.1
done
[[ ${n:-} =~ ^[0-9]+$ ]] && [ "$n" -ge 3 ] || fail "the first writer wrote no 3 polls in 60 s (count: '${n:-}')"
[ -f "$db.lock" ] || fail "no lock file $db.lock while the first writer runs"

# 2. The second writer fails at once, naming the database and the holder.
rc=0
start=$(date +%s)
timeout 120 bash "$exec_sh" "$scen" -- run --polls 3 --config "$cfg" \
  >"$work/second.out" 2>"$work/second.err" || rc=$?
took=$(($(date +%s) - start))
echo "second writer: exit $rc after $took s"
kill -0 "$first_pid" 2>/dev/null || fail "the first writer ended before the second one was tried; make polls larger"
[ "$rc" = 1 ] || fail "second writer: exit $rc, expected 1 (bash $exec_sh $scen -- run --polls 3 --config $cfg)"
err=$(tr -d '\r' <"$work/second.err")
for want in "take the writer lock" "Database: $(winpath "$db")" "leakwatch run, PID " \
  "another LeakWatch writer is using this history database" "not started (exit code 12)"; do
  grep -qF -- "$want" <<<"$err" || fail "second writer: stderr does not say '$want'"
done
echo "ok: the second writer failed in ${took}s: $(grep -m1 'another LeakWatch writer' <<<"$err")"

# 3. Readers are never blocked by the lock.
rc=0
timeout 120 bash "$exec_sh" "$scen" -- history --db "$(winpath "$db")" --json \
  >"$work/history.out" 2>"$work/history.err" || rc=$?
[ "$rc" = 0 ] || fail "leakwatch history while the lock is held: exit $rc"
grep -q '"luid"' "$work/history.out" || fail "leakwatch history printed no logon session"
n2=$(q "SELECT count(*) FROM v_polls")
[[ $n2 =~ ^[0-9]+$ ]] || fail "sqlite3 could not read v_polls while the lock is held: $n2"
echo "ok: readers not blocked (leakwatch history, sqlite3 saw $n2 polls)"

# 4. The first writer finishes; its history is intact.
rc=0
wait "$first_pid" || rc=$?
first_pid=
[ "$rc" = 0 ] || fail "first writer: exit $rc"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check: $(q 'PRAGMA integrity_check')"
[ "$(q 'SELECT count(*) FROM polls')" = "$polls" ] ||
  fail "polls: $(q 'SELECT count(*) FROM polls'), expected $polls (the first writer's only)"
[ "$(q 'SELECT count(*) FROM v_leaks')" = 2 ] || fail "v_leaks: $(q 'SELECT * FROM v_leaks'), expected 2 episodes"
[ "$(q 'SELECT count(*) FROM v_leaks WHERE released_at IS NULL')" = 0 ] ||
  fail "v_leaks: $(q 'SELECT * FROM v_leaks'), expected both released"
[ ! -e "$db.lock" ] || fail "the lock file $db.lock is left after the first writer ended"
echo "ok: first writer's history intact ($polls polls, 2 leak episodes, integrity ok, lock file gone)"
