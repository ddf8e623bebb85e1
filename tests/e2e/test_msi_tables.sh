#!/usr/bin/env bash
# The built MSI holds what issue 6 asks for, read back with `msiinfo export`:
# the service (ServiceInstall, ServiceControl), the Event Log source and the
# install-property values (Registry), the files and where they go (File,
# Component, Directory; the Event Viewer custom view of issue 16 too), the version and upgrade identity (Property, Upgrade,
# LaunchCondition), and the property check that runs before anything changes
# (CustomAction, InstallExecuteSequence).
# usage: test_msi_tables.sh MSI VERSION
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$(dirname "$0")/../lib/require.sh"
require_tool wixl msiinfo msiextract file # wixl: without it there is no MSI to read

msi=${1:?usage: test_msi_tables.sh MSI VERSION}
version=${2:?usage: test_msi_tables.sh MSI VERSION}
[ -f "$msi" ] || { echo "FAIL: no MSI at $msi (build the msi target)" >&2; exit 1; }
msi=$(realpath "$msi")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# table NAME: the table's rows (the three header lines dropped), CR removed.
table() {
  # In $tmp: exporting Binary also writes its streams to ./Binary/.
  (cd "$tmp" && msiinfo export "$msi" "$1") >"$tmp/$1.idt" || { fail "msiinfo export $1 failed"; return; }
  tail -n +4 "$tmp/$1.idt" | tr -d '\r'
}
T=$'\t'

# has_row TABLE ROW: ROW (tab-separated, complete) is one of TABLE's rows.
has_row() {
  table "$1" | grep -qxF -- "$2" || {
    fail "$1 lacks the row: $(printf '%s' "$2" | tr '\t' '|')"
    table "$1" | tr '\t' '|' | sed 's/^/    /' >&2
  }
}

# ServiceInstall: own process (16), automatic (2), error control normal (1),
# LocalSystem, argument `service`, in the exe's component.
desc=$(table ServiceInstall | awk -F'\t' '$2 == "LeakWatch" { print $13 }')
has_row ServiceInstall "LeakWatchService${T}LeakWatch${T}LeakWatch logon session leak monitor${T}16${T}2${T}1${T}${T}${T}LocalSystem${T}${T}service${T}LeakWatchExe${T}$desc"
[ "${#desc}" -ge 20 ] || fail "the service has no real description: '$desc'"
[ "$(table ServiceInstall | wc -l)" = 1 ] || fail "expected exactly one ServiceInstall row"

# ServiceControl: 163 = start on install (1) + stop on install (2) + stop on
# uninstall (32) + delete on uninstall (128); Wait = 1.
has_row ServiceControl "LeakWatchServiceControl${T}LeakWatch${T}163${T}${T}1${T}LeakWatchExe"

# Registry (root 2 = HKLM). The Event Log source: the exe as message and
# category file (REG_SZ full path), TypesSupported and CategoryCount 7.
reg() { # reg KEY NAME VALUE COMPONENT: one Registry row, whatever its Id
  table Registry | awk -F'\t' -v k="$1" -v n="$2" -v v="$3" -v c="$4" \
    '$2 == "2" && $3 == k && $4 == n && $5 == v && $6 == c { found = 1 } END { exit !found }' ||
    fail "Registry lacks HKLM\\$1 $2 = $3 (component $4)"
}
evkey='SYSTEM\CurrentControlSet\Services\EventLog\Application\LeakWatch\'
reg "$evkey" EventMessageFile '[#leakwatch.exe]' LeakWatchExe
reg "$evkey" CategoryMessageFile '[#leakwatch.exe]' LeakWatchExe
reg "$evkey" TypesSupported '#7' LeakWatchExe
reg "$evkey" CategoryCount '#7' LeakWatchExe
# The silent-install properties, as checked by LwCheckProperties.
reg 'SOFTWARE\LeakWatch\InstallProperties\' poll_interval '[LW_POLL_INTERVAL]' InstallProperties
reg 'SOFTWARE\LeakWatch\InstallProperties\' grace_period '[LW_GRACE_PERIOD]' InstallProperties
reg 'SOFTWARE\LeakWatch\InstallProperties\' database '[LW_DATABASE]' InstallProperties
reg 'SOFTWARE\LeakWatch\InstallProperties\' readers '[LW_READERS_GROUP]' InstallProperties
reg 'SOFTWARE\LeakWatch\InstallProperties\' metrics_file '[LW_METRICS_FILE]' InstallProperties
reg 'SOFTWARE\LeakWatch\' Version "$version" InstallProperties
reg 'SOFTWARE\LeakWatch\' InstallDir '[INSTALLDIR]' InstallProperties
# Nothing else writes to the registry (no operator data in the MSI).
[ "$(table Registry | wc -l)" = 11 ] || fail "expected 11 Registry rows, got $(table Registry | wc -l)"

# Files: the exe, the default configuration, the operator's guide the
# alerts point to (README.md) and SQLite's shell (sqlite3.exe, issue 15) in
# [ProgramFiles64Folder]LeakWatch, and the
# Event Viewer custom view in [CommonAppDataFolder]Microsoft\Event
# Viewer\Views (where Event Viewer looks for custom views), nothing else; all
# in 64-bit components (attribute 256).
table File | awk -F'\t' '{ print $1 "|" $2 "|" $3 }' | sort >"$tmp/files"
printf '%s\n' 'LeakWatchView|EventViewerView|LeakWatch.xml' 'README.md|OperatorGuide|README.md' \
  'leakwatch.default.yaml|DefaultConfig|leakwatch.default.yaml' \
  'leakwatch.exe|LeakWatchExe|leakwatch.exe' 'sqlite3.exe|SqliteShell|sqlite3.exe' | sort >"$tmp/files.want"
