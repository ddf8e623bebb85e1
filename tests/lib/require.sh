# Sourced by test scripts. require_tool NAME... : a missing tool skips the test
# (exit 77, which ctest reports as skipped) on a developer's machine, but fails it
# when CI=true, so CI never passes by skipping.
require_tool() {
  local t
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "$t" ]; then
      if [ "${CI:-}" = "true" ]; then
        echo "FAIL: required tool '$t' is missing (CI=true: a missing tool is a failure)" >&2
        exit 1
      fi
      echo "SKIP: required tool '$t' is missing (run tests/setup/install-packages.sh)" >&2
      exit 77
    fi
  done
}

# lw_try LIMIT CMD...: runs a command that must succeed (a Wine program
# start, a registry write, an `sc` call) with a time limit of LIMIT seconds.
# Wine fails such starts now and then under load (no answer in time, an
# empty answer, "could not start"): a failure is retried once, and the retry
# is said on stderr; a second failure prints the command, its status and the
# last lines of its output, and returns that status. On success its stdout
# is passed on.
lw_try() {
  local limit=$1 rc attempt out
  shift
  out=$(mktemp)
  for attempt in 1 2; do
    rc=0
    timeout "$limit" "$@" </dev/null >"$out" 2>"$out.err" || rc=$?
    if [ "$rc" = 0 ]; then
      cat "$out"
      rm -f "$out" "$out.err"
      return 0
    fi
    if [ "$attempt" = 1 ]; then
      echo "retry: \`$*\` exited $rc$([ "$rc" = 124 ] && echo " (no answer in ${limit} s)"); once more" >&2
    fi
  done
  echo "FAIL: \`$*\` exited $rc twice; the last lines of its output:" >&2
  tail -n 20 "$out" "$out.err" >&2
  rm -f "$out" "$out.err"
  return "$rc"
}

# detached CMD...: runs CMD with /dev/null as stdio and no other inherited file
# descriptors. For anything that may outlive the caller (wineserver, the
# services it starts): ctest waits until every holder of its pipes has exited.
detached() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec "$@" </dev/null >/dev/null 2>&1
  )
}

# detached_log FILE CMD...: detached, but CMD's stderr is appended to FILE. For
# wineserver: it reports a thread it killed ("Protocol error:TID: ...") only
# there, and the thread's process sees no error (issue 12).
detached_log() {
  local log=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec "$@" </dev/null >/dev/null 2>>"$log"
  )
}
