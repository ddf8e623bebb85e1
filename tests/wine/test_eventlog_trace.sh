#!/usr/bin/env bash
# Wine test: what service/os/eventlog.c hands to ReportEventW. Wine's ReportEventW
# is a stub that prints the event ID, type and category on its `fixme:advapi`
# line and each insertion string on the `eventlog` channel (warn: for
# warnings, err: for errors, trace: for information); nothing can be read
# back from an Event Log under Wine, so this is where the truth is.
# usage: test_eventlog_trace.sh EVENTLOG_PROBE_EXE   (env LW_WINEPREFIX)
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$(dirname "$0")/../lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64"

probe=${1:?usage: test_eventlog_trace.sh EVENTLOG_PROBE_EXE}
export WINEPREFIX=${LW_WINEPREFIX:?LW_WINEPREFIX not set}
export WINEDLLOVERRIDES="mscoree,mshtml="
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# run NAME EVENT_ID INSERTS...: the probe under the debug channels we read.
run() {
  local name=$1
  shift
  local rc=0
  WINEDEBUG=fixme-all,+eventlog,fixme+advapi "$WINE64" "$probe" "$@" \
    >"$tmp/$name.raw" 2>"$tmp/$name.err" || rc=$?
  tr -d '\r' <"$tmp/$name.raw" >"$tmp/$name.out" # the C runtime writes CRLF
  return $rc
}

# check_event NAME TYPE CATEGORY MSGID LEVEL STRINGS...: one ReportEventW call
# with these parameters, and exactly these insertion strings, in order, as
# Wine prints them (debugstr_w: L"...", backslash doubled, non-ASCII \xxxx).
check_event() {
  local name=$1 type=$2 cat=$3 msgid=$4 level=$5
  shift 5
  local n=$#
  local re="fixme:advapi:ReportEventW \([0-9A-Fa-f]+,$type,$cat,$msgid,[0-9A-Fa-f]+,$(printf '0x%04x' "$n"),"
  local calls
  calls=$(grep -cE "$re" "$tmp/$name.err" || true)
  [ "$calls" = 1 ] || fail "$name: expected one ReportEventW($type,$cat,$msgid,$n strings), saw $calls"
  grep -oE "[0-9a-f]+:(warn|err|trace):eventlog:ReportEventW L\".*\"" "$tmp/$name.err" |
    sed -E 's/^[0-9a-f]+://' >"$tmp/$name.strings" || true
  printf "$level:eventlog:ReportEventW L\"%s\"\n" "$@" >"$tmp/$name.want"
  if ! cmp -s "$tmp/$name.want" "$tmp/$name.strings"; then
    fail "$name: insertion strings differ (want, then got):"
    diff "$tmp/$name.want" "$tmp/$name.strings" >&2 || true
  fi
}

# 2001, a warning with fourteen inserts, each one fact at its documented
# position (README, "Insertion strings"): Unicode, a backslash in the list of
# system logon sessions and a literal %1.
run leaked 2001 "00000000:0004a1f2" "zoë" CONTOSO 10 RemoteInteractive 3 \
  "2024-05-02T08:01:00Z" "2024-05-02T09:15:30Z" yes "2024-05-02T09:15:30Z" 12 1 \
  "00000000:0004a100 Window Manager\\DWM-3" "%1 no token handle found" ||
  fail "leaked: probe exited $?"
check_event leaked 0x0002 0x0005 0x800007d1 warn \
  "00000000:0004a1f2" 'zo\00eb' CONTOSO 10 RemoteInteractive 3 \
  "2024-05-02T08:01:00Z" "2024-05-02T09:15:30Z" yes "2024-05-02T09:15:30Z" 12 1 \
  '00000000:0004a100 Window Manager\\DWM-3' "%1 no token handle found"
head -n 1 "$tmp/leaked.out" | grep -qx "id=2001 type=warning" || fail "leaked: probe header"
grep -qF "The logon session 00000000:0004a1f2 of CONTOSO\\zoë has leaked." "$tmp/leaked.out" ||
  fail "leaked: rendered text lacks the first sentence"
# Each label of the message shows the insert documented for its position.
for line in "User: zoë" "Domain: CONTOSO" "Logon type: RemoteInteractive (10)" "Terminal session: 3" \
  "Logon time (UTC): 2024-05-02T08:01:00Z" "Terminal session ended (UTC): 2024-05-02T09:15:30Z" \
  "Seen ending by LeakWatch: yes" "Minutes pinned (at least, when the end is unknown): 12" \
  "System logon sessions of the terminal session leaked with it: 1 (00000000:0004a100 Window Manager\\DWM-3)"; do
  grep -qxF "$line" "$tmp/leaked.out" || fail "leaked: the rendered text lacks the line: $line"
done
grep -qxF "Token holders: %1 no token handle found" "$tmp/leaked.out" ||
  fail "leaked: %1 in an insert was not kept literally"

# 1000, information: trace lines, category 1 (Service).
run started 1000 1.0.0 'C:\ProgramData\LeakWatch\leakwatch.yaml' \
  'C:\ProgramData\LeakWatch\history.db' 60 || fail "started: probe exited $?"
check_event started 0x0004 0x0001 0x400003e8 trace \
  1.0.0 'C:\\ProgramData\\LeakWatch\\leakwatch.yaml' \
  'C:\\ProgramData\\LeakWatch\\history.db' 60

# 1100, error: err lines, category 2 (Configuration).
run configerr 1100 'C:\x.yaml' "The previous configuration stays in effect." \
  "x.yaml:3:15: grace_period: expected a duration" || fail "configerr: probe exited $?"
check_event configerr 0x0001 0x0002 0xc000044c err \
  'C:\\x.yaml' "The previous configuration stays in effect." \
  "x.yaml:3:15: grace_period: expected a duration"

# 2009 and 2007 reach ReportEventW with their own IDs and categories.
run suppressed 2009 17 60 2024-05-02T09:00:00Z "the hour ended" 2 2 "CONTOSO\\alice, CONTOSO\\bob" \
  3 "2-4" 5 2 || fail "suppressed: probe exited $?"
check_event suppressed 0x0002 0x0007 0x800007d9 warn 17 60 2024-05-02T09:00:00Z "the hour ended" \
  2 2 'CONTOSO\\alice, CONTOSO\\bob' 3 "2-4" 5 2
grep -qxF "Pinned terminal session IDs: 3 (2-4)" "$tmp/suppressed.out" ||
  fail "suppressed: the rendered text lacks the pinned IDs"
run holder 2007 "00000000:0004a1f2" alice CONTOSO "C:\\Tools\\TokenGrabber.exe" 4412 \
  TokenGrabber 3 impersonation none || fail "holder: probe exited $?"
check_event holder 0x0002 0x0006 0x800007d7 warn \
  "00000000:0004a1f2" alice CONTOSO 'C:\\Tools\\TokenGrabber.exe' 4412 \
  TokenGrabber 3 impersonation none

# A wrong number of inserts is refused before anything reaches the API.
if run wrongcount 2001 only two; then
  fail "wrongcount: probe accepted 2 inserts for 2001"
fi
grep -q "ReportEventW" "$tmp/wrongcount.err" && fail "wrongcount: ReportEventW was called"
grep -q "LW_EINVAL" "$tmp/wrongcount.err" || fail "wrongcount: no LW_EINVAL message"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed" >&2
  exit 1
fi
echo "ok: event IDs, types, categories and insertion strings reached ReportEventW"
