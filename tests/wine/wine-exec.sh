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
# LW_EXE_SPEAKS=1 says that the exe writes why to stderr on every failure path
# of its own (scenario_expect does): a non-zero exit with nothing on stderr and
# no word from the server is then Wine's too (seen once in a fresh-clone CI:
# exit 1 after 0.11 s, nothing said by anyone), and is run once more. Its
# stdout is then held until it ends, so that a retry's output is not appended
# to a failed run's.
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
. "$(dirname "$0")/../lib/wine-server.sh"
log=$WINEPREFIX.wineserver.log
speaks=${LW_EXE_SPEAKS:-0}
errf= outf=
# The held output of the run that counts (LW_EXE_SPEAKS).
show_output() { [ -z "$outf" ] || cat "$outf"; }
[ "$speaks" != 1 ] || { errf=$(mktemp) outf=$(mktemp); trap 'rm -f "$errf" "$outf"' EXIT; }
for attempt in 1 2; do
  rc=0
  said=$(wc -l <"$log" 2>/dev/null || echo 0)
  started=$(date +%s.%N)
  if [ -n "$errf" ]; then
    lw_run_watching "$log" "$WINE64" "$@" >"$outf" 2>"$errf" || rc=$?
    cat "$errf" >&2
  else
    lw_run_watching "$log" "$WINE64" "$@" || rc=$?
  fi
  [ "$rc" != 0 ] || { show_output; exit 0; }
  new_lines=$(tail -n +"$((said + 1))" "$log" 2>/dev/null || true)
  if [ "$rc" = 250 ]; then
    echo "wine-exec: the wineserver crashed while '$*' ran: $(lw_crash_said "$log" | tr '\n' ' ')" >&2
  else
    echo "wine-exec: '$*' exited $rc after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s" >&2
    [ -z "$new_lines" ] || printf 'wine-exec: meanwhile the wineserver said:\n%s\n' "$new_lines" >&2
    # Only the server's own word, or the silence of an exe that always says
    # why, makes this Wine's failure rather than the exe's.
    if grep -q 'Protocol error' <<<"$new_lines"; then
      echo "wine-exec: the wineserver ended a thread of a process (Wine's failure, not the exe's)" >&2
    elif [ -n "$errf" ] && [ ! -s "$errf" ]; then
      echo "wine-exec: the exe said nothing, and it says why on every failure of its own (LW_EXE_SPEAKS): Wine's failure" >&2
    else
      show_output
      exit "$rc"
    fi
  fi
  [ "$attempt" = 1 ] || { show_output; echo "FAIL: Wine failed twice running '$*'; giving up" >&2; exit 1; }
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
