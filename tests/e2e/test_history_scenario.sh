#!/usr/bin/env bash
# End-to-end test of the history database (issue 4's Wine acceptance): the
# real service, installed from the MSI, polls a simulated RDS host
# (tests/e2e/run-scenario.sh) until every step of the scenario has been
# played; then, from the history.db it left:
#   - v_polls has one row per poll: as many rows as the fake's
#     LsaEnumerateLogonSessions calls (fakehost.stats), none failed, and the
#     k-th poll (0-based, in id order) saw step min(k, steps - 1) - the fake
#     moves one step per enumeration - so its logon/WTS counts are the step's;
#   - for the first, middle and last step (and the very last poll), the
#     snapshot rebuilt from the database equals what the scenario says for that
#     step (scenario_expect.exe, which uses only the scenario parser): LUIDs,
#     users, domains, SIDs, logon types, auth packages, terminal sessions,
#     logon times; WTS IDs, states, stations, users, domains, clients. Rebuilt
#     three ways:
#       1. `leakwatch history --at <the poll's time, in ms> --json` under Wine;
#       2. sqlite3 on the tables, by the poll's id and ms time (exact whatever
#          the poll interval);
#       3. sqlite3 on the operator views v_polls / v_logon_sessions /
#          v_wts_sessions / v_wts_transitions with ISO text times, the way
#          an operator would ask. The views show whole seconds, so this is done
#          only where that is exact: no poll with another snapshot shares the
#          poll's second, and no WTS session ID alive then has two transitions
#          in the second the query picks (always so at intervals of 1 s or
#          more: basic.yaml is played at 1 s for that); the number done is
#          printed and must not be 0.
#     "Alive at poll time t" is the store's rule (store_schema.c: last_seen is
#     the last poll that saw it): first_seen <= t AND (last_seen IS NULL OR
#     last_seen >= t), in the poll's boot; in the tables a session's last_seen
#     is in its row or, since schema 8, in its row of logon_session_ends /
#     wts_session_ends (the views show the one that is set).
#   - `leakwatch history --at <polled_at as v_polls shows it>` (whole second)
#     gives the last poll of that second.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build with the MSI),
# LW_WINEPREFIX (ctest's `wine` fixture), Wine, python3, sqlite3.
# usage: test_history_scenario.sh [SCENARIO.yaml:INTERVAL ...]
#   (default: basic.yaml:1s clean-churn.yaml:300ms leak-2-to-152.yaml:300ms)
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/require.sh
. "$src/tests/lib/require.sh"
. "$src/tests/lib/e2e.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64" python3 sqlite3
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
prefix=${LW_WINEPREFIX:-$build/wineprefix}
export LW_BUILD_DIR=$build LW_WINEPREFIX=$prefix
expect_exe=$build/tests/e2e/scenario_expect.exe
exe=$build/service/leakwatch.exe
work=$build/tests/e2e/history_scenario
rm -rf "$work"
mkdir -p "$work"
for f in "$expect_exe" "$exe"; do
  [ -f "$f" ] || { echo "FAIL: $f is not built" >&2; exit 1; }
done
ls "$build"/LeakWatch-*-x64.msi >/dev/null 2>&1 || { echo "FAIL: no MSI in $build" >&2; exit 1; }

