# Sourced by Wine test scripts that need a machine of their own and the SCM.
# Needs require.sh, and LW_WINEPREFIX (the build's prepared prefix).
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver64}
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver || true)
require_tool "$WINE64" "$WINESERVER"
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEDEBUG=-all

lw_fail() {
  echo "FAIL: $*" >&2
  [ -n "${LW_WINE_LOG:-}" ] && [ -f "$LW_WINE_LOG" ] && tail -n 40 "$LW_WINE_LOG" >&2
  [ -n "${LW_WINE_LOG:-}" ] && [ -s "$LW_WINE_LOG.wineserver" ] &&
    { echo "wineserver said:" && tail -n 20 "$LW_WINE_LOG.wineserver"; } >&2
  exit 1
}

# lw_wine_clean_machine DIR: a fresh copy of the prepared prefix in DIR/prefix.
lw_wine_clean_machine() {
  mkdir -p "$1"
  bash "$LW_SOURCE_DIR/tests/wine/prefix.sh" clone "$LW_WINEPREFIX" "$1/prefix"
  export WINEPREFIX="$1/prefix"
}

# lw_wine_start_logging FILE [WINEDEBUG]: the first process of this prefix's
# server starts services.exe, whose children (our service) inherit its stdio
# and WINEDEBUG; that is the only way to see what a service wrote and what
# ReportEventW got. WINEDEBUG defaults to the Event Log's channels. The
# server's own stderr goes to FILE.wineserver: a thread it kills leaves a line
# there and nowhere else.
# Wine now and then fails to start that first process ("failed to map the
# shared user data", an address clash at exec, then "failed to start
# wineboot"): services.exe is then started later by another command, without
# this log, and the run records no event at all. Such a start is said and
# made once more on a new server; a second failure returns 1 after printing
# what Wine said.
lw_wine_start_logging() {
  LW_WINE_LOG=$1
  local channels=${2:-fixme-all,+eventlog,fixme+advapi} try rc
  for try in 1 2; do
    "$WINESERVER" -k 2>/dev/null || true
    # A persistent server: an idle one exits after 3 s, and the next Wine command
    # would start services.exe again with its own stdio and WINEDEBUG.
    detached_log "$1.wineserver" "$WINESERVER" -p
    rc=0
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
      done
      WINEDEBUG=$channels exec "$WINE64" cmd /c exit 0 </dev/null >"$1" 2>&1
    ) || rc=$?
    if [ "$rc" = 0 ] && ! grep -qE 'failed to map the shared user data|failed to start wineboot' "$1"; then
      return 0
    fi
    if [ "$try" = 1 ]; then
      echo "retry: the Wine start that logs services.exe failed (exit $rc): $(head -c 400 "$1" | tr '\n' ' '); once more on a new server" >&2
      cp "$1" "$1.failed-start"
    fi
  done
  echo "FAIL: the Wine start that logs services.exe failed twice (exit $rc); Wine said:" >&2
  head -n 20 "$1" >&2
  return 1
}

# lw_wine_end: stop every service, then the server (a killed server would not
# send STOP to services), then whatever of this prefix still runs: a stuck
# service or a half-started program must never outlive its test and load
# every later one. Time-limited throughout; safe to call twice.
lw_wine_end() {
  [ -n "${WINEPREFIX:-}" ] || return 0
  timeout 30 "$WINE64" net stop LeakWatch </dev/null >/dev/null 2>&1 || true
  timeout 30 "$WINESERVER" -k 2>/dev/null || true
  lw_wine_kill_prefix "$WINEPREFIX"
}

# lw_wine_pids PREFIX: the Linux PIDs of every Wine process (wineserver,
# preloader, wine64) of that prefix; shells and tools that merely carry the
# variable are not counted.
lw_wine_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case ${exe##*/} in
    wine*) ;;
    *) continue ;;
    esac
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "WINEPREFIX=$1" && echo "${p#/proc/}"
  done
  return 0
}

# lw_wine_kill_prefix PREFIX: ends every process of the prefix (SIGKILL after
# the server's own -k had its chance), and says so when it had to.
lw_wine_kill_prefix() {
  local pids left
  pids=$(lw_wine_pids "$1")
  [ -n "$pids" ] || return 0
  echo "lw_wine_end: killing what is left of $1: $(echo $pids | tr '\n' ' ')" >&2
  kill -9 $pids 2>/dev/null || true
  for _ in $(seq 50); do
    left=$(lw_wine_pids "$1")
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "lw_wine_end: still running in $1: $left" >&2
}

