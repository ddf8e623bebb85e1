# Sourced by the end-to-end scripts that run leakwatch.exe on the simulated
# host: Wine's path of a file, one way to fail, and one way to run the exe
# and check its exit code. Needs require.sh; lw needs $exec_sh (fakehost-exec.sh),
# $scenario and $work.

# winpath PATH: the Windows path Wine gives a Linux path (Z: is /).
winpath() { printf 'Z:%s' "$(realpath -m "$1")"; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# lw OUT WANT ARGS...: leakwatch.exe ARGS once on the simulated host of
# $scenario; stdout to $work/OUT, stderr to $work/OUT.err, and both without
# CRs in OUT.lf and OUT.err.lf. Fails, with the start of stderr, unless it
# exits WANT.
lw() {
  local out=$1 want=$2 rc=0
  shift 2
  "$exec_sh" "$scenario" -- "$@" >"$work/$out" 2>"$work/$out.err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "leakwatch $* exited $rc, want $want ($(head -c 400 "$work/$out.err"))"
  tr -d '\r' <"$work/$out" >"$work/$out.lf"
  tr -d '\r' <"$work/$out.err" >"$work/$out.err.lf"
}

# lw_play_history SCENARIO POLLS: `leakwatch run --polls POLLS` on the simulated
# host of SCENARIO (fakehost-exec.sh), the holder scan off, writing the history
# $work/data/history.db ($db); run.out and run.err stay in $work. Fails with
# the start of stderr unless it exits 0.
lw_play_history() {
  local rc=0
  mkdir -p "$work/data"
  db=$work/data/history.db
  printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' "database: '$(winpath "$db")'" \
    'holders:' '  enabled: false' >"$work/leakwatch.yaml"
  "$src/tests/e2e/fakehost-exec.sh" "$1" -- run --polls "$2" --config "$(winpath "$work/leakwatch.yaml")" \
    >"$work/run.out" 2>"$work/run.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "run --polls $2 exit $rc ($(head -c 300 "$work/run.err"))"
}
