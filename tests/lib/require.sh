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