cmp -s "$tmp/files" "$tmp/files.want" || fail "File rows: $(tr '\n' ' ' <"$tmp/files")"
has_row Directory "INSTALLDIR${T}ProgramFiles64Folder${T}LeakWatch"
has_row Directory "EvMicrosoft${T}CommonAppDataFolder${T}Microsoft"
has_row Directory "EvEventViewer${T}EvMicrosoft${T}Event Viewer"
has_row Directory "EVENTVIEWERVIEWS${T}EvEventViewer${T}Views"
has_row Directory "CommonAppDataFolder${T}TARGETDIR${T}."
table Component | awk -F'\t' '
  ($1 == "EventViewerView") != ($3 == "EVENTVIEWERVIEWS") || ($3 != "INSTALLDIR" && $3 != "EVENTVIEWERVIEWS") ||
  int($4 / 256) % 2 != 1 { bad = bad " " $1 "(" $3 ")" }
  END { if (bad != "") { print "misplaced or not 64-bit:" bad; exit 1 } }' >&2 ||
  fail "every component must be 64-bit, the view's in EVENTVIEWERVIEWS and the others in INSTALLDIR"
# The packed view is the source tree's, byte for byte.
mkdir -p "$tmp/x"
msiextract -C "$tmp/x" "$msi" >/dev/null || fail "msiextract $msi failed"
view=$(find "$tmp/x" -name LeakWatch.xml | head -n 1)
[ -n "$view" ] && cmp -s "$view" "${LW_SOURCE_DIR:?}/installer/leakwatch-eventviewer-view.xml" ||
  fail "the MSI's LeakWatch.xml is not installer/leakwatch-eventviewer-view.xml (found: '${view:-none}')"

# The packed shell is the one the build made (cmake/build-mingw-deps.sh),
# byte for byte, a Windows x64 console program.
shell=$(find "$tmp/x" -name sqlite3.exe | head -n 1)
[ -n "$shell" ] && cmp -s "$shell" "${LW_BUILD_DIR:?}/installer/msi-stage/sqlite3.exe" ||
  fail "the MSI's sqlite3.exe is not the staged build's (found: '${shell:-none}')"
[ -z "$shell" ] || file -b "$shell" | grep -q 'PE32+ executable (console) x86-64' ||
  fail "the MSI's sqlite3.exe is not a Windows x64 console program: $(file -b "$shell")"

# Identity: version from CMake, the fixed UpgradeCode, a major upgrade that
# refuses downgrades.
has_row Property "ProductVersion${T}$version"
has_row Property "ProductName${T}LeakWatch"
has_row Property "UpgradeCode${T}{B5175F11-624C-4B17-B96F-71B984E4B285}"
has_row Property "ALLUSERS${T}1"
has_row Upgrade "{B5175F11-624C-4B17-B96F-71B984E4B285}${T}${T}$version${T}${T}1${T}${T}WIX_UPGRADE_DETECTED"
has_row Upgrade "{B5175F11-624C-4B17-B96F-71B984E4B285}${T}$version${T}${T}${T}2${T}${T}WIX_DOWNGRADE_DETECTED"
table LaunchCondition | grep -q "^NOT WIX_DOWNGRADE_DETECTED${T}A newer version of LeakWatch is already installed" ||
  fail "no downgrade LaunchCondition"
msiinfo suminfo "$msi" | tr -d '\r' | grep -q '^Template: x64;1033$' || fail "the package is not x64"

# The property check: a DLL action (type 1, + 2048 as wixl writes it) from
# the Binary table, before InstallValidate and RemoveExistingProducts, not on
# removal.
has_row CustomAction "LwCheckProperties${T}2049${T}LeakWatchCA${T}LwCheckProperties${T}"
table Binary | grep -q "^LeakWatchCA${T}" || fail "leakwatch_ca.dll is not in the Binary table"
seq_of() { table InstallExecuteSequence | awk -F'\t' -v a="$1" '$1 == a { print $3 }'; }
check=$(seq_of LwCheckProperties)
validate=$(seq_of InstallValidate)
rep=$(seq_of RemoveExistingProducts)
[ -n "$check" ] && [ -n "$validate" ] && [ -n "$rep" ] && [ "$check" -lt "$validate" ] &&
  [ "$validate" -lt "$rep" ] ||
  fail "sequence: LwCheckProperties=$check InstallValidate=$validate RemoveExistingProducts=$rep"
table InstallExecuteSequence | grep -qxF "LwCheckProperties${T}NOT (REMOVE~=\"ALL\")${T}$check" ||
  fail "LwCheckProperties must be conditioned on NOT (REMOVE~=\"ALL\")"
for a in InstallServices StartServices StopServices DeleteServices WriteRegistryValues; do
  [ -n "$(seq_of $a)" ] || fail "InstallExecuteSequence lacks $a"
done

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed for $msi" >&2
  exit 1
fi
echo "ok: $(basename "$msi"): ServiceInstall, ServiceControl, Registry, File, Property, Upgrade, CustomAction as expected"
