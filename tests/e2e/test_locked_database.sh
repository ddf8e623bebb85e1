#!/usr/bin/env bash
# End-to-end test: a locked history database never stops the service (issue
# 12). The real leakwatch.exe runs as a service (Wine's SCM) on the simulated
# host (fake secur32/wtsapi32 beside it, basic.yaml), poll_interval 200ms,
# holders on (the default), the default database
# (%ProgramData%\LeakWatch\history.db). A Linux sqlite3 process holds a lock
# on that database longer than the store's busy timeout (5 s): Wine maps
# LockFileEx to fcntl locks on the same files (the database and its -shm), so
# the Windows SQLite in the service sees the Linux process's locks and the
# reverse; no Windows helper is needed.
#   run 1: the service creates the database (a few polls), then is stopped;
#   (a) a connection in PRAGMA locking_mode=EXCLUSIVE with BEGIN EXCLUSIVE
#       takes the database BEFORE the service starts again and keeps it until
#       the service has been RUNNING for LOCK_A_SECONDS (the store opens
#       "deferred", 1106 "open the database");
#   (b) later in the same run, a plain write transaction (BEGIN IMMEDIATE) is
#       held for LOCK_B_SECONDS (SQLite lets no locking_mode=EXCLUSIVE
#       connection in while the service has the database open): 1106 "write
#       the poll".
# Asserted:
#   - the service answers RUNNING at every look while locked (sampled every
#     0.5 s) and keeps polling: the fake's lsa_enumerate_calls grows by 2 or
#     more while each lock is held (each poll then waits the 5 s busy
#     timeout: 20 s of lock after RUNNING in (a) and 12 s in (b) allow 3);
#   - the Event Log (wine.log through eventlog-from-wine.py): exactly one
#     1106 per locked episode, raised while the lock is held, and one 1005
#     after its release; in order 1106 1005 1106 1005; the 1005s' "queued
#     polls written" add up to the v_polls rows marked "not stored at poll
#     time (database is locked); written by a later poll", none dropped;
#   - after the stop: SELECT count(*) FROM v_polls (and FROM polls) equals
#     the polls made = the fake's lsa_enumerate_calls of run 1 + of run 2.
#     Each poll calls LsaEnumerateLogonSessions exactly once and leaves
#     exactly one polls row (queued ones are written later, none dropped);
#     the counts compared are the fakes' final ones, written as the DLLs
#     detach at process exit. (While the service runs, fakehost.stats lags
#     by one: it is rewritten at the start of each enumeration, before that
#     enumeration is counted.) Every row has its counts (none failed);
#     PRAGMA integrity_check = ok; the service stopped with exit code 0.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), LW_WINEPREFIX, Wine,
# sqlite3, python3.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_SOURCE_DIR=$src LW_BUILD_DIR=$build LW_WINEPREFIX=${LW_WINEPREFIX:-$build/wineprefix}
. "$src/tests/lib/wine-service.sh"
require_tool sqlite3 python3 timeout mkfifo
scenario=$src/tests/scenarios/basic.yaml
work=$build/tests/e2e/locked_database
LOCK_A_SECONDS=${LOCK_A_SECONDS:-20}
LOCK_B_SECONDS=${LOCK_B_SECONDS:-12}
rm -rf "$work"
mkdir -p "$work"
t_begin=$SECONDS

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  checks=$((checks + 1))
  "$@" || fail "$what"
}
show() { [ -f "$1" ] && { echo "--- $1 (last lines):" >&2; tail -n "${2:-20}" "$1" >&2; }; }
# die WHAT: a step the rest depends on failed; says what and where to look.
die() {
  echo "FAIL: $*" >&2
  events >"$work/eventlog.txt" && show "$work/eventlog.txt" 15
  show "$work/wine.log" 10
  [ -n "${lock_out:-}" ] && show "$lock_out"
  echo "test_locked_database: stopped after $((checks - failures)) passed, $((failures + 1)) failed" >&2
  exit 1
}

lock_pid=
cleanup() {
  if [ -n "$lock_pid" ]; then
    exec 7>&-
    kill "$lock_pid" 2>/dev/null
    wait "$lock_pid" 2>/dev/null
  fi
  lw_wine_end
}
trap cleanup EXIT

# --- the machine ---------------------------------------------------------------
lw_wine_clean_machine "$work"
lw_wine_start_logging "$work/wine.log" || die "could not start services.exe with its log"
lw_fakehost_service "$scenario" || die "could not set up the service on the simulated host"
db=$data/history.db
stats=$app/fakehost.stats
printf 'poll_interval: 200ms\n' >"$data/leakwatch.yaml"

