#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET|all MINUTES [libFuzzer options...]
#
# Fuzzes one target (config, scenario, parsers, args, writers, detect_state, blob_delta) or
# each in turn for MINUTES minutes (a decimal is fine: 0.5), with libFuzzer
# under ASan + UBSan: builds the `fuzz` preset (clang) into build/fuzz, starts
# from the committed seeds in tests/fuzz/corpus/TARGET and keeps what it finds
# in build/fuzz/corpus/TARGET (not committed: copy an input worth keeping into
# the seed directory, small and named for what it shows). A crash, leak,
# timeout or broken oracle is written to build/fuzz/findings/TARGET/ and makes
# the exit status 1; replay one with build/fuzz/tests/fuzz/fuzz_TARGET FILE.
# Runs at nice 19, one process: fuzz alongside other work.
set -eEuo pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
cd "$(dirname "$0")/../.."
root=$(pwd)
all_targets=(config scenario parsers args writers detect_state blob_delta)

if [ $# -lt 2 ]; then
  echo "usage: tests/fuzz/run.sh TARGET|all MINUTES [libFuzzer options...]" >&2
  echo "targets: ${all_targets[*]}" >&2
  exit 2
fi
target=$1
minutes=$2
shift 2
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); if (m !~ /^[0-9]+(\.[0-9]+)?$/ || s < 1) exit 1; print s }') || {
  echo "run.sh: MINUTES must be a positive number, not '$minutes'" >&2
  exit 2
}
if [ "$target" = all ]; then
  targets=("${all_targets[@]}")
else
  case " ${all_targets[*]} " in
  *" $target "*) targets=("$target") ;;
  *)
    echo "run.sh: unknown target '$target' (targets: ${all_targets[*]})" >&2
    exit 2
    ;;
  esac
fi

command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang)" >&2; exit 1; }
nice -n 19 cmake --preset fuzz >"$root/build/fuzz-configure.log" 2>&1 || {
  cat "$root/build/fuzz-configure.log" >&2
  exit 1
}
nice -n 19 cmake --build build/fuzz -j 2 --target "${targets[@]/#/fuzz_}"

status=0
for t in "${targets[@]}"; do
  work=build/fuzz/corpus/$t
  findings=build/fuzz/findings/$t
  mkdir -p "$work" "$findings"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "=== fuzz_$t for ${seconds}s (seeds: tests/fuzz/corpus/$t, corpus: $work)"
  before=$(find "$findings" -type f | wc -l)
  # -timeout: an input taking 10 s is a finding (the scenario parser's merge keys
  # took 16 s on 559 bytes). -rss_limit_mb: a blow-up is one too.
  nice -n 19 "build/fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" "$@" \
    "$work" "tests/fuzz/corpus/$t" || status=1
  after=$(find "$findings" -type f | wc -l)
  [ "$after" -eq "$before" ] || status=1
done
[ "$status" -eq 0 ] && echo "run.sh: no finding" || echo "run.sh: FINDINGS: see build/fuzz/findings/" >&2
exit "$status"
