#!/usr/bin/env bash
# test_detection_scenarios.sh CASE - the leak rules end to end (issue 5): plays
# one scenario of tests/scenarios/ to the real service under Wine
# (run-scenario.sh: the installed MSI, the fake secur32/wtsapi32) and checks
# the exact events it logged, the alerts it stored and the rows of v_leaks
# (check-detection.py).
#
# CASE: leak-one gap accumulation stuck-logoff (a rule each), before-start
# (leaks older than LeakWatch: their end time unknown, and said so), clean-churn
# disconnected reconnect id-reuse clean-500-users (never cry wolf), restart
# (the service restarted in the middle of an episode), or `all` (one after the
# other). Each case runs in its own copy of the Wine prefix and writes
# $LW_BUILD_DIR/tests/e2e/detection/CASE/, so cases may run in parallel.
#
# Timing: poll_interval 300ms, grace_period 2s (the detector counts the grace
# in wall time; polls are never closer than poll_interval, so an orphan
# leaks within 7 polls). Reboots (a new boot time) are not covered here: the
# collector reads the boot time from the OS (under Wine, when the prefix's
# wineserver started), which the fake host cannot move; tests/unit/test_detect.c
# covers them. The reconnect case needs the fake host to keep a WTS session's
# LogonTime across its state changes (see tests/scenarios/gen-detection.py).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export LW_BUILD_DIR=${LW_BUILD_DIR:-$root/build/mingw}
. "$root/tests/lib/require.sh"
require_tool python3 sqlite3
scenarios=$root/tests/scenarios
results=$LW_BUILD_DIR/tests/e2e/detection
mkdir -p "$results"

