#!/usr/bin/env bash
# wine-exec.sh (the mingw build's CMAKE_CROSSCOMPILING_EMULATOR) never fails
# in silence and answers Wine's own failure with one more run:
#   1. an exe's non-zero exit passes through, said with its time;
#   2. a "Protocol error" line in the prefix's server log during the run (the
#      server ended a thread: exit code 1, not a word from the exe) is shown
#      and the exe runs once more; the second run's status counts;
#   3. the same failure twice fails, saying so;
#   4. without the server's word, a failure is the exe's: no second run;
#   5. LW_EXE_SPEAKS=1 (an exe that always says why it fails): a silent exit 1
#      is Wine's, run once more, and only the second run's stdout is given;
#   6. LW_EXE_SPEAKS=1 and the exe said why: its failure, no second run.
# Runs in a copy of the shared prefix, so its server log is this test's own.
# usage: test_wine_exec.sh EXIT_AFTER_EXE
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
exe=$(realpath "${1:?usage: test_wine_exec.sh EXIT_AFTER_EXE}")
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
work=$build/tests/wine/wine_exec
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
bash "$src/tests/wine/prefix.sh" clone "${LW_WINEPREFIX:-$build/wineprefix}" "$prefix" ||
  { echo "FAIL: could not copy the prefix" >&2; exit 1; }
bash "$src/tests/wine/prefix.sh" setup "$prefix" >/dev/null ||
  { echo "FAIL: could not start the copy's server" >&2; exit 1; }
trap 'WINEPREFIX=$prefix "$WINESERVER" -k 2>/dev/null; rm -rf "$prefix"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# run NAME ARGS...: wine-exec.sh on the copy; its status in $rc, stderr in
# $err, stdout in $out.
run() {
  local name=$1
  shift
  rc=0
  bash "$src/tests/wine/wine-exec.sh" "$prefix" "$exe" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  err=$(cat "$work/$name.err")
  out=$(tr -d '\r' <"$work/$name.out")
}
# protocol_error_in SECONDS: the server's line, as Wine writes it, later.
protocol_error_in() {
  (sleep "$1" && echo "Protocol error:0114: reply write: Bad file descriptor" >>"$prefix.wineserver.log") &
}

run pass 0 3
[ "$rc" = 3 ] || fail "case 1: status $rc, want 3"
grep -q "exited 3 after [0-9.]* s" <<<"$err" || fail "case 1: the exit not said: $err"

protocol_error_in 0.5
run once 1500 1 "Z:$work/once"
wait
[ "$rc" = 0 ] || fail "case 2: status $rc, want 0 (the second run's)"
for said in "Protocol error:0114" "ended a thread" "retry: once more"; do
  grep -qF "$said" <<<"$err" || fail "case 2: '$said' not said: $err"
done

# Both runs meet the server's word: it is said every 0.3 s meanwhile.
(while :; do
  echo "Protocol error:0118: reply write: Bad file descriptor" >>"$prefix.wineserver.log"
  sleep 0.3
done) &
talker=$!
run twice 1500 1
kill "$talker"
wait
[ "$rc" = 1 ] || fail "case 3: status $rc, want 1"
grep -q "failed twice" <<<"$err" || fail "case 3: giving up not said: $err"

run own 200 4
[ "$rc" = 4 ] || fail "case 4: status $rc, want 4"
! grep -q "retry" <<<"$err" || fail "case 4: ran again without the server's word: $err"

LW_EXE_SPEAKS=1 run silent 100 1 "Z:$work/silent"
[ "$rc" = 0 ] || fail "case 5: status $rc, want 0 (the second run's): $err"
grep -qF "said nothing" <<<"$err" || fail "case 5: the silence not said: $err"
[ "$out" = "second run" ] || fail "case 5: stdout '$out', want the second run's alone"

LW_EXE_SPEAKS=1 run speaks 100 4 "Z:$work/speaks" "exit_after: my own failure"
[ "$rc" = 4 ] || fail "case 6: status $rc, want 4"
grep -qF "my own failure" <<<"$err" || fail "case 6: the exe's word lost: $err"
! grep -q "retry" <<<"$err" || fail "case 6: ran again though the exe said why: $err"
[ "$out" = "first run" ] || fail "case 6: stdout '$out', want the run's"

[ "$failures" = 0 ] || exit 1
echo "test_wine_exec: 6 cases ok"
