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

# Wine 8's server crashes when the holder scan's handle-table read meets a
# starting process (tests/lib/wine-server.sh). That is a known Wine failure,
# not a result: the exe is ended at once, the crash is said, the prefix's
# server is started again and the exe runs once more. A second crash fails.
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
. "$(dirname "$0")/../lib/wine-server.sh"
log=$WINEPREFIX.wineserver.log
for attempt in 1 2; do
  rc=0
  lw_run_watching "$log" "$WINE64" "$@" || rc=$?
  [ "$rc" = 250 ] || exit "$rc"
  echo "wine-exec: the wineserver crashed while '$*' ran: $(lw_crash_said "$log" | tr '\n' ' ')" >&2
  [ "$attempt" = 1 ] || { echo "FAIL: the wineserver crashed twice; giving up" >&2; exit 1; }
  echo "wine-exec: retry: ending what is left of the prefix, a new server, once more" >&2
  for p in /proc/[0-9]*; do
    case $(readlink "$p/exe" 2>/dev/null || true) in */wine*) ;; *) continue ;; esac
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX" && kill -9 "${p#/proc/}" 2>/dev/null
  done
  sleep 0.5
  bash "$(dirname "$0")/prefix.sh" setup "$WINEPREFIX" >/dev/null
done