L() { printf '00000000:%08x' $((16#$1)); } # L a1000 -> 00000000:000a1000

# config CASE POLL GRACE [KEY: VALUE]...: writes the case's configuration.
config() {
  local f=$results/$1.config.yaml
  shift
  {
    echo "poll_interval: $1"
    echo "grace_period: $2"
    shift 2
    for kv in "$@"; do echo "$kv"; done
    echo "alerts:"
    echo "  max_per_hour: 100000" # every alert reaches eventlog.txt
    # The holder scan stays on (the default), as on a real host: it runs on
    # its own thread and can never stall a poll (issue 12).
  } >"$f"
  echo "$f"
}

# play CASE SCENARIO CONFIG: runs the scenario; the results go to $results/CASE.
play() {
  local start=$SECONDS
  bash "$here/run-scenario.sh" "$2" "$3" "$results/$1" ||
    { echo "FAIL: $1: run-scenario.sh failed" >&2; return 1; }
  echo "$1: played in $((SECONDS - start)) s"
}

# expect_sql CASE SQL WANT: the rows of SQL on the case's history, joined by
# '|', are WANT.
expect_sql() {
  local got
  got=$(sqlite3 "$results/$1/history.db" "$2" | paste -sd '|') ||
    { echo "FAIL: $1: sqlite3 failed on: $2" >&2; return 1; }
  [ "$got" = "$3" ] || { echo "FAIL: $1: $2: got '$got', want '$3'" >&2; return 1; }
}

check() { # CASE GRACE_MS ARGS...
  local c=$1 g=$2
  shift 2
  python3 "$here/check-detection.py" "$results/$c" --grace-ms "$g" "$@" ||
    { echo "FAIL: $c (results in $results/$c)" >&2; return 1; }
}

# check_metrics CASE: the counters of the case's last metrics file equal what
# the service did: leakwatch_alerts_total{outcome="raised"} per event ID = the
# ReportEventW calls of that ID in eventlog.txt, held_back = 0 (max_per_hour
# is out of reach), leakwatch_leak_episodes_total = the v_leaks rows, and the
# oldest open leak's age is 0 once every leak was released.
check_metrics() {
  local c=$1 prom=$results/$1.prom id got want bad=0
  [ -f "$prom" ] || { echo "FAIL: $c: no metrics file $prom" >&2; return 1; }
  metric() { tr -d '\r' <"$prom" | awk -v n="$1" '$1 == n { print $2 }'; }
  for id in 2001 2002 2003 2004 2005 2006 2007 2009; do
    got=$(metric "leakwatch_alerts_total{event_id=\"$id\",outcome=\"raised\"}")
    want=$(grep -c "^id=$id " "$results/$c/eventlog.txt" || true)
    [ "$got" = "$want" ] || { echo "FAIL: $c: alerts_total $id raised is '$got', eventlog.txt has $want" >&2; bad=1; }
    got=$(metric "leakwatch_alerts_total{event_id=\"$id\",outcome=\"held_back\"}")
    [ "$got" = 0 ] || { echo "FAIL: $c: alerts_total $id held_back is '$got', expected 0" >&2; bad=1; }
  done
  got=$(metric leakwatch_leak_episodes_total)
  want=$(sqlite3 "$results/$c/history.db" 'SELECT COUNT(*) FROM v_leaks')
  [ "$got" = "$want" ] && [ "$want" -gt 0 ] ||
    { echo "FAIL: $c: leak_episodes_total is '$got', v_leaks has $want rows" >&2; bad=1; }
  got=$(metric leakwatch_oldest_leak_age_seconds)
  [ "$got" = 0.000 ] || { echo "FAIL: $c: oldest_leak_age_seconds is '$got' with every leak released" >&2; bad=1; }
  [ "$bad" = 0 ] && echo "$c: metrics file counters agree with eventlog.txt and v_leaks"
}

run_case() {
  local c=$1 cfg
  case $c in
  leak-one)
    # With a metrics file: its alert and episode counters (issue 16) are
    # checked against what reached the Event Log and v_leaks.
    rm -f "$results/$c.prom"
    cfg=$(config "$c" 300ms 2s "metrics_file: 'Z:$results/$c.prom'")
    play "$c" "$scenarios/leak-one.yaml" "$cfg"
    check_metrics "$c"
    check "$c" 2000 \
      --events "1000 2001:$(L a1000) 2002:$(L a1000) 1001" \
      --insert '2001#1:2=alice' --insert '2001#1:3=CONTOSO' \
      --insert '2001#1:4=10' --insert '2001#1:5=RemoteInteractive' \
      --insert '2001#1:6=2' --insert '2001#1:7=2026-11-21T09:00:00Z' --insert '2001#1:9=yes' \
      --insert '2001#1:12=1' --insert "2001#1:13=$(L a0e00) Font Driver Host\\\\UMFD-2" \
      --insert '2002#1:2=alice' --insert '2002#1:3=CONTOSO' --insert '2002#1:4=2' \
      --insert '2002#1:6=yes' \
      --leaks "$(L a0e00)/2/released $(L a1000)/2/released"
    # UMFD-2 leaked with alice: one row each in v_leaks, its own pointing at hers.
    expect_sql "$c" "SELECT kind || ' ' || coalesce(with_luid, '-') || ' ' || session_end FROM v_leaks ORDER BY luid" \
      "system $(L a1000) seen|user - seen"
    ;;
  gap)
    cfg=$(config "$c" 300ms 2s "gap_threshold: 3")
    play "$c" "$scenarios/gap.yaml" "$cfg"
    check "$c" 2000 \
      --events "1000 2003:3 2001:$(L b1000) 2001:$(L b2000) 2001:$(L b3000)
                2003:6 2001:$(L b4000) 2001:$(L b5000) 2001:$(L b6000)
                2004:1 2002:$(L b1000) 2002:$(L b2000) 2002:$(L b3000) 2002:$(L b4000)
                2002:$(L b5000) 1001" \
      --insert '2003#1:2=2-4' \
      --insert "2003#1:5=2: $(L b1000) CONTOSO\\\\gap01; 3: $(L b2000) CONTOSO\\\\gap02; 4: $(L b3000) CONTOSO\\\\gap03" \
      --insert '2003#1:3=9' --insert '2003#1:4=7' --insert '2003#2:2=2-7' \
      --insert "2003#2:5=2: $(L b1000) CONTOSO\\\\gap01; 3: .*; 7: $(L b6000) CONTOSO\\\\gap06" \
      --insert '2003#2:3=9' --insert '2003#2:4=3' --insert '2004#1:2=3' \
      --leaks "$(L b1000)/2/released $(L b2000)/3/released $(L b3000)/4/released
               $(L b4000)/5/released $(L b5000)/6/released $(L b6000)/7/open"
    ;;
  accumulation)
    cfg=$(config "$c" 300ms 2s "accumulation_threshold: 4")
    play "$c" "$scenarios/accumulation.yaml" "$cfg"
    check "$c" 2000 \
      --events '1000 2005:svc-report 2005:svc-report 1001' \
      --insert '2005#1:2=CONTOSO' --insert '2005#1:3=4' --insert '2005#1:4=Batch' \
      --insert '2005#1:5=4' --insert '2005#2:5=8'
    ;;
  stuck-logoff)
    # log_level: warning keeps the service's own informational events (1000,
    # 1001) out of the Event Log; alerts are never filtered.
    cfg=$(config "$c" 300ms 2s "log_level: warning")
    play "$c" "$scenarios/stuck-logoff.yaml" "$cfg"
    check "$c" 2000 --events '2006:3' \
      --insert '2006#1:2=dave' --insert '2006#1:3=CONTOSO' --insert '2006#1:4=0'
    ;;
  clean-churn | disconnected | reconnect | id-reuse)
    cfg=$(config "$c" 300ms 2s)
    play "$c" "$scenarios/$c.yaml" "$cfg"
    check "$c" 2000 --events '1000 1001'
    ;;
  clean-500-users)
    cfg=$(config "$c" 100ms 1s)
    play "$c" "$scenarios/clean-500-users.yaml" "$cfg"
    check "$c" 1000 --events '1000 1001'
    ;;
  restart)
    cfg=$(config "$c" 300ms 2s)
    LW_SCENARIO_RESTART_AT_STEP=15 LW_SCENARIO_RESTART_WITH=$scenarios/restart-2.yaml \
      play "$c" "$scenarios/restart-1.yaml" "$cfg"
    check "$c" 2000 \
      --events "1000 2006:5 2001:$(L 91000) 1001
                1000 {2001:$(L 92000) 2002:$(L 91000)} 2002:$(L 92000) 1001" \
      --insert '2006#1:2=\(unknown\)' --insert '2001#2:2=omar' --insert '2001#2:3=CONTOSO' \
      --leaks "$(L 91000)/2/released $(L 92000)/3/released"
    ;;
  before-start)
    # Leaks older than LeakWatch: their end is unknown, and said so.
    cfg=$(config "$c" 300ms 2s)
    play "$c" "$scenarios/leaks-before-start.yaml" "$cfg"
    check "$c" 2000 \
      --events "1000 2001:$(L e1000) 2001:$(L e2000) 2001:$(L e4000) 1001" \
      --insert '2001#1:2=alice' --insert '2001#1:8=unknown' --insert '2001#1:9=no' \
      --insert '2001#1:10=20[0-9-]+T[0-9:]+Z' --insert '2001#1:12=2' \
      --insert "2001#1:13=$(L e0e00) Font Driver Host\\\\UMFD-3; $(L e0f00) Window Manager\\\\DWM-3" \
      --insert '2001#2:2=bob' --insert '2001#2:8=unknown' --insert '2001#2:9=no' \
      --insert '2001#2:12=0' --insert '2001#2:13=none' \
      --insert '2001#3:2=carol' --insert '2001#3:8=20[0-9-]+T[0-9:]+Z' --insert '2001#3:9=yes' \
      --leaks "$(L e0e00)/3/open $(L e0f00)/3/open $(L e1000)/3/open $(L e2000)/5/open $(L e4000)/2/open"
    expect_sql "$c" "SELECT user || ' ' || kind || ' ' || session_end || ' ' || coalesce(session_ended_at, 'NULL') || ' ' || (first_seen_ended_at IS NOT NULL) FROM v_leaks WHERE user IN ('alice', 'DWM-3') ORDER BY user" \
      "DWM-3 system before LeakWatch NULL 1|alice user before LeakWatch NULL 1"
    expect_sql "$c" "SELECT session_end || ' ' || (session_ended_at = first_seen_ended_at) FROM v_leaks WHERE user = 'carol'" \
      "seen 1"
    # The message says it too, as Event Viewer shows it.
    grep -q "Terminal session ended (UTC): unknown" "$results/$c/alerts.txt" ||
      { echo "FAIL: $c: alerts.txt does not say the end is unknown" >&2; return 1; }
    ;;
  *)
    echo "test_detection_scenarios.sh: unknown case '$c'" >&2
    return 2
    ;;
  esac
}

[ $# -eq 1 ] || { echo "usage: test_detection_scenarios.sh CASE|all" >&2; exit 2; }
if [ "$1" = all ]; then
  for c in leak-one gap accumulation stuck-logoff clean-churn disconnected reconnect id-reuse \
    clean-500-users restart before-start; do
    run_case "$c"
  done
else
  run_case "$1"
fi