# --- helpers ------------------------------------------------------------------------
# The fake's enumerations so far (the stats file lags by one while it runs).
enumerations() {
  local n
  n=$(sed -n 's/^lsa_enumerate_calls=\([0-9]*\)\r*$/\1/p' "$stats" 2>/dev/null | tail -n 1)
  echo "${n:-0}"
}
events() { python3 "$src/tests/e2e/eventlog-from-wine.py" <"$work/wine.log" 2>/dev/null; }
count_event() { events | grep -c "^id=$1 "; }
db_polls() { sqlite3 -readonly "$db" 'SELECT count(*) FROM polls' 2>/dev/null; }
# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s; dies on time out.
wait_for() {
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + secs))
  until "$@"; do
    [ "$(date +%s)" -le "$deadline" ] || die "$what: not within $secs s (state: $(lw_query LeakWatch | grep STATE))"
    sleep 0.2
  done
}
start_service() {
  lw_sc start LeakWatch >/dev/null || die "sc start failed: $(lw_query LeakWatch)"
  # The deferred open waits the 5 s busy timeout before RUNNING.
  lw_wait_state LeakWatch RUNNING 60 || die "the service did not reach RUNNING: $(lw_query LeakWatch)"
}
stop_service() { # stop_service NAME: stops it, waits for its process to end
  lw_sc stop LeakWatch >/dev/null || die "$1: sc stop failed: $(lw_query LeakWatch)"
  lw_wait_state LeakWatch STOPPED 60 || die "$1: the service did not stop: $(lw_query LeakWatch)"
  for _ in $(seq 150); do
    lw_service_alive || break
    sleep 0.2
  done
  lw_service_alive && die "$1: the service's process still runs 30 s after STOPPED"
  state=$(lw_query LeakWatch)
  check "$1: the service did not stop with exit code 0: $state" grep -Eq 'WIN32_EXIT_CODE *: *0 ' <<<"$state"
}
# lock_take NAME SQL...: a Linux sqlite3 on the database runs SQL (-bail: an
# error ends it) and then prints LOCKED; its stdin stays open (fd 7) until
# lock_release.
lock_take() {
  local name=$1
  shift
  lock_out=$work/lock-$name.out
  rm -f "$work/lock.fifo"
  mkfifo "$work/lock.fifo" || die "$name: mkfifo failed"
  sqlite3 -bail "$db" <"$work/lock.fifo" >"$lock_out" 2>&1 &
  lock_pid=$!
  exec 7>"$work/lock.fifo"
  printf '%s\n' "$@" "SELECT 'LOCKED';" >&7
  for _ in $(seq 150); do
    grep -qx LOCKED "$lock_out" && return 0
    kill -0 "$lock_pid" 2>/dev/null || break
    sleep 0.1
  done
  die "$name: sqlite3 did not take the lock (sqlite3 $db: $*)"
}
lock_release() {
  printf 'COMMIT;\n.quit\n' >&7
  exec 7>&-
  local rc=0
  wait "$lock_pid" || rc=$?
  lock_pid=
  check "$1: the lock holder (sqlite3) failed with $rc: $(tail -n 3 "$lock_out")" [ "$rc" = 0 ]
}
# watch_locked NAME SECONDS: while the lock is held, looks at the service every
# 2 s for SECONDS: it must answer RUNNING (an empty answer of Wine's sc under
# load is asked again by lw_query, and not counted); then checks it polled.
# (Not more often: each `sc` started beside the scanning service is a chance
# of the wineserver's crash, tests/lib/wine-server.sh.)
watch_locked() {
  local name=$1 end=$((SECONDS + $2)) e0 e1 st bad=0 looks=0
  e0=$(enumerations)
  while [ "$SECONDS" -lt "$end" ]; do
    st=$(lw_query LeakWatch)
    if [ -n "$st" ]; then
      looks=$((looks + 1))
      grep -q 'STATE *: *[0-9]* *RUNNING' <<<"$st" || {
        bad=$((bad + 1))
        echo "$name: at +$((SECONDS - end + $2)) s: $st" >>"$work/not-running.txt"
      }
    fi
    sleep 2
  done
  e1=$(enumerations)
  check "$name: the service was not RUNNING at $bad of $looks looks while locked (see $work/not-running.txt)" \
    [ "$bad" = 0 ]
  check "$name: no look at the service while locked" [ "$looks" -gt 0 ]
  check "$name: the host saw $e0 -> $e1 enumerations while locked for $2 s, expected 2 more or more" \
    [ $((e1 - e0)) -ge 2 ]
  echo "$name: locked for $2 s while RUNNING at $looks looks; enumerations $e0 -> $e1"
}

# --- run 1: the database is created --------------------------------------------------
start_service
wait_for 60 "run 1: 5 polls in $db" eval '[ "$(db_polls)" -ge 5 ] 2>/dev/null'
stop_service "run 1"
enum1=$(enumerations)
polls1=$(db_polls)
mv "$stats" "$work/fakehost-1.stats"
check "run 1: $polls1 polls rows for $enum1 enumerations" [ "$polls1" = "$enum1" ]
echo "run 1: $polls1 polls"

