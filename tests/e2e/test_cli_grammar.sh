#!/usr/bin/env bash
# End-to-end test of the one CLI grammar (issue 15) under Wine: every command
# `leakwatch --help` lists, with --help, --json (parsed), --csv and --csv-exact
# (a strict CSV reader), a bad option, a missing value and a bad time; exit
# codes, the one form of a refusal, tables within 120 columns and a closed
# pipe ended quietly (check_cli_grammar.py says what exactly).
# The history comes from a real run: the exe plays leak-one.yaml on the
# simulated host (`run --polls`, fakehost-exec.sh), which raises real alerts.
# The checks then run the exe directly (wine64, a folder with the fake DLLs,
# in fakehost-exec.sh's prefix): about 150 short runs, no server or service.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), Wine, python3, sqlite3.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/require.sh
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
require_tool "$WINE64" python3 sqlite3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
# shellcheck source=../lib/wine-server.sh
. "$src/tests/lib/wine-server.sh"
scen=$src/tests/scenarios/leak-one.yaml
work=$build/tests/e2e/cli_grammar
rm -rf "$work"
mkdir -p "$work/data" "$work/bin"
lw_play_history "$scen" 16
[ "$(sqlite3 "$db" "SELECT count(*) FROM alerts")" -ge 1 ] || fail "the run raised no alert"

# fakehost-exec.sh made the prefix and its per-exe DllOverrides; the exe and
# the fakes side by side are all a run needs.
cp "$build/service/leakwatch.exe" "$build/fakehost/secur32.dll" "$build/fakehost/wtsapi32.dll" "$work/bin/"
export WINEPREFIX=$build/fakehost-prefix
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
LEAKWATCH_FAKEHOST=$(winpath "$scen")
export LEAKWATCH_FAKEHOST LEAKWATCH_FAKEHOST_STEP=3
# One server for the many short runs (tests/lib/wine-server.sh).
lw_server_keep "$WINEPREFIX" "$WINEPREFIX.wineserver.log"
python3 "$src/tests/e2e/check_cli_grammar.py" "$WINE64" "$work/bin/leakwatch.exe" "$(winpath "$db")"
echo "PASS: test_cli_grammar"