# A hung Wine must fail the test, not stall it: every sc call has a time limit.
lw_sc() { timeout 60 "$WINE64" sc "$@" </dev/null 2>/dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }
# Wine's sc now and then answers a query with nothing under load: ask again.
lw_query() {
  local out
  for _ in 1 2 3 4 5; do
    out=$(lw_sc query "$1" || true)
    [ -n "$out" ] && break
    sleep 0.2
  done
  printf '%s\n' "$out"
}

# lw_query_has NAME REGEX: 0 when `sc query NAME` matches REGEX (extended).
# Wine's sc has answered a query with an incomplete text under load while
# the next answer was right: it asks up to three times, and when no answer
# matches prints each of them (so a real wrong state is shown, never hidden).
lw_query_has() {
  local out answers="" try
  for try in 1 2 3; do
    out=$(lw_query "$1")
    grep -qE "$2" <<<"$out" && { [ "$try" = 1 ] || echo "lw_query_has: matched at try $try" >&2; return 0; }
    answers+="--- sc query $1, try $try:"$'\n'"$out"$'\n'
    sleep 0.3
  done
  printf '%s' "$answers" >&2
  return 1
}

# lw_wait_state NAME STATE SECONDS: polls `sc query` until STATE. For
# LeakWatch STOPPED, its process is first watched from /proc until it is
# gone: a stopping service may still scan handles, and each `sc` started
# meanwhile is a chance of the wineserver's crash (tests/lib/wine-server.sh).
lw_wait_state() {
  local deadline=$(($(date +%s) + $3))
  while [ "$(date +%s)" -le "$deadline" ]; do
    if [ "$1 $2" = "LeakWatch STOPPED" ] && lw_service_alive; then
      sleep 0.1
      continue
    fi
    lw_query "$1" | grep -q "STATE *: *[0-9]* *$2" && return 0
    sleep 0.1
  done
  return 1
}

# lw_fakehost_service SCENARIO: in the current clean machine ($WINEPREFIX),
# the built leakwatch.exe registered as the service LeakWatch (demand start)
# in C:\Program Files\LeakWatch beside the fake secur32/wtsapi32 and the
# scenario (fakehost.yaml), with their per-app override. Sets `app` and `data`
# (Linux paths of the exe's folder and %ProgramData%\LeakWatch, created) and
# `programdata` (its Windows form). Needs LW_BUILD_DIR. Returns 1 after saying
# what failed.
lw_fakehost_service() {
  local dll
  programdata=$(lw_try 60 "$WINE64" cmd /c 'echo %ProgramData%' | tr -d '\r\n') || return 1
  [[ $programdata =~ ^[Cc]:\\ ]] ||
    { echo "FAIL: cannot read %ProgramData% of $WINEPREFIX (got '$programdata')" >&2; return 1; }
  app="$WINEPREFIX/drive_c/Program Files/LeakWatch"
  data="$WINEPREFIX/drive_c/${programdata:3}"
  data=${data//\\//}/LeakWatch
  mkdir -p "$app" "$data"
  cp "$LW_BUILD_DIR/service/leakwatch.exe" "$LW_BUILD_DIR/fakehost/secur32.dll" \
    "$LW_BUILD_DIR/fakehost/wtsapi32.dll" "$app/" ||
    { echo "FAIL: could not copy the exe and the fake DLLs (is the mingw build complete?)" >&2; return 1; }
  cp "$1" "$app/fakehost.yaml" || return 1
  for dll in secur32 wtsapi32; do
    lw_try 60 "$WINE64" reg add 'HKCU\Software\Wine\AppDefaults\leakwatch.exe\DllOverrides' /v "$dll" \
      /d native,builtin /f >/dev/null || { echo "FAIL: could not set the DllOverrides" >&2; return 1; }
  done
  lw_sc create LeakWatch binPath= 'C:\Program Files\LeakWatch\leakwatch.exe service' start= demand >/dev/null ||
    { echo "FAIL: sc create failed" >&2; return 1; }
}

# lw_service_pids: the Linux PIDs of leakwatch.exe processes of $WINEPREFIX.
lw_service_pids() {
  local p
  for p in $(pgrep -f 'leakwatch\.exe' 2>/dev/null || true); do
    tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX" && echo "$p"
  done
  return 0
}

# lw_service_alive: a leakwatch.exe process of $WINEPREFIX still runs.
lw_service_alive() { [ -n "$(lw_service_pids)" ]; }
