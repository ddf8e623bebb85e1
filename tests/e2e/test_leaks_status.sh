#!/usr/bin/env bash
# `leakwatch leaks` and `leakwatch status` (issue 15's acceptance) on the real
# exe under Wine: the real service plays tests/scenarios/leak-2-to-152.yaml
# (run-scenario.sh, which stops it at the end and leaves OUTDIR/history.db);
# then, from that database, on the simulated host (fakehost-exec.sh):
#   - `leaks --json`: one row per leaked user, exactly the scenario's last
#     step (user001..user150), their terminal sessions the pinned IDs 2-151,
#     the DWM/UMFD of every tenth session folded in (system_logons 2);
#   - `leaks` (table): every line within 120 columns; `leaks --csv`: the same
#     rows through a strict CSV reader;
#   - `status --json` in the run's own prefix (run-scenario.sh with
#     LW_SCENARIO_STATUS=1): exit code 1 "leaks open" while the service runs,
#     2 "not polling" once the SCM has it stopped;
#   - `status --db --json` and the text on the simulated host: exit code 2
#     "not polling" (no service there), with 150 open leaks, pinned 2-151,
#     highest ID 152;
#   - v_polls' last row holds the same figures (schema 5);
#   - `status --db` on a missing database: exit code 3 (unknown).
# check-leaks-status.py compares against the scenario file itself.
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
work=$build/tests/e2e/leaks_status
scenario=$src/tests/scenarios/leak-2-to-152.yaml
rm -rf "$work"
mkdir -p "$work"
# The demo's settings: a poll every 300 ms stands for one a minute.
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' 'gap_threshold: 10' >"$work/config.yaml"
LW_SCENARIO_STATUS=1 bash "$src/tests/e2e/run-scenario.sh" "$scenario" "$work/config.yaml" "$work/run" ||
  fail "run-scenario.sh failed (its output is above; results in $work/run)"
db=$work/run/history.db

# Runs the exe on the database; $1 names the output, $2 the exit code wanted.
lw leaks.json 0 leaks --db "$(winpath "$db")" --json
lw leaks.txt 0 leaks --db "$(winpath "$db")"
lw leaks.csv 0 leaks --db "$(winpath "$db")" --csv
lw status.json 2 status --db "$(winpath "$db")" --json
lw status.txt 2 status --db "$(winpath "$db")"
lw missing.json 3 status --db "$(winpath "$work/none.db")" --json
grep -q '^LeakWatch status: NOT POLLING (exit code 2)$' "$work/status.txt.lf" ||
  fail "status text: no 'NOT POLLING (exit code 2)' line: $(head -3 "$work/status.txt.lf")"
grep -q '^pinned IDs:   150: 2-151$' "$work/status.txt.lf" ||
  fail "status text: pinned IDs not '150: 2-151': $(grep pinned "$work/status.txt.lf")"
# v_polls is in poll order (a view has no rowid to sort on): its last row.
sqlite3 -readonly "$db" "SELECT open_leaks, pinned_ids, highest_session_id, live_sessions
  FROM v_polls WHERE highest_session_id IS NOT NULL" >"$work/polls.txt"
tail -n 1 "$work/polls.txt" >"$work/last_poll.txt"

python3 "$src/tests/e2e/check-leaks-status.py" "$scenario" "$work" ||
  fail "leaks/status do not match the scenario (outputs in $work)"
