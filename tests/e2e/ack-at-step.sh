#!/usr/bin/env bash
# ack-at-step.sh - the operator of test_ack.sh, run by run-scenario.sh
# (LW_SCENARIO_AT_STEP_RUN) in the run's own prefix while the service polls
# tests/scenarios/ack.yaml: acknowledges CONTOSO\alice (before her leak, with
# an expiry), acknowledges CONTOSO\carol and removes that one once the service
# has had time to take it up. Outputs and exit codes go to LW_OUT/ack-*.
# Needs WINE64, LW_EXE and LW_OUT (run-scenario.sh sets them).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
: "${WINE64:?}" "${LW_EXE:?}" "${LW_OUT:?}"
# lw NAME ARGS...: the exe in this prefix (its configuration and database are
# the service's); stdout, stderr and the exit code kept as LW_OUT/ack-NAME.*.
lw() {
  local name=$1 rc=0
  shift
  WINEDEBUG=-all "$WINE64" "$LW_EXE" "$@" </dev/null >"$LW_OUT/ack-$name.out" \
    2>"$LW_OUT/ack-$name.err" || rc=$?
  echo "$rc" >"$LW_OUT/ack-$name.rc"
}
lw alice ack --user 'CONTOSO\alice' --reason 'vendor case 4711' --expires 40s
lw carol ack --user 'contoso\CAROL' --reason 'to be removed'
# The service reads the table at its next poll (every 300 ms here).
sleep 3
lw list ack --list --json
lw remove ack --remove 2
