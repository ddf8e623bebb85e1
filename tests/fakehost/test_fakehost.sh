#!/usr/bin/env bash
# Wine test of the simulated RDS host: runs fakehost_probe.exe (a small
# LSA/WTS client) on the fake secur32.dll / wtsapi32.dll through
# tests/e2e/fakehost-exec.sh (LW_FAKEHOST_EXE points it at the probe), and
# once as a service would run it (fakehost.yaml beside the exe, no
# environment). Checks the entries of several steps of the shipped
# scenarios, counted strings followed by garbage, odd strings, data_status
# failures, step clamping after the last step, the start step, the counters
# (calls, repeat data calls, buffers outstanding, bad frees), loud failure on
# a broken scenario, and that fakehost-exec.sh passes exit statuses through.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build), LW_WINEPREFIX.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=SCRIPTDIR/../lib/require.sh
. "$src/tests/lib/require.sh"
WINE64=${WINE64:-/usr/lib/wine/wine64}
require_tool "$WINE64"
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
probe=$build/tests/fakehost/fakehost_probe.exe
exec_sh=$src/tests/e2e/fakehost-exec.sh
scen=$src/tests/scenarios
work=$build/tests/fakehost/work
rm -rf "$work"
mkdir -p "$work"
export LW_BUILD_DIR=$build LW_FAKEHOST_EXE=$probe
unset LEAKWATCH_FAKEHOST LEAKWATCH_FAKEHOST_STEP LEAKWATCH_FAKEHOST_STATS

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# has FILE TEXT: FILE contains the line TEXT exactly
has() {
  checks=$((checks + 1))
  grep -qxF -- "$2" "$1" || fail "$1: no line '$2'"
}
# contains FILE TEXT: some line of FILE contains TEXT
contains() {
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$1: nothing contains '$2'"
}
lacks() {
  checks=$((checks + 1))
  ! grep -qF -- "$2" "$1" || fail "$1: unexpected '$2'"
}
# stat FILE KEY VALUE
stat_is() {
  local got
  checks=$((checks + 1))
  got=$(sed -n "s/^$2=//p" "$1")
  [ "$got" = "$3" ] || fail "$1: $2=$got, expected $3"
}
equal() {
  checks=$((checks + 1))
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
# probe NAME SCENARIO [fakehost-exec options] -- [probe options]: runs the
# probe; output in $work/NAME.out, stderr in .err, stats in .stats, exit in .rc
probe() {
  local name=$1 scenario=$2 rc=0
  shift 2
  local pre=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    pre+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  LEAKWATCH_FAKEHOST_STATS=$work/$name.stats "$exec_sh" "${pre[@]}" "$scenario" -- "$@" \
    >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  echo "$rc" >"$work/$name.rc"
}
# counts of `lsa ... count=N` per poll, space-separated
lsa_counts() { sed -n 's/^lsa status=0x00000000 count=//p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
wts_steps() { grep '^wts id=0 ' "$1" | sed 's/.* step=\([0-9]*\) .*/\1/' | tr '\n' ' ' | sed 's/ $//'; }

# --- basic: every step, one past the end, counters ------------------------
probe basic "$scen/basic.yaml" -- --polls 7
equal "$(cat "$work/basic.rc")" 0 "basic exit"
equal "$(lsa_counts "$work/basic.out")" "9 12 13 13 10 10 10" "basic logon counts per poll"
equal "$(wts_steps "$work/basic.out")" "0 1 2 3 4 5 5" "basic WTS step per poll (clamped at 5)"
has "$work/basic.out" 'logon luid=00000000:004a1200 status=0x00000000 user="bob" domain="CONTOSO" auth="Kerberos" server="DC02" dns="CONTOSO.COM" upn="bob@contoso.com" type=10 session=3 sid="S-1-5-21-1004336348-1177238915-682003330-1107" logon_time=1795251660 size=ok tails=garbage'
has "$work/basic.out" 'logon luid=00000000:000003e7 status=0x00000000 user="RDSH-BASIC$" domain="CONTOSO" auth="Negotiate" server=null dns=null upn=null type=0 session=0 sid="S-1-5-18" logon_time=1795165200 size=ok tails=garbage'
contains "$work/basic.out" 'wts id=2 station="RDP-Tcp#4" state=0 user="alice" domain="CONTOSO" client="LAPTOP-17" q_station="RDP-Tcp#4" q_state=0 q_id=2 protocol=2 addr_family=0 addr_bytes=24 info_state=0 info_id=2 info_station="RDP-Tcp#4" info_user="alice" info_domain="CONTOSO" logon_time=1795251600 connect_time=1795251600 disconnect_time=0'
contains "$work/basic.out" 'wts id=0 station="Services" state=4 user="" domain="" client=""'
equal "$(grep -c '^wts id=3 ' "$work/basic.out")" 3 "bob's WTS session in steps 1..3 only"
lacks "$work/basic.out" 'tails=nul'
lacks "$work/basic.out" 'size=bad'
lacks "$work/basic.out" '=error'
stat_is "$work/basic.stats" status ok
stat_is "$work/basic.stats" steps 6
stat_is "$work/basic.stats" step 5
stat_is "$work/basic.stats" lsa_enumerate_calls 7
stat_is "$work/basic.stats" lsa_data_calls 77
stat_is "$work/basic.stats" lsa_repeat_data_calls 64 # 77 calls for 13 distinct LUIDs
stat_is "$work/basic.stats" lsa_buffers_allocated 84  # 77 data + 7 lists
stat_is "$work/basic.stats" lsa_buffers_outstanding 0
stat_is "$work/basic.stats" wts_enumerate_calls 7
stat_is "$work/basic.stats" wts_buffers_outstanding 0
stat_is "$work/basic.stats" bad_frees 0

# --- the product's way: data calls only for new LUIDs; a start step -------
probe cache "$scen/basic.yaml" -- --polls 6 --cache --no-wts
stat_is "$work/cache.stats" lsa_data_calls 13
stat_is "$work/cache.stats" lsa_repeat_data_calls 0
stat_is "$work/cache.stats" lsa_buffers_outstanding 0
stat_is "$work/cache.stats" wts_enumerate_calls 0
probe start "$scen/basic.yaml" --step 3 -- --polls 3
equal "$(lsa_counts "$work/start.out")" "13 10 10" "basic from step 3"
equal "$(wts_steps "$work/start.out")" "3 4 5" "WTS steps from step 3"
stat_is "$work/start.stats" start_step 3
stat_is "$work/start.stats" step 5
probe past "$scen/basic.yaml" --step 99 -- --polls 1
equal "$(lsa_counts "$work/past.out")" "10" "a start step past the end shows the last step"

# --- odd strings: exact, counted, high-part LUIDs -------------------------
probe odd "$scen/odd-strings.yaml" -- --polls 2
long=$(printf 'abcdefghij%.0s' $(seq 30))
ldom="D$(printf '\xc3\xa9%.0s' $(seq 150))$(printf '\xf0\x9f\x98\x80%.0s' $(seq 60))Z"
contains "$work/odd.out" 'logon luid=00000001:00000002 status=0x00000000 user="O'"'"'Brien \"Danny\"" domain="QUOTE'"'"'S" auth="Kerberos" server=null dns=null upn="o'"'"'brien@example.com" type=10 session=2'
contains "$work/odd.out" 'logon luid=ffffffff:fffffffe status=0x00000000 user="%1 %2 %% 100%" domain="%%1" auth="Negotiate" server="%SystemRoot%"'
contains "$work/odd.out" 'logon luid=00000001:00000003 status=0x00000000 user="tab\there\tand, comma; semi" domain="back\\slash" auth="Negotiate" server=null dns="line1\nline2" upn=null type=2'
contains "$work/odd.out" "logon luid=00000000:00070000 status=0x00000000 user=\"$(printf '\xf0\x9f\x98\x80') smile $(printf '\xf0\x9d\x94\x98\xf0\x9d\x94\xab\xf0\x9d\x94\xa6') $(printf '\xc3\xa9\xe4\xb8\xad\xe6\x96\x87')\""
contains "$work/odd.out" "logon luid=00000000:00070001 status=0x00000000 user=\"$long\" domain=\"$ldom\""
contains "$work/odd.out" 'logon luid=00000000:00070002 status=0x00000000 user="" domain="" auth="NTLM"'
contains "$work/odd.out" 'type=99 session=4294967294 sid=null'
equal "$(grep -c 'luid=00000000:00070003' "$work/odd.out")" 1 "0:70003 only from step 1"
contains "$work/odd.out" "wts id=6 station=\"RDP-Tcp#4\" state=0 user=\"$long\" domain=\"$ldom\" client=\"$long\""
contains "$work/odd.out" "info_user=\"${long:0:20}\"" # WTSINFOW.UserName holds 20
contains "$work/odd.out" 'client="CLIENT\t%1"'
lacks "$work/odd.out" 'tails=nul'
stat_is "$work/odd.stats" bad_frees 0

# --- data_status ----------------------------------------------------------
probe fail "$scen/data-fail.yaml" -- --polls 4
has "$work/fail.out" 'logon luid=00000000:000003e4 status=0xc0000022'
has "$work/fail.out" 'logon luid=00000000:007d0001 status=0xc000005f'
has "$work/fail.out" 'logon luid=00000000:007d0003 status=0xc0000001'
equal "$(grep -c '^logon luid=00000000:007d0004 status=0xc0000022$' "$work/fail.out")" 2 "grace unreadable in steps 0-1"
equal "$(grep -c '^logon luid=00000000:007d0004 status=0x00000000 user="grace"' "$work/fail.out")" 2 "grace readable in steps 2-3"
stat_is "$work/fail.stats" lsa_data_failed 13 # 3e4 x4, 7d0001 x3, 7d0003 x4, 7d0004 x2
stat_is "$work/fail.stats" lsa_buffers_outstanding 0

# --- the leak, level-1 enumeration, and a large step ----------------------
probe leak "$scen/leak-2-to-152.yaml" --step 39 -- --ex --cache
equal "$(lsa_counts "$work/leak.out")" 189 "leak: logon sessions at step 39 (6 + 151 users + DWM/UMFD of 16 sessions)"
has "$work/leak.out" 'wtsex status=ok count=4'
has "$work/leak.out" 'wtsex id=152 exec=152 state=0 station="RDP-Tcp#162" user="user151" domain="CONTOSO" host="RDSH-LEAK01" farm=null'
has "$work/leak.out" 'wtsex id=0 exec=0 state=4 station="Services" user=null domain=null host="RDSH-LEAK01" farm=null'
has "$work/leak.out" 'wtsex free=1'
equal "$(grep -c 'type=10 session=' "$work/leak.out")" 151 "leak: 151 RemoteInteractive sessions"
stat_is "$work/leak.stats" wts_enumerate_ex_calls 1
stat_is "$work/leak.stats" wts_buffers_outstanding 0
stat_is "$work/leak.stats" lsa_buffers_outstanding 0
probe leak0 "$scen/leak-2-to-152.yaml" -- --polls 3 --no-wts
equal "$(lsa_counts "$work/leak0.out")" "18 30 36" "leak: 4 users (3 sessions each) per step; the DWM/UMFD of 3 end at step 2"

# --- counters catch leaks and bad frees -----------------------------------
probe bad "$scen/basic.yaml" -- --polls 2 --leak --bad-free --current
has "$work/bad.out" 'badfree lsa_local=0xc000000d'
has "$work/bad.out" 'badfree lsa_foreign=0xc000000d'
stat_is "$work/bad.stats" lsa_buffers_outstanding 21 # 9 + 12 data buffers never freed
stat_is "$work/bad.stats" lsa_bad_frees 2
stat_is "$work/bad.stats" wts_bad_frees 2
stat_is "$work/bad.stats" bad_frees 4
stat_is "$work/bad.stats" wts_buffers_outstanding 0
contains "$work/bad.out" 'current id=' # WTS_CURRENT_SESSION is answered or refused, never crashes

# --- a broken scenario is loud --------------------------------------------
probe broken "$src/tests/fakehost/bad/luid-bad.yaml" -- --polls 2
equal "$(cat "$work/broken.rc")" 3 "probe exit when LSA fails"
contains "$work/broken.err" "luid-bad.yaml:4:11: 'luid' must be an integer"
equal "$(grep -c "luid-bad.yaml:4:11:" "$work/broken.err")" 1 "the error is printed once per process"
has "$work/broken.out" 'lsa status=0xc0000001 count=0'
has "$work/broken.out" 'wts status=error13' # ERROR_INVALID_DATA
stat_is "$work/broken.stats" status error
contains "$work/broken.stats" "error=Z:$src/tests/fakehost/bad/luid-bad.yaml:4:11: "
stat_is "$work/broken.stats" api_errors 4

# --- as a service: fakehost.yaml beside the exe, no environment -----------
svc=$work/service
mkdir -p "$svc"
cp "$probe" "$build/fakehost/secur32.dll" "$build/fakehost/wtsapi32.dll" "$svc/"
cp "$scen/basic.yaml" "$svc/fakehost.yaml"
(cd "$svc" && WINEPREFIX=$build/fakehost-prefix WINEDEBUG=-all "$WINE64" "$svc/fakehost_probe.exe" --polls 2 \
  >"$svc/out" 2>"$svc/err") || fail "probe beside fakehost.yaml exited $?"
equal "$(lsa_counts "$svc/out")" "9 12" "service mode logon counts"
stat_is "$svc/fakehost.stats" lsa_enumerate_calls 2
stat_is "$svc/fakehost.stats" lsa_buffers_outstanding 0
rm "$svc/fakehost.yaml" "$svc/fakehost.stats"
(cd "$svc" && WINEPREFIX=$build/fakehost-prefix WINEDEBUG=-all "$WINE64" "$svc/fakehost_probe.exe" \
  >"$svc/out2" 2>"$svc/err2") || true
has "$svc/out2" 'wts status=error2' # ERROR_FILE_NOT_FOUND
contains "$svc/err2" 'fakehost.yaml: cannot read the scenario'
stat_is "$svc/fakehost.stats" status error
cp "$scen/basic.yaml" "$svc/fakehost.yaml"
(cd "$svc" && LEAKWATCH_FAKEHOST_STEP=two WINEPREFIX=$build/fakehost-prefix WINEDEBUG=-all \
  "$WINE64" "$svc/fakehost_probe.exe" >"$svc/out3" 2>"$svc/err3") || true
contains "$svc/err3" 'LEAKWATCH_FAKEHOST_STEP: not a step number'

# --- fakehost-exec.sh's own behaviour -------------------------------------
rc=0
"$exec_sh" "$scen/basic.yaml" -- --no-such-option >/dev/null 2>&1 || rc=$?
equal "$rc" 2 "fakehost-exec passes the exe's exit status through"
rc=0
"$exec_sh" "$work/no-such.yaml" >/dev/null 2>"$work/noscen.err" || rc=$?
equal "$rc" 125 "fakehost-exec: missing scenario"
contains "$work/noscen.err" "fakehost-exec: no scenario file"
rc=0
"$exec_sh" --step x "$scen/basic.yaml" >/dev/null 2>&1 || rc=$?
equal "$rc" 125 "fakehost-exec: bad --step"
rc=0
LW_FAKEHOST_EXE=$work/none.exe "$exec_sh" "$scen/basic.yaml" >/dev/null 2>&1 || rc=$?
equal "$rc" 125 "fakehost-exec: no exe"

echo "test_fakehost: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
