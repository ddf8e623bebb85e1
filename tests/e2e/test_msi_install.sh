#!/usr/bin/env bash
# E2E under Wine: the built MSI on a clean machine (a fresh copy of the test
# prefix). A silent install with an invalid property fails and leaves nothing
# behind (METRICS_FILE refused for a relative path and for a name
# windows_exporter does not read); a silent install with valid properties
# puts the files (SQLite's sqlite3.exe among them) in C:\Program
# Files\LeakWatch and the Event Viewer custom view in
# %ProgramData%\Microsoft\Event Viewer\Views, registers the service
# and the Event Log source and records the checked properties (METRICS_FILE
# among them); msiexec /x removes all of it and keeps %ProgramData%\LeakWatch
# if the service made one.
# usage: test_msi_install.sh MSI VERSION   (env LW_SOURCE_DIR, LW_BUILD_DIR, LW_WINEPREFIX)
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
. "$LW_SOURCE_DIR/tests/lib/wine-service.sh"
require_tool wixl msibuild timeout # wixl: without it there is no MSI to install

msi=${1:?usage: test_msi_install.sh MSI VERSION}
version=${2:?usage: test_msi_install.sh MSI VERSION}
[ -f "$msi" ] || lw_fail "no MSI at $msi (build the msi target)"
stage="$LW_BUILD_DIR/installer/msi-stage" # the files wixl packed
work="$LW_BUILD_DIR/tests/msi_install"
rm -rf "$work"
lw_wine_clean_machine "$work"
# The server is stopped at the end (the lead's rule), then the 700 MB copy goes.
trap 'lw_wine_end; rm -rf "$work/prefix"' EXIT
lw_wine_start_logging "$work/wine.log" || lw_fail "could not start services.exe with its log"
cp "$msi" "$WINEPREFIX/drive_c/LeakWatch-x64.msi"
pf="$WINEPREFIX/drive_c/Program Files/LeakWatch"
fails=0
check() { # check DESCRIPTION: records a failed expectation, goes on
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# run_msiexec LOG ARGS...: msiexec /qn with a verbose log in $work/LOG; its
# exit status modulo 256 (Wine's). Retried once on Wine's occasional
# "ShellExecuteEx failed: Internal error".
run_msiexec() {
  local log=$1 rc attempt
  shift
  for attempt in 1 2; do
    rm -f "$work/$log"
    rc=0
    timeout 180 "$WINE64" msiexec "$@" /qn /l*v "Z:$work/$log" </dev/null \
      >"$work/msiexec.out" 2>&1 || rc=$?
    grep -q "ShellExecuteEx failed" "$work/msiexec.out" || break
  done
  return $rc
}

# reg_value KEY NAME: prints "TYPE|VALUE" (nothing if absent).
reg_value() {
  "$WINE64" reg query "$1" /v "$2" </dev/null 2>/dev/null | tr -d '\r' |
    sed -n -E "s/^    $2    (REG_[A-Z_]+)(    (.*))?\$/\1|\3/p" || true
}
expect_reg() { # expect_reg KEY NAME TYPE|VALUE
  local got
  got=$(reg_value "$1" "$2")
  [ "$got" = "$3" ] || check "$1 $2: expected '$3', got '$got'"
}
key_exists() { "$WINE64" reg query "$1" </dev/null >/dev/null 2>&1; }

svc='HKLM\SYSTEM\CurrentControlSet\Services\LeakWatch'
evt='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\LeakWatch'
sw='HKLM\SOFTWARE\LeakWatch'
exe='C:\Program Files\LeakWatch\leakwatch.exe'

# --- 1. An invalid property: the install fails and changes nothing ---------
# Every invalid property is named, not only the first.
rc=0
run_msiexec bad.log /i 'C:\LeakWatch-x64.msi' POLL_INTERVAL=abc METRICS_FILE=leakwatch.prom || rc=$?
[ "$rc" = 67 ] || [ "$rc" = 1603 ] || check "install with POLL_INTERVAL=abc: exit $rc, expected 1603 (67 under Wine)"
grep -aq "LeakWatch: invalid POLL_INTERVAL=abc: poll_interval: 'abc'" "$work/bad.log" ||
  check "the MSI log does not say why POLL_INTERVAL=abc was refused"
grep -aq "LeakWatch: invalid METRICS_FILE=leakwatch.prom: metrics_file: 'leakwatch.prom' is not a full path" \
  "$work/bad.log" || check "the MSI log does not say why METRICS_FILE=leakwatch.prom was refused"
[ ! -e "$pf" ] || check "files installed by a failed install: $(ls "$pf")"
! key_exists "$svc" || check "service registered by a failed install"
! key_exists "$sw" || check "$sw written by a failed install"
echo "ok: POLL_INTERVAL=abc METRICS_FILE=leakwatch.prom refused (exit $rc), nothing installed"

# windows_exporter's textfile collector reads only *.prom files.
rc=0
run_msiexec bad-prom.log /i 'C:\LeakWatch-x64.msi' 'METRICS_FILE=C:\exporter\leakwatch.txt' || rc=$?
[ "$rc" = 67 ] || [ "$rc" = 1603 ] || check "install with METRICS_FILE=...txt: exit $rc, expected 1603 (67 under Wine)"
grep -aqF "LeakWatch: invalid METRICS_FILE=C:\\exporter\\leakwatch.txt: metrics_file: 'C:\\exporter\\leakwatch.txt' does not end in .prom" \
  "$work/bad-prom.log" || check "the MSI log does not say why METRICS_FILE=C:\exporter\leakwatch.txt was refused"
[ ! -e "$pf" ] || check "files installed by a failed install: $(ls "$pf")"
! key_exists "$sw" || check "$sw written by a failed install"
echo "ok: METRICS_FILE=C:\exporter\leakwatch.txt refused (exit $rc), nothing installed"

# --- 2. Install with valid properties --------------------------------------
rc=0
run_msiexec install.log /i 'C:\LeakWatch-x64.msi' POLL_INTERVAL=30s GRACE_PERIOD=5m \
  READERS_GROUP=Administrators 'METRICS_FILE=C:\exporter\textfile_inputs\leakwatch.prom' || rc=$?
[ "$rc" = 0 ] || lw_fail "msiexec /i exited $rc (log: $work/install.log)"
grep -aq "LeakWatch: 4 install properties given, all valid" "$work/install.log" ||
  check "LwCheckProperties did not report 4 valid properties"

cmp -s "$pf/leakwatch.exe" "$stage/leakwatch.exe" || check "leakwatch.exe missing or not the built one"
cmp -s "$pf/leakwatch.default.yaml" "$stage/leakwatch.default.yaml" ||
  check "leakwatch.default.yaml missing or not the built one"
cmp -s "$pf/README.md" "$stage/README.md" ||
  check "README.md (the guide the alerts point to) missing or not the built one"
cmp -s "$pf/sqlite3.exe" "$stage/sqlite3.exe" ||
  check "sqlite3.exe (SQLite's shell, issue 15) missing or not the built one"
[ "$(ls "$pf" | LC_ALL=C sort | tr '\n' ' ')" = "README.md leakwatch.default.yaml leakwatch.exe sqlite3.exe " ] ||
  check "unexpected files in Program Files\\LeakWatch: $(ls "$pf")"

# The Event Viewer custom view, where Event Viewer finds custom views.
views="$WINEPREFIX/drive_c/ProgramData/Microsoft/Event Viewer/Views"
cmp -s "$views/LeakWatch.xml" "$LW_SOURCE_DIR/installer/leakwatch-eventviewer-view.xml" ||
  check "the custom view is missing from $views or not installer/leakwatch-eventviewer-view.xml"

expect_reg "$evt" EventMessageFile "REG_SZ|$exe"
expect_reg "$evt" CategoryMessageFile "REG_SZ|$exe"
expect_reg "$evt" TypesSupported "REG_DWORD|0x7"
expect_reg "$evt" CategoryCount "REG_DWORD|0x7"

expect_reg "$sw\\InstallProperties" poll_interval "REG_SZ|30s"
expect_reg "$sw\\InstallProperties" grace_period "REG_SZ|5m"
expect_reg "$sw\\InstallProperties" readers "REG_SZ|Administrators"
expect_reg "$sw\\InstallProperties" metrics_file 'REG_SZ|C:\exporter\textfile_inputs\leakwatch.prom'
# Not given; Windows Installer's own DATABASE (the package path) must not leak in.
expect_reg "$sw\\InstallProperties" database "REG_SZ|"
expect_reg "$sw" Version "REG_SZ|$version"

expect_reg "$svc" DisplayName "REG_SZ|LeakWatch logon session leak monitor"
expect_reg "$svc" Start "REG_DWORD|0x2"
expect_reg "$svc" Type "REG_DWORD|0x10"
expect_reg "$svc" ErrorControl "REG_DWORD|0x1"
expect_reg "$svc" ObjectName "REG_SZ|LocalSystem"
image=$(reg_value "$svc" ImagePath)
# Windows Installer quotes the path; Wine 8's msi does not.
case "$image" in
"REG_SZ|$exe service" | "REG_EXPAND_SZ|$exe service" | "REG_SZ|\"$exe\" service" | \
  "REG_EXPAND_SZ|\"$exe\" service") ;;
