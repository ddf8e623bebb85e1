#!/usr/bin/env bash
# The LeakWatch demo: the real service on a simulated RDS host, under Wine.
#
# Installs what is missing, cross-builds the product (mingw preset), then plays
# tests/scenarios/leak-2-to-152.yaml - a host where 150 users logged off but a
# leaked token keeps each one's logon session alive, so `qwinsta` shows session
# 1 and then 152 - to the real leakwatch.exe, installed by its MSI and running
# as a Windows service, and shows what an operator would see: the live view,
# what is leaked now (`leakwatch status`, `leaks`, `ack`), the Event Log alerts,
# the history in SQLite, and the HTML report (its path printed, with a headless
# Chromium screenshot of it).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
cd "$(dirname "$0")/.."
root=$(pwd)
scenario=tests/scenarios/leak-2-to-152.yaml
out=$root/build/demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Setting up (packages, then the Windows build with mingw-w64; log: build/demo-build.log)"
bash tests/setup/install-packages.sh
mkdir -p build
{
  cmake --preset mingw && cmake --build --preset mingw -j "$(nproc)"
} >build/demo-build.log 2>&1 || { tail -n 30 build/demo-build.log; echo "demo: the build failed" >&2; exit 1; }
export LW_WINEPREFIX=$root/build/mingw/wineprefix
bash tests/wine/prefix.sh setup "$LW_WINEPREFIX" >/dev/null
trap 'bash tests/wine/prefix.sh teardown "$LW_WINEPREFIX"' EXIT
echo "built build/mingw/service/leakwatch.exe ($(stat -c %s build/mingw/service/leakwatch.exe) bytes) and $(basename build/mingw/LeakWatch-*-x64.msi 2>/dev/null || echo 'no MSI')"

say "2. The simulated host: $scenario at its last step"
cat <<'TXT'
Fake secur32.dll/wtsapi32.dll play the scenario to the unchanged leakwatch.exe
(tests/fakehost/). First what `qwinsta` would show - the terminal sessions:
TXT
tests/e2e/fakehost-exec.sh --step 39 "$scenario" -- sessions --json >"$out.sessions.json"
python3 - "$out.sessions.json" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
print(" %-14s %-16s %6s  %s" % ("SESSIONNAME", "USERNAME", "ID", "STATE"))
for w in snap["wts_sessions"]:
    print(" %-14s %-16s %6d  %s" % (w["station"] or "", w["user"] or "", w["id"], w["state"]))
ids = sorted(w["id"] for w in snap["wts_sessions"] if w["id"] < 65536)
live = {l["terminal_session"] for l in snap["logon_sessions"]}
pinned = [i for i in range(2, max(ids)) if i not in ids and i in live]
print("\nSession IDs %d-%d are missing from that list, yet %d logon sessions still name them:" %
      (min(pinned), max(pinned), sum(1 for l in snap["logon_sessions"] if l["terminal_session"] in pinned)))
PY
echo "and \`leakwatch sessions\` (the live view; first rows):"
tests/e2e/fakehost-exec.sh --step 39 "$scenario" -- sessions >"$out.sessions.txt"
head -n 12 "$out.sessions.txt"
echo "... $(($(wc -l <"$out.sessions.txt") - 1)) logon sessions in all"

say "3. The real service: MSI install, 48 polls on the simulated host (tests/e2e/run-scenario.sh)"
cat >"$out.config.yaml" <<'YAML'
# Demo settings: a poll every 300 ms stands for a poll every minute.
poll_interval: 300ms
grace_period: 2s
gap_threshold: 10
YAML
rm -rf "$out"
tests/e2e/run-scenario.sh "$scenario" "$out.config.yaml" "$out"

say "4. What is leaked now, as LeakWatch answers it (leakwatch status, leakwatch leaks)"
# The run has ended and its service is stopped: status says so (exit 2, "not
# polling") beside the leaks the history holds; a monitoring check reads the
# exit code (README: One check for monitoring).
rc=0
tests/e2e/fakehost-exec.sh "$scenario" -- status --db "Z:$out/history.db" >"$out/status.txt" || rc=$?
tr -d '\r' <"$out/status.txt"
echo "(exit code $rc: 0 OK, 1 leaks open, 2 not polling, 3 unknown)"
echo
tests/e2e/fakehost-exec.sh "$scenario" -- leaks --db "Z:$out/history.db" >"$out/leaks.txt"
tr -d '\r' <"$out/leaks.txt" | sed -n 1,8p
echo "... $(grep -c '^[0-9A-F]\{8\}:' "$out/leaks.txt") leaked user logon sessions in all (build/demo/leaks.txt)"
echo
echo "An operator who knows user001's leak (a vendor case) acknowledges it; it stays listed, marked:"
tests/e2e/fakehost-exec.sh "$scenario" -- ack --db "Z:$out/history.db" --user 'CONTOSO\user001' \
  --reason "vendor case 4711" --expires 7d | tr -d '\r'
