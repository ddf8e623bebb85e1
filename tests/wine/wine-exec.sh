#!/usr/bin/env bash
# CMAKE_CROSSCOMPILING_EMULATOR for the mingw build: runs a Windows exe under
# Wine in the build tree's shared prefix (made by tests/wine/prefix.sh setup).
# usage: wine-exec.sh PREFIX EXE [ARGS...]
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$(dirname "$0")/../lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64"
export WINEPREFIX=$1
shift
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "wine-exec: no Wine prefix at $WINEPREFIX (the wine_prefix_setup test makes it)" >&2
  exit 1
fi
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

# Two known failures of Wine 8's server, each seen in its stderr log (kept by
# prefix.sh setup) and answered by one more run, said on stderr:
# - it crashes when the holder scan's handle-table read meets a starting
#   process (tests/lib/wine-server.sh): the exe is ended at once, the prefix's
#   server is started again;
# - it ends a thread on a "Protocol error" (a reply it could not write under
#   load): the process dies with exit code 1 and not a word of its own.
# Any other non-zero exit is reported with the time it took and whatever the
# server said meanwhile, so a failure is never silent. A second failure fails.
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
. "$(dirname "$0")/../lib/wine-server.sh"
log=$WINEPREFIX.wineserver.log
for attempt in 1 2; do
  rc=0
  said=$(wc -l <"$log" 2>/dev/null || echo 0)
  started=$(date +%s.%N)
  lw_run_watching "$log" "$WINE64" "$@" || rc=$?
  [ "$rc" != 0 ] || exit 0
  new_lines=$(tail -n +"$((said + 1))" "$log" 2>/dev/null || true)
  if [ "$rc" = 250 ]; then
    echo "wine-exec: the wineserver crashed while '$*' ran: $(lw_crash_said "$log" | tr '\n' ' ')" >&2
  else
    echo "wine-exec: '$*' exited $rc after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s" >&2
    [ -z "$new_lines" ] || printf 'wine-exec: meanwhile the wineserver said:\n%s\n' "$new_lines" >&2
    # Only the server's own word makes this Wine's failure rather than the exe's.
    grep -q 'Protocol error' <<<"$new_lines" || exit "$rc"
    echo "wine-exec: the wineserver ended a thread of a process (Wine's failure, not the exe's)" >&2
  fi
  [ "$attempt" = 1 ] || { echo "FAIL: Wine failed twice running '$*'; giving up" >&2; exit 1; }
  if [ "$rc" = 250 ]; then
    echo "wine-exec: retry: ending what is left of the prefix, a new server, once more" >&2
    for p in /proc/[0-9]*; do
      case $(readlink "$p/exe" 2>/dev/null || true) in */wine*) ;; *) continue ;; esac
      tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX" && kill -9 "${p#/proc/}" 2>/dev/null
    done
    sleep 0.5
    bash "$(dirname "$0")/prefix.sh" setup "$WINEPREFIX" >/dev/null
  else
    echo "wine-exec: retry: once more" >&2
  fi
done