*) check "ImagePath: '$image'" ;;
esac
desc=$(reg_value "$svc" Description)
[ "${#desc}" -gt 30 ] || check "service description: '$desc'"

query=$(lw_query LeakWatch)
grep -q "SERVICE_NAME: LeakWatch" <<<"$query" || check "sc query LeakWatch: $query"
grep -q "TYPE *: *10 *WIN32_OWN_PROCESS" <<<"$query" || check "not an own-process service: $query"
state=$(sed -n 's/^ *STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p' <<<"$query")
echo "ok: installed; files, Event Log source, install properties and service registered (state now: ${state:-?})"

# --- 3. Uninstall ----------------------------------------------------------
pd="$WINEPREFIX/drive_c/ProgramData/LeakWatch"
had_data=0
[ -d "$pd" ] && had_data=1
rc=0
run_msiexec uninstall.log /x 'C:\LeakWatch-x64.msi' || rc=$?
[ "$rc" = 0 ] || lw_fail "msiexec /x exited $rc (log: $work/uninstall.log)"
rc=0
lw_sc query LeakWatch >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || check "service still known to the SCM after msiexec /x"
! key_exists "$svc" || check "service registry key left by msiexec /x"
[ ! -e "$pf/sqlite3.exe" ] || check "sqlite3.exe left by msiexec /x"
[ ! -e "$pf" ] || check "Program Files\\LeakWatch left by msiexec /x: $(ls -A "$pf")"
[ ! -e "$views/LeakWatch.xml" ] || check "the Event Viewer view left by msiexec /x"
for k in "$evt" "$sw"; do
  if key_exists "$k"; then
    [ -z "$("$WINE64" reg query "$k" </dev/null 2>/dev/null | tr -d '\r' | grep '    REG_')" ] ||
      check "values left under $k by msiexec /x"
  fi
