#!/usr/bin/env bash
# The Event Log during a flood (issue 13's acceptance): the real service plays
# tests/scenarios/leak-2-to-152.yaml (150 users leak, every tenth session's
# DWM/UMFD with them) with the default alerts.max_per_hour, as the demo does;
# check-alert-flood.py then checks that the Event Log alone names every
# leaked user (a 2001, or the 2009 the stopping service writes), that no
# DWM/UMFD gets an alert of its own, that its last state event is the final
# truth, and that every insertion string is at its documented position.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build with the MSI), Wine.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
require_tool python3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
work=$build/tests/e2e/alert_flood
scenario=$src/tests/scenarios/leak-2-to-152.yaml
rm -rf "$work"
mkdir -p "$work"
# The demo's settings: a poll every 300 ms stands for one a minute; alerts.*
# left at its defaults.
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' 'gap_threshold: 10' >"$work/config.yaml"
bash "$src/tests/e2e/run-scenario.sh" "$scenario" "$work/config.yaml" "$work/run" ||
  { echo "FAIL: run-scenario.sh failed (its output is above; results in $work/run)" >&2; exit 1; }
python3 "$src/tests/e2e/check-alert-flood.py" "$scenario" "$work/run" ||
  { echo "FAIL: the Event Log of the flood (results in $work/run)" >&2; exit 1; }
