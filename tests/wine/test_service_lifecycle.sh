#!/usr/bin/env bash
# Wine test: the real leakwatch.exe as a Windows service. Registers it with
# `sc create`, starts it, sees RUNNING, sees its poll loop tick (the metrics
# file's poll counter grows), stops it and sees STOPPED within 5 s, checks the
# Event Log calls (1000 started, 1001 stopped), deletes it (sc query -> 1060).
# Then a service with a broken configuration must stop by itself with the
# service-specific exit code 10 and an event 1100, never hang in START_PENDING.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
. "$LW_SOURCE_DIR/tests/lib/wine-service.sh"

svc_control=${1:?usage: test_service_lifecycle.sh SVC_CONTROL_EXE}
work="$LW_BUILD_DIR/tests/service_lifecycle"
lw_wine_clean_machine "$work"
trap 'lw_wine_end' EXIT

app="$WINEPREFIX/drive_c/lwtest"
mkdir -p "$app"
cp "$LW_BUILD_DIR/service/leakwatch.exe" "$app/"
cat >"$app/leakwatch.yaml" <<'YAML'
poll_interval: 200ms
database: C:\lwtest\data\history.db
metrics_file: C:\lwtest\leakwatch.prom
YAML
printf 'poll_interval: 10\n' >"$app/broken.yaml"

lw_wine_start_logging "$work/wine.log" || lw_fail "could not start services.exe with its log"

lw_sc create LeakWatch binPath= 'C:\lwtest\leakwatch.exe service --config C:\lwtest\leakwatch.yaml' start= demand >/dev/null
lw_sc start LeakWatch >/dev/null
lw_wait_state LeakWatch RUNNING 15 || lw_fail "service did not reach RUNNING"

polls() { sed -n 's/^leakwatch_polls_total \([0-9]*\)$/\1/p' "$app/leakwatch.prom" 2>/dev/null || true; }
first=""
for _ in $(seq 50); do first=$(polls); [ -n "$first" ] && break; sleep 0.1; done
[ -n "$first" ] || lw_fail "no metrics file written by the poll loop"
sleep 1
second=$(polls)
[ "$second" -gt "$first" ] || lw_fail "poll loop does not tick: polls $first then $second"
echo "ok: RUNNING, poll loop ticks ($first -> $second polls in 1 s)"

# PARAMCHANGE reloads the configuration (event 1002 names what changed); a bad
# file is reported (1100) and the running configuration kept.
sed -i 's/^poll_interval: 200ms/poll_interval: 300ms/' "$app/leakwatch.yaml"
"$WINE64" "$svc_control" LeakWatch paramchange || lw_fail "paramchange failed"
for _ in $(seq 50); do grep -q 'ReportEventW.*0x400003ea' "$work/wine.log" && break; sleep 0.1; done
grep -q 'ReportEventW.*0x400003ea' "$work/wine.log" || lw_fail "no event 1002 after paramchange"
grep -A2 'ReportEventW.*0x400003ea' "$work/wine.log" | grep -q 'L"poll_interval"' ||
  lw_fail "event 1002 does not name poll_interval as changed"
cp "$app/leakwatch.yaml" "$app/good.yaml"
printf 'poll_interval: 300ms\nsurprise: 1\n' >"$app/leakwatch.yaml"
"$WINE64" "$svc_control" LeakWatch paramchange || lw_fail "paramchange failed"
for _ in $(seq 50); do grep -q 'ReportEventW.*0xc000044c' "$work/wine.log" && break; sleep 0.1; done
grep -q 'leakwatch.yaml:2:1: .*surprise' "$work/wine.log" || lw_fail "bad reload: no event 1100 naming the key"
grep -q 'The previous configuration stays in force' "$work/wine.log" || lw_fail "bad reload: 1100 does not say the old config is kept"
before=$(polls)
sleep 1
[ "$(polls)" -gt "$before" ] || lw_fail "the service stopped polling after a bad reload"
# (Asked until RUNNING for 10 s: Wine's sc answers nothing now and then under load.)
lw_wait_state LeakWatch RUNNING 10 || lw_fail "not RUNNING after a bad reload: sc query said '$(lw_query LeakWatch)'"
cp "$app/good.yaml" "$app/leakwatch.yaml"
echo "ok: paramchange reloads (1002), a bad file is reported (1100) and the old one kept"

t0=$(date +%s%N)
lw_sc stop LeakWatch >/dev/null
lw_wait_state LeakWatch STOPPED 5 || lw_fail "service not STOPPED within 5 s"
t1=$(date +%s%N)
echo "ok: STOPPED in $(((t1 - t0) / 1000000)) ms"
lw_query_has LeakWatch 'WIN32_EXIT_CODE *: *0 ' || lw_fail "clean stop should exit 0 (sc query's answers above)"

lw_sc delete LeakWatch >/dev/null
rc=0
lw_sc query LeakWatch >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || lw_fail "service still registered after sc delete"
# Wine's sc prints nothing for ERROR_SERVICE_DOES_NOT_EXIST (1060); the
# service's registry key must be gone too.
if "$WINE64" reg query 'HKLM\System\CurrentControlSet\Services\LeakWatch' >/dev/null 2>&1; then
  lw_fail "service registry key still present after sc delete"
fi
echo "ok: deleted (sc query fails, registry key gone)"

grep -q 'ReportEventW.*0x400003e8' "$work/wine.log" || lw_fail "no event 1000 (service started) reported"
grep -q 'ReportEventW.*0x400003e9' "$work/wine.log" || lw_fail "no event 1001 (service stopped) reported"
echo "ok: events 1000 and 1001 reported"

# A broken configuration: the service stops by itself with exit code 10.
lw_sc create LeakWatch binPath= 'C:\lwtest\leakwatch.exe service --config C:\lwtest\broken.yaml' start= demand >/dev/null
lw_sc start LeakWatch >/dev/null 2>&1 || true
lw_wait_state LeakWatch STOPPED 10 || lw_fail "service with a bad config did not stop by itself"
lw_query_has LeakWatch 'SERVICE_EXIT_CODE *: *10 ' ||
  lw_fail "expected service-specific exit code 10 (sc query's answers above)"
grep -q 'ReportEventW.*0xc000044c' "$work/wine.log" || lw_fail "no event 1100 (configuration error)"
grep -q "broken.yaml:1:16: poll_interval" "$work/wine.log" || lw_fail "event 1100 does not name file:line:column"
lw_sc delete LeakWatch >/dev/null
echo "ok: bad configuration -> STOPPED with service-specific code 10 and event 1100"
echo "PASS"