done
if [ $had_data = 1 ]; then
  [ -d "$pd" ] || check "msiexec /x removed %ProgramData%\\LeakWatch (operator data)"
fi
echo "ok: uninstalled; service, files and registry values gone (ProgramData\\LeakWatch present before: $had_data)"

# --- 4. Properties from the Property table, as a GPO transform brings them --
# README's "Fleet rollout" recipe: a copy with the settings as Property rows
# (msibuild); a transform is the difference between the two MSIs. No property
# on the command line.
cp "$msi" "$work/farm.msi"
for row in "'POLL_INTERVAL', '45s'" "'METRICS_FILE', 'C:\\exporter\\farm.prom'"; do
  msibuild "$work/farm.msi" -q "INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ($row)" ||
    lw_fail "msibuild could not add the Property row $row"
done
cp "$work/farm.msi" "$WINEPREFIX/drive_c/LeakWatch-farm.msi"
rc=0
run_msiexec farm.log /i 'C:\LeakWatch-farm.msi' || rc=$?
[ "$rc" = 0 ] || lw_fail "msiexec /i of the MSI with Property rows exited $rc (log: $work/farm.log)"
grep -aq "LeakWatch: 2 install properties given, all valid" "$work/farm.log" ||
  check "LwCheckProperties did not report the 2 properties of the Property table"
expect_reg "$sw\\InstallProperties" poll_interval "REG_SZ|45s"
expect_reg "$sw\\InstallProperties" metrics_file 'REG_SZ|C:\exporter\farm.prom'
echo "ok: POLL_INTERVAL and METRICS_FILE from the Property table checked and recorded"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed; logs in $work" >&2
  exit 1
fi
