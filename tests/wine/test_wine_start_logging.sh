#!/usr/bin/env bash
# lw_wine_start_logging (tests/lib/wine-service.sh) meets Wine's failed first
# start - "failed to map the shared user data", then "failed to start
# wineboot": services.exe would start later without the log, and a run would
# record no event at all - with one more start on a new server, said as
# "retry: ..."; a second failure returns 1 and prints what Wine said. Played
# with stand-ins for wine64 and wineserver that fail the first N starts, so
# the failure is the one Wine prints, on demand.
set -uo pipefail
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The stand-ins: wineserver counts its -k and -p; wine64 fails while the
# count file says so, as Wine does (its words on stdout/stderr, exit 0).
cat >"$work/wineserver" <<'SH'
#!/bin/sh
echo "$*" >>"$LW_FAKE_DIR/server.calls"
SH
cat >"$work/wine64" <<'SH'
#!/bin/sh
n=$(cat "$LW_FAKE_DIR/fail-left")
echo "WINEDEBUG=$WINEDEBUG $*" >>"$LW_FAKE_DIR/wine.calls"
if [ "$n" -gt 0 ]; then
  echo $((n - 1)) >"$LW_FAKE_DIR/fail-left"
  echo "err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018"
  echo "0024:err:environ:run_wineboot failed to start wineboot c00000e5"
fi
exit 0
SH
chmod +x "$work/wineserver" "$work/wine64"
export LW_FAKE_DIR=$work WINE64=$work/wine64 WINESERVER=$work/wineserver
. "$src/tests/lib/wine-service.sh"

# play FAILS [CHANNELS]: a start with FAILS failed tries first; its status,
# stderr in $work/err.
play() {
  local rc=0
  echo "$1" >"$work/fail-left"
  rm -f "$work/server.calls" "$work/wine.calls" "$work/wine.log" "$work/wine.log.failed-start"
  lw_wine_start_logging "$work/wine.log" ${2:+"$2"} 2>"$work/err" || rc=$?
  return "$rc"
}

# 1. Wine starts at once: no retry, nothing said, the default channels.
play 0 || fail "a clean start returned $?: $(cat "$work/err")"
[ ! -s "$work/err" ] || fail "a clean start said: $(cat "$work/err")"
[ "$(wc -l <"$work/wine.calls")" = 1 ] || fail "a clean start ran wine $(wc -l <"$work/wine.calls") times"
grep -q "^WINEDEBUG=fixme-all,+eventlog,fixme+advapi cmd /c exit 0$" "$work/wine.calls" ||
  fail "the default channels were not given: $(cat "$work/wine.calls")"

# 2. The first start fails as Wine's do: said, once more on a new server, ok.
play 1 || fail "a start that failed once returned $?: $(cat "$work/err")"
grep -q "^retry: the Wine start that logs services.exe failed (exit 0): .*failed to map the shared user data" "$work/err" ||
  fail "the retry was not said: $(cat "$work/err")"
[ "$(wc -l <"$work/wine.calls")" = 2 ] || fail "wine ran $(wc -l <"$work/wine.calls") times, want 2"
[ "$(grep -c '^-k' "$work/server.calls")" = 2 ] && [ "$(grep -c '^-p' "$work/server.calls")" = 2 ] ||
  fail "no new server for the second start: $(tr '\n' ' ' <"$work/server.calls")"
[ -s "$work/wine.log.failed-start" ] || fail "the failed start's words were not kept"
! grep -q "failed to map" "$work/wine.log" || fail "wine.log still holds the failed start"

# 3. Twice: returns 1, says so with Wine's words; other channels pass through.
if play 2 "fixme-all,+eventlog,warn+debugstr"; then
  fail "a start that failed twice returned 0"
fi
grep -q "^FAIL: the Wine start that logs services.exe failed twice" "$work/err" &&
  grep -q "failed to start wineboot" "$work/err" || fail "a double failure was not said: $(cat "$work/err")"
grep -q "^WINEDEBUG=fixme-all,+eventlog,warn+debugstr cmd" "$work/wine.calls" ||
  fail "the channels given were not used: $(cat "$work/wine.calls")"

[ "$failures" = 0 ] || exit 1
echo "PASS: test_wine_start_logging (a clean start, one retried start, a double failure)"