tests/e2e/fakehost-exec.sh "$scenario" -- leaks --db "Z:$out/history.db" --user user001 | tr -d '\r'

say "5. What reached the Event Log API (build/demo/eventlog.txt, from Wine's ReportEventW trace)"
awk '{print $1, $2}' "$out/eventlog.txt" | sort | uniq -c | sed 's/^/  /'
echo
echo "The last state event (the truth when the run ended):"
grep -E '^id=(2003|2009) ' "$out/eventlog.txt" | tail -n 1 | cut -c1-400 || true

say "6. The alerts as Event Viewer shows them (build/demo/alerts.txt: leakwatch events)"
python3 - "$out/alerts.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n")
records = [r for r in re.split(r"\n(?=Log Name:)", text) if r.startswith("Log Name:")]
ids = [re.search(r"Event ID: +(\d+)", r).group(1) for r in records]
held = sum(1 for r in records if "(held back by alerts.max_per_hour" in r)
print("%d alerts in the history (%d of them held back from the Event Log by alerts.max_per_hour):"
      % (len(records), held))
for i in sorted(set(ids)):
    print("  event %s: %d" % (i, ids.count(i)))
def show(rec):
    print()
    print(rec.strip()[:2400] + ("\n[...]" if len(rec.strip()) > 2400 else ""))
first_leak = next(r for r in records if "Event ID:      2001" in r)
# The last state event the Event Log got: a 2003, or the 2009 summary the
# stopping service writes when alerts were held back (with every leaked user).
states = [r for r in records
          if re.search(r"Event ID: +(2003|2009)", r) and "(held back" not in r]
show(first_leak)
show(states[-1])
PY

say "7. The history, with the sqlite3.exe the MSI installs, under Wine (build/demo/history.db)"
# SQLite's own shell for Windows (Windows Server has none), the copy the MSI
# carries, opened read-only as README's examples do.
shell=$root/build/mingw/installer/msi-stage/sqlite3.exe
sql() {
  echo "sqlite> $1"
  bash tests/wine/wine-exec.sh "$LW_WINEPREFIX" "$shell" -readonly -header -column \
    "Z:$out/history.db" "$1" </dev/null | tr -d '\r'
  echo
}
sql "SELECT luid, domain || '\\' || user AS who, kind, with_luid, terminal_session, session_end, leaked_at FROM v_leaks ORDER BY terminal_session, kind DESC LIMIT 8;"
sql "SELECT kind, logon_type, COUNT(*) AS leaked FROM v_leaks WHERE released_at IS NULL GROUP BY kind, logon_type;"
# The gap over time, from the figures each poll stored: every 8th poll and the last.
sql "SELECT polled_at, live_sessions, open_leaks, pinned_ids, highest_session_id FROM (SELECT *, row_number() OVER (ORDER BY polled_at) AS n, count(*) OVER () AS polls FROM v_polls) WHERE n % 8 = 1 OR n = polls;"

say "8. The report an operator opens in a browser (leakwatch report --html)"
# The exe writes it from the history, read-only; Z: is Wine's view of /.
tests/e2e/fakehost-exec.sh "$scenario" -- report --html "Z:$out/report.html" --db "Z:$out/history.db" |
  tr -d '\r'
echo "report: $out/report.html (one self-contained page: open it in any browser, offline)"
if command -v chromium >/dev/null 2>&1; then
  # Headless Chromium's picture of it; Chromium talks a lot on stderr.
  mkdir -p "$out/chromium-home"
  if HOME=$out/chromium-home timeout 300 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$out/chromium-profile" --screenshot="$out/report.png" --window-size=1200,2600 \
    "file://$out/report.html" >"$out/chromium.log" 2>&1; then
    echo "screenshot: $out/report.png"
  else
    echo "(no screenshot: chromium failed, see $out/chromium.log)"
  fi
fi

say "Done"
cat <<TXT
The service polled the simulated host, kept its history in build/demo/history.db
(open it with sqlite3; views v_polls, v_logon_sessions, v_wts_sessions, v_leaks,
v_alerts), raised the alerts above through ReportEventW with the message table
embedded in leakwatch.exe, and \`leakwatch report --html\` made build/demo/report.html
of that history. Run every test with tests/run.sh.
TXT