if [ $# -gt 0 ]; then
  runs=("$@")
else
  runs=("$src/tests/scenarios/basic.yaml:1s" "$src/tests/scenarios/clean-churn.yaml:300ms"
    "$src/tests/scenarios/leak-2-to-152.yaml:300ms")
fi

failures=0
checks=0
view_checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
equal() {
  checks=$((checks + 1))
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
# A Windows exe of the build in the build's prefix (no fake DLLs needed).
win() { bash "$src/tests/wine/wine-exec.sh" "$prefix" "$@"; }
# scenario_expect says why on every failure of its own: a silent one is Wine's.
scen_expect() { LW_EXE_SPEAKS=1 win "$expect_exe" "$@"; }
# sql DB SQL [NAME=VALUE...]: one sqlite3 query with bound parameters, as JSON.
sql() {
  local db=$1 q=$2 p
  local args=()
  shift 2
  for p in "$@"; do args+=(-cmd ".parameter set :${p%%=*} ${p#*=}"); done
  sqlite3 -readonly -json "${args[@]}" "$db" "$q"
}

# The comparer: normalises the scenario's expectation and each rebuilt snapshot
# to the fields both know, and prints the differences (exit 1 if any).
compare=$work/compare.py
cat >"$compare" <<'PY'
import json, sys

def norm_expected(e):
    logons = [{"luid": l["luid"], "user": l["user"], "domain": l["domain"], "sid": l["sid"],
               "logon_type": l["logon_type"] if l["logon_type"] is not None
               else (str(l["logon_type_id"]) if l["logon_type_id"] is not None else None),
               "auth_package": l["auth_package"], "terminal_session": l["terminal_session"],
               "logon_time": l["logon_time"]} for l in e["logon_sessions"]]
    wts = [{"id": w["id"], "state": w["state"], "station": w["station"], "user": w["user"],
            "domain": w["domain"], "client": w["client"]} for w in e["wts_sessions"]]
    return logons, wts

def norm_actual(a):
    logons = [{"luid": l["luid"], "user": l["user"], "domain": l["domain"], "sid": l["sid"],
               "logon_type": l["logon_type"], "auth_package": l["auth_package"],
               "terminal_session": l["terminal_session"], "logon_time": l["logon_time"]}
              for l in a["logon_sessions"]]
    wts = [{"id": w["session_id"], "state": w["state"], "station": w["station"],
            "user": w["user"] or None, "domain": w["domain"] or None,
            "client": w["client"] or None} for w in a["wts_sessions"]]
    return sorted(logons, key=lambda x: x["luid"]), sorted(wts, key=lambda x: x["id"])

def diff(kind, key, exp, act, out):
    e = {x[key]: x for x in exp}
    a = {x[key]: x for x in act}
    if len(a) != len(act):
        out.append(f"{kind}: a {key} appears twice: {sorted(x[key] for x in act)}")
    for k in sorted(set(e) - set(a), key=str):
        out.append(f"{kind} {k}: missing (expected {e[k]})")
    for k in sorted(set(a) - set(e), key=str):
        out.append(f"{kind} {k}: not expected (got {a[k]})")
    for k in sorted(set(e) & set(a), key=str):
        for f in e[k]:
            if a[k].get(f, "<missing>") != e[k][f]:
                out.append(f"{kind} {k}.{f}: {a[k].get(f, '<missing>')!r}, expected {e[k][f]!r}")

def main():
    mode, exp_path, act_path, label = sys.argv[1:5]
    exp = norm_expected(json.load(open(exp_path, encoding="utf-8")))
    try:
        raw = json.load(open(act_path, encoding="utf-8"))
    except ValueError as e:
        print(f"{label}: {act_path} is not JSON: {e}", file=sys.stderr)
        sys.exit(1)
    out = []
    if mode == "history":
        # `leakwatch history --at T --json`: also the poll it says it used.
        want_poll, want_boot = sys.argv[5], int(sys.argv[6])
        poll = raw.get("poll") or {}
        if poll.get("polled_at") != want_poll or poll.get("boot_id") != want_boot:
            out.append(f"poll: {poll}, expected polled_at {want_poll} boot {want_boot}")
        if poll.get("logon_sessions") != len(exp[0]) or poll.get("wts_sessions") != len(exp[1]):
            out.append(f"poll counts {poll.get('logon_sessions')}/{poll.get('wts_sessions')}, "
                       f"expected {len(exp[0])}/{len(exp[1])}")
        for l in raw["logon_sessions"] + raw["wts_sessions"]:
            if l["boot_id"] != want_boot or l["first_seen"] > want_poll or (
                    l["last_seen"] is not None and l["last_seen"] < want_poll):
                out.append(f"not alive at {want_poll} in boot {want_boot}: {l}")
    act = norm_actual(raw)
    diff("logon", "luid", exp[0], act[0], out)
    diff("wts", "id", exp[1], act[1], out)
    for m in out[:40]:
        print(f"{label}: {m}", file=sys.stderr)
    if len(out) > 40:
        print(f"{label}: ... and {len(out) - 40} more", file=sys.stderr)
    sys.exit(1 if out else 0)

main()
PY

# The snapshot at poll `id` (ms time `t`) from the tables.
q_tables_logons="SELECT printf('%08x:%08x', (l.luid >> 32) & 4294967295, l.luid & 4294967295) AS luid,
  l.user, l.domain, l.sid, COALESCE(n.name, CAST(l.logon_type AS TEXT)) AS logon_type,
  l.auth_package, l.terminal_session,
  strftime('%Y-%m-%dT%H:%M:%SZ', l.logon_time / 1000, 'unixepoch') AS logon_time
FROM logon_sessions l LEFT JOIN logon_type_names n ON n.type = l.logon_type
LEFT JOIN logon_session_ends le ON le.logon_id = l.id
WHERE l.boot_id = (SELECT boot_id FROM polls WHERE id = :id) AND l.first_seen <= :t
  AND (COALESCE(l.last_seen, le.last_seen) IS NULL OR COALESCE(l.last_seen, le.last_seen) >= :t)"
q_tables_wts="SELECT w.session_id, COALESCE(sn.name, CAST(tr.state AS TEXT)) AS state, tr.station,
  tr.user, tr.domain, tr.client
FROM wts_sessions w
JOIN wts_transitions tr ON tr.id = (SELECT t2.id FROM wts_transitions t2
  WHERE t2.wts_id = w.id AND t2.at <= :t ORDER BY t2.at DESC, t2.id DESC LIMIT 1)
LEFT JOIN wts_state_names sn ON sn.state = tr.state
LEFT JOIN wts_session_ends we ON we.wts_id = w.id
WHERE w.boot_id = (SELECT boot_id FROM polls WHERE id = :id) AND w.first_seen <= :t
  AND (COALESCE(w.last_seen, we.last_seen) IS NULL OR COALESCE(w.last_seen, we.last_seen) >= :t)"
# The same from the operator views, at an ISO time :at (text) in boot :boot;
# a WTS session's state then is its latest transition at or before :at.
q_views_logons="SELECT luid, user, domain, sid, logon_type, auth_package, terminal_session,
  logon_time
FROM v_logon_sessions
WHERE boot_id = :boot AND first_seen <= :at AND (last_seen IS NULL OR last_seen >= :at)"
q_views_wts="SELECT w.session_id, tr.state, tr.station, tr.user, tr.domain, tr.client
FROM v_wts_sessions w
JOIN v_wts_transitions tr ON tr.boot_id = w.boot_id AND tr.session_id = w.session_id
  AND tr.at >= w.first_seen AND tr.at <= :at
  AND tr.at = (SELECT MAX(t2.at) FROM v_wts_transitions t2 WHERE t2.boot_id = w.boot_id
               AND t2.session_id = w.session_id AND t2.at >= w.first_seen AND t2.at <= :at)
WHERE w.boot_id = :boot AND w.first_seen <= :at AND (w.last_seen IS NULL OR w.last_seen >= :at)"
# How many WTS sessions alive at poll :id (ms time :t) the views' query above
# cannot place at whole seconds: the latest second at or before :t with a
# transition of their (boot, session ID) since their first_seen has two.
q_wts_ambiguous="SELECT COUNT(*) FROM wts_sessions w
LEFT JOIN wts_session_ends we ON we.wts_id = w.id
WHERE w.boot_id = (SELECT boot_id FROM polls WHERE id = :id) AND w.first_seen <= :t
  AND (COALESCE(w.last_seen, we.last_seen) IS NULL OR COALESCE(w.last_seen, we.last_seen) >= :t)
  AND (SELECT COUNT(*) FROM wts_transitions tr JOIN wts_sessions o ON o.id = tr.wts_id
       WHERE o.boot_id = w.boot_id AND o.session_id = w.session_id
         AND tr.at / 1000 = (SELECT MAX(t2.at / 1000) FROM wts_transitions t2
                             JOIN wts_sessions o2 ON o2.id = t2.wts_id
                             WHERE o2.boot_id = w.boot_id AND o2.session_id = w.session_id
                               AND t2.at / 1000 BETWEEN w.first_seen / 1000 AND :t / 1000)) > 1"
# joined DB Q1 Q2 PARAMS... -> {"logon_sessions": [...], "wts_sessions": [...]}
joined() {
  local db=$1 q1=$2 q2=$3
  shift 3
  printf '{"logon_sessions": %s, "wts_sessions": %s}\n' "$(sql "$db" "$q1" "$@" | sed 's/^$/[]/')" \
    "$(sql "$db" "$q2" "$@" | sed 's/^$/[]/')"
}
emptyjson() { [ -s "$1" ] || echo '[]' >"$1"; }

for run in "${runs[@]}"; do
  scen=${run%:*}
  interval=${run##*:}
  name=$(basename "$scen" .yaml)
  t0=$(date +%s.%N)
  failures_before=$failures
  steps=$(scen_expect --steps "$(winpath "$scen")" | tr -d '\r')
  [[ $steps =~ ^[0-9]+$ ]] || { fail "$name: scenario_expect --steps gave '$steps'"; continue; }
  d=$work/$name
  mkdir -p "$d/expected"
  # What the scenario says at every step (the counts of every poll need them all).
  for ((s = 0; s < steps; s++)); do
    scen_expect "$(winpath "$scen")" "$s" >"$d/expected/$s.json" ||
      fail "$name: scenario_expect step $s failed"
  done
  t1=$(date +%s.%N)

  # The holder scan stays on (the default): it never holds up a poll.
  printf 'poll_interval: %s\n' "$interval" >"$d/leakwatch.yaml"
  rc=0
  bash "$src/tests/e2e/run-scenario.sh" "$scen" "$d/leakwatch.yaml" "$d/out" >"$d/run.out" 2>&1 || rc=$?
  t2=$(date +%s.%N)
  equal "$rc" 0 "$name: run-scenario.sh exit ($(tail -n 5 "$d/run.out"))"
  db=$d/out/history.db
  if [ "$rc" != 0 ] || [ ! -f "$db" ]; then continue; fi

  # --- one row per poll -----------------------------------------------------
  stats=$d/out/fakehost.stats
  enum=$(sed -n 's/^lsa_enumerate_calls=//p' "$stats" | tr -d '\r')
  npolls=$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM v_polls")
  equal "$(sed -n 's/^status=//p' "$stats" | tr -d '\r')" ok "$name: fakehost.stats status"
  equal "$npolls" "$enum" "$name: v_polls rows vs the fake's lsa_enumerate_calls"
  equal "$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM polls")" "$npolls" "$name: polls rows vs v_polls rows"
  equal "$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM v_polls WHERE error IS NOT NULL OR logon_sessions IS NULL")" \
    0 "$name: failed polls"
  equal "$(sqlite3 -readonly "$db" "SELECT COUNT(DISTINCT boot_id) FROM v_polls")" 1 "$name: boots"
  checks=$((checks + 1))
  [ "$npolls" -gt "$steps" ] || fail "$name: $npolls polls for $steps steps"
  # Every poll's counts are those of the step it saw (this also proves the
  # poll -> step mapping used below). polls.id order = v_polls order.
  sqlite3 -readonly -separator ' ' "$db" \
    "SELECT id, t, boot_id, logon_sessions, wts_sessions, strftime('%Y-%m-%dT%H:%M:%SZ', t / 1000, 'unixepoch') FROM polls ORDER BY id" \
    >"$d/polls.txt"
  mapfile -t poll_rows <"$d/polls.txt"
  # Per step: the counts, and a digest of the snapshot (to tell which steps
  # look the same), one line each.
  python3 - "$d/expected" "$steps" >"$d/steps.txt" <<'PY'
import hashlib, json, sys
for s in range(int(sys.argv[2])):
    e = json.load(open(f"{sys.argv[1]}/{s}.json", encoding="utf-8"))
    e.pop("step")
    digest = hashlib.sha1(json.dumps(e, sort_keys=True).encode()).hexdigest()
    print(len(e["logon_sessions"]), len(e["wts_sessions"]), digest)
PY
  mapfile -t step_rows <"$d/steps.txt"
  checks=$((checks + 1))
  for ((k = 0; k < ${#poll_rows[@]}; k++)); do
    read -r _ _ _ nl nw _ <<<"${poll_rows[k]}"
    s=$((k < steps ? k : steps - 1))
    want=${step_rows[s]% *}
    [ "$nl $nw" = "$want" ] || fail "$name: poll $k (step $s) counts '$nl $nw', expected '$want'"
  done

  # --- snapshots rebuilt at chosen polls --------------------------------------
  mid=$((steps / 2))
  targets=$(printf '%s\n' 0 "$mid" $((steps - 1)) $((npolls - 1)) | sort -nu)
  done_views=0
  for k in $targets; do
    s=$((k < steps ? k : steps - 1))
    read -r id t boot _ _ polled_at <<<"${poll_rows[k]}"
    at_ms=$(python3 -c 'import sys,datetime; t=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(t//1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (t%1000))' "$t")
    exp=$d/expected/$s.json
    p=$d/poll$k
    # 1. leakwatch history --at (ms) --json, under Wine.
    rc=0
    win "$exe" history --db "$(winpath "$db")" --at "$at_ms" --json >"$p.history.json" 2>"$p.history.err" || rc=$?
    equal "$rc" 0 "$name poll $k: history --at $at_ms exit ($(head -c 300 "$p.history.err"))"
    checks=$((checks + 1))
    python3 "$compare" history "$exp" "$p.history.json" "$name poll $k step $s: history --at $at_ms" \
      "$polled_at" "$boot" || fail "$name poll $k: history --at $at_ms differs from step $s"
    # 2. The tables, by poll id and ms time.
    joined "$db" "$q_tables_logons" "$q_tables_wts" "id=$id" "t=$t" >"$p.tables.json"
    checks=$((checks + 1))
    python3 "$compare" sql "$exp" "$p.tables.json" "$name poll $k step $s: tables at t=$t" ||
      fail "$name poll $k: the tables at $t differ from step $s"
    # 3. The views, when no poll with another snapshot shares this second.
    others=$(awk -v at="$polled_at" '$6 == at { print NR - 1 }' "$d/polls.txt")
    ambiguous=0
    for o in $others; do
      os=$((o < steps ? o : steps - 1))
      [ "${step_rows[os]##* }" = "${step_rows[s]##* }" ] || ambiguous=1
    done
    # ... nor two transitions of a WTS session ID alive then share the second
    # the views' query picks (an ID reused within a second: v_wts_transitions
    # has whole seconds and no instance key).
    [ "$(sqlite3 -readonly -cmd ".parameter set :id $id" -cmd ".parameter set :t $t" "$db" "$q_wts_ambiguous")" = 0 ] ||
      ambiguous=1
    if [ "$ambiguous" = 0 ]; then
      joined "$db" "$q_views_logons" "$q_views_wts" "boot=$boot" "at=\"'$polled_at'\"" >"$p.views.json"
      checks=$((checks + 1))
      done_views=$((done_views + 1))
      python3 "$compare" sql "$exp" "$p.views.json" "$name poll $k step $s: views at $polled_at" ||
        fail "$name poll $k: the views at $polled_at differ from step $s"
    fi
    # 4. `--at` with the time as v_polls shows it (whole second): the last poll
    # of that second.
    last=$(awk -v at="$polled_at" '$6 == at { n = NR - 1 } END { print n }' "$d/polls.txt")
    lstep=$((last < steps ? last : steps - 1))
    rc=0
    win "$exe" history --db "$(winpath "$db")" --at "$polled_at" --json >"$p.history-s.json" 2>"$p.history-s.err" || rc=$?
    equal "$rc" 0 "$name poll $k: history --at $polled_at exit ($(head -c 300 "$p.history-s.err"))"
    checks=$((checks + 1))
    python3 "$compare" history "$d/expected/$lstep.json" "$p.history-s.json" \
      "$name poll $k: history --at $polled_at (= poll $last, step $lstep)" "$polled_at" "$boot" ||
      fail "$name poll $k: history --at $polled_at differs from poll $last (step $lstep)"
  done
  view_checks=$((view_checks + done_views))
  t3=$(date +%s.%N)
  verdict=ok
  [ "$failures" = "$failures_before" ] || verdict=FAILED
  echo "$verdict: $name ($steps steps, poll_interval $interval): $npolls polls = $enum enumerations;" \
    "snapshots at polls ${targets//$'\n'/ } ($done_views also from the views);" \
    "$(python3 -c 'import sys; a=[float(x) for x in sys.argv[1:]]; print("expect %.1fs, run-scenario %.1fs, checks %.1fs" % (a[1]-a[0], a[2]-a[1], a[3]-a[2]))' "$t0" "$t1" "$t2" "$t3")"
done

checks=$((checks + 1))
[ "$view_checks" -gt 0 ] || fail "no snapshot could be checked from the views (every poll shared its second)"
echo "test_history_scenario: $((checks - failures)) passed, $failures failed ($view_checks snapshots from the views)"
[ "$failures" -eq 0 ]