# --- (a) locked before the start ------------------------------------------------------
lock_take a 'PRAGMA locking_mode=EXCLUSIVE;' 'BEGIN EXCLUSIVE;' 'SELECT count(*) FROM polls;'
start_service
watch_locked "(a) locked at start" "$LOCK_A_SECONDS"
check "(a): 1106 not raised exactly once while locked" [ "$(count_event 1106)" = 1 ]
check "(a): 1005 raised before the release" [ "$(count_event 1005)" = 0 ]
lock_release "(a)"
wait_for 30 "(a): 1005 after the release" eval '[ "$(count_event 1005)" -ge 1 ]'
e=$(enumerations)
wait_for 30 "(a): 5 more polls after the release" eval '[ "$(enumerations)" -ge $((e + 5)) ]'

# --- (b) a write transaction mid-run ------------------------------------------------------
lock_take b 'BEGIN IMMEDIATE;'
watch_locked "(b) locked mid-run" "$LOCK_B_SECONDS"
check "(b): 1106 not raised exactly once more while locked" [ "$(count_event 1106)" = 2 ]
check "(b): 1005 raised before the release" [ "$(count_event 1005)" = 1 ]
lock_release "(b)"
wait_for 30 "(b): 1005 after the release" eval '[ "$(count_event 1005)" -ge 2 ]'
e=$(enumerations)
wait_for 30 "(b): 5 more polls after the release" eval '[ "$(enumerations)" -ge $((e + 5)) ]'
stop_service "run 2"
enum2=$(enumerations)

# --- the Event Log ----------------------------------------------------------------------------
events >"$work/eventlog.txt" || die "could not read the Event Log calls from $work/wine.log"
grep -E '^id=(1106|1005) ' "$work/eventlog.txt" >"$work/busy-events.txt"
order=$(cut -d' ' -f1 "$work/busy-events.txt" | tr '\n' ' ')
check "events 1106/1005 in the order '$order', expected 'id=1106 id=1005 id=1106 id=1005 '" \
  [ "$order" = "id=1106 id=1005 id=1106 id=1005 " ]
check "(a): the first 1106 is not a warning about opening the database" \
  grep -Eq '^id=1106 type=warning .*\| open the database \|' <(sed -n 1p "$work/busy-events.txt")
check "(b): the second 1106 is not a warning about writing the poll" \
  grep -Eq '^id=1106 type=warning .*\| write the poll \|' <(sed -n 3p "$work/busy-events.txt")
written=0
while IFS= read -r line; do
  # id=1005 type=information DATABASE | WRITTEN | DROPPED
  w=$(awk -F' \\| ' '{ print $(NF-1) }' <<<"$line")
  d=$(awk -F' \\| ' '{ print $NF }' <<<"$line")
  check "1005 says $d polls dropped: $line" [ "$d" = 0 ]
  check "1005 says '$w' polls written: $line" eval '[[ $w =~ ^[0-9]+$ ]]'
  [[ $w =~ ^[0-9]+$ ]] && written=$((written + w))
done < <(grep '^id=1005 ' "$work/busy-events.txt")
check "events 1000 (started) and 1001 (stopped) not twice each" \
  [ "$(grep -c '^id=1000 ' "$work/eventlog.txt") $(grep -c '^id=1001 ' "$work/eventlog.txt")" = "2 2" ]

# --- the history ------------------------------------------------------------------------------------
q() { sqlite3 -readonly "$db" "$1" 2>&1; }
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
cp "$db" "$work/history.db"
npolls=$(q 'SELECT count(*) FROM v_polls')
check "v_polls has $npolls rows, expected the $enum1 + $enum2 = $((enum1 + enum2)) polls made (enumerations)" \
  [ "$npolls" = $((enum1 + enum2)) ]
check "polls has $(q 'SELECT count(*) FROM polls') rows, v_polls $npolls" [ "$(q 'SELECT count(*) FROM polls')" = "$npolls" ]
queued=$(q "SELECT count(*) FROM v_polls WHERE error = 'not stored at poll time (database is locked); written by a later poll'")
check "$queued rows say they were written by a later poll, the 1005s say $written" [ "$queued" = "$written" ]
check "no row was queued while locked ($queued)" [ "$queued" -ge 1 ]
others=$(q "SELECT count(*) FROM v_polls WHERE logon_sessions IS NULL OR (error IS NOT NULL AND error NOT LIKE 'not stored at poll time (database is locked)%')")
check "$others polls failed or lost their counts" [ "$others" = 0 ]
check "PRAGMA integrity_check: $(q 'PRAGMA integrity_check' | head -n 3)" [ "$(q 'PRAGMA integrity_check')" = ok ]
echo "history: $npolls polls = $enum1 + $enum2 enumerations; $queued written by a later poll"

if [ "$failures" -ne 0 ]; then
  show "$work/eventlog.txt" 30
  show "$work/not-running.txt"
fi
echo "test_locked_database: $((checks - failures)) passed, $failures failed ($((SECONDS - t_begin)) s)"
[ "$failures" -eq 0 ]
