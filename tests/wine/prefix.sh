#!/usr/bin/env bash
# Manages the Wine prefixes the tests run in.
#   prefix.sh setup PREFIX      make PREFIX once per build tree (wineboot, ~20 s)
#                               and keep its wineserver alive (-p) for the run
#   prefix.sh teardown PREFIX   end that wineserver
#   prefix.sh clone PREFIX DEST a clean machine for one test: a copy of PREFIX
#                               (~3 s) with no server of its own running yet;
#                               PREFIX is made first if it is not there yet
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$(dirname "$0")/../lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
require_tool "$WINE64" "$WINESERVER"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

cmd=${1:?usage: prefix.sh setup|teardown|clone PREFIX [DEST]}
export WINEPREFIX=$(realpath -m "${2:?prefix path}")

# make: creates $WINEPREFIX once (under a lock: tests and scripts may race
# for it), then lets its server go. wineboot is retried once: a first start
# on a loaded machine has been seen to fail.
make_prefix() {
  mkdir -p "$(dirname "$WINEPREFIX")"
  exec 9>"$WINEPREFIX.lock"
  flock 9
  if [ ! -f "$WINEPREFIX/.leakwatch-ready" ]; then
    local attempt
    for attempt in 1 2; do
      rm -rf "$WINEPREFIX"
      if timeout 300 "$WINE64" wineboot -i >"$WINEPREFIX.wineboot.log" 2>&1 9>&- &&
        timeout 120 "$WINESERVER" -w 9>&-; then
        touch "$WINEPREFIX/.leakwatch-ready"
        break
      fi
      "$WINESERVER" -k 2>/dev/null 9>&- || true
      if [ "$attempt" = 1 ]; then
        echo "prefix.sh: wineboot -i in $WINEPREFIX failed; trying once more" >&2
      else
        echo "prefix.sh: wineboot -i in $WINEPREFIX failed twice; its output:" >&2
        tail -n 20 "$WINEPREFIX.wineboot.log" >&2
        exit 1
      fi
    done
  fi
  exec 9>&-
}

case "$cmd" in
setup)
  make_prefix
  # Detached from our stdio: ctest waits for every holder of its pipe to exit.
  # Its stderr is kept: a thread the server kills is reported there only.
  detached_log "$WINEPREFIX.wineserver.log" "$WINESERVER" -p || true # already running is fine
  # The first Wine process of a server's life starts services.exe and
  # winedevice.exe, which inherit its stdio and live as long as the server. Start
  # them here, detached, or ctest would wait on them through a test's pipe.
  detached "$WINE64" cmd /c exit 0
  echo "wine prefix ready: $WINEPREFIX"
  ;;
teardown)
  "$WINESERVER" -k 2>/dev/null || true
  # Shown, not failed on: the test whose thread died fails by itself.
  if grep -q 'Protocol error' "$WINEPREFIX.wineserver.log" 2>/dev/null; then
    echo "wineserver killed threads during this run ($WINEPREFIX.wineserver.log):" >&2
    grep 'Protocol error' "$WINEPREFIX.wineserver.log" | tail -n 20 >&2
  fi
  ;;
clone)
  dest=$(realpath -m "${3:?destination}")
  [ -f "$WINEPREFIX/.leakwatch-ready" ] || make_prefix
  WINEPREFIX=$dest "$WINESERVER" -k 2>/dev/null || true
  rm -rf "$dest"
  cp -a "$WINEPREFIX" "$dest"
  # A copy made while the source's server runs may carry its lock files.
  rm -f "$dest"/.update-timestamp.lock 2>/dev/null || true
  ;;
*)
  echo "prefix.sh: unknown command '$cmd'" >&2
  exit 2
  ;;
esac
