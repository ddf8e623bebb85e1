#!/usr/bin/env bash
# Known leaks end to end (issue 15): `leakwatch ack` beside the running
# service and `ignore:` in its configuration, on the real exe under Wine.
# run-scenario.sh plays tests/scenarios/ack.yaml to the real service with
# ignore.users: ['CONTOSO\bob']; at step 2 ack-at-step.sh acknowledges
# CONTOSO\alice (expiring in 40 s) and CONTOSO\carol, then removes carol's.
# check-ack.py then checks, from the Event Log calls and the history:
#   - 1007 for each acknowledgement taken up, 1008 for the removed one, 1009
#     when alice's expires (naming the one open leak that alerts again);
#   - alice's leak: its 2001 recorded but withheld (acknowledged) while the
#     acknowledgement held, then one 2001 logged after 1009 (expiry restores
#     alerts); bob's (ignored): no 2001 logged, recorded as ignored; dave's
#     (a new leak of another user): its 2001 logged;
#   - `status --json` while running: bob's leak counted as ignored, exit 1
#     for the others; v_acks.
# Then, on the run's database on the simulated host (fakehost-exec.sh):
# `ack --luid` of dave's leak, `ack --list` (--json, --csv), `leaks` (--json,
# --csv, table) showing it acknowledged, `status --json` counting it apart,
# and the refusals: a bad user, a built-in LUID, no reason, an unknown id, a
# missing database (not created) and a schema 5 database (not migrated: "the
# service must be started first").
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build with the MSI), Wine.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
require_tool python3 sqlite3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
exec_sh=$src/tests/e2e/fakehost-exec.sh
work=$build/tests/e2e/ack
scenario=$src/tests/scenarios/ack.yaml
rm -rf "$work"
mkdir -p "$work"
# The demo's pace: a poll every 300 ms; bob's leaks are known to the farm.
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' 'ignore:' "  users: ['CONTOSO\\bob']" \
  >"$work/config.yaml"
LW_SCENARIO_STATUS=1 LW_SCENARIO_AT_STEP=2 LW_SCENARIO_AT_STEP_RUN=$src/tests/e2e/ack-at-step.sh \
  bash "$src/tests/e2e/run-scenario.sh" "$scenario" "$work/config.yaml" "$work/run" ||
  fail "run-scenario.sh failed (its output is above; results in $work/run)"
db=$work/run/history.db
python3 "$src/tests/e2e/check-ack.py" run "$work/run" ||
  fail "the run does not show the acknowledgements as expected (outputs in $work/run)"

wdb=$(winpath "$db")
lw ack-dave.txt 0 ack --db "$wdb" --luid 00000000:000e1000 --reason 'known: dave' --expires 2099-01-01
lw acks.json 0 ack --db "$wdb" --list --json
lw acks.csv 0 ack --db "$wdb" --list --csv
lw acks.txt 0 ack --db "$wdb" --list
lw leaks.json 0 leaks --db "$wdb" --json
lw leaks.csv 0 leaks --db "$wdb" --csv
lw leaks.txt 0 leaks --db "$wdb"
lw status.json 2 status --db "$wdb" --json
lw bad-user.txt 2 ack --db "$wdb" --user alice --reason x
lw bad-luid.txt 2 ack --db "$wdb" --luid 0:3e7 --reason x
lw no-reason.txt 2 ack --db "$wdb" --user 'CONTOSO\eve'
lw bad-id.txt 1 ack --db "$wdb" --remove 99
lw missing.txt 1 ack --db "$(winpath "$work/none.db")" --user 'CONTOSO\eve' --reason x
[ ! -e "$work/none.db" ] || fail "ack created $work/none.db"
# A history of schema 5 (before acknowledgements): refused, not migrated.
cp "$db" "$work/old.db"
sqlite3 "$work/old.db" "DROP VIEW v_acks; DROP TABLE acks; PRAGMA user_version = 5;"
lw old.txt 1 ack --db "$(winpath "$work/old.db")" --user 'CONTOSO\eve' --reason x
[ "$(sqlite3 "$work/old.db" 'PRAGMA user_version')" = 5 ] || fail "ack changed old.db's schema version"
python3 "$src/tests/e2e/check-ack.py" after "$work" ||
  fail "ack, leaks and status on the run's database are not as expected (outputs in $work)"
echo "PASS: test_ack"
