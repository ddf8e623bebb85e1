#!/usr/bin/env bash
# Runs every test LeakWatch has, from a fresh clone on Debian 12:
#   1. installs what is missing (apt-get, deb-src entry) - tests/setup/install-packages.sh
#   2. native preset: common/ unit tests, static checks (clang-format, cppcheck, layering)
#   3. asan preset: the same unit tests under AddressSanitizer + UBSan
#   4. mingw preset: SQLite/libyaml/cmocka cross-built from Debian sources, the
#      whole product cross-built, unit tests under Wine, Wine tests (service
#      lifecycle, Event Log, fake RDS host) and end-to-end tests (MSI, scenarios)
# Exit status is the truth; the last line sums up all three ctest runs. A test
# ctest reports as skipped (exit 77: a tool missing off CI, or a real-Windows
# test under Wine) is counted as skipped, not passed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash tests/setup/install-packages.sh || { echo "run.sh: installing packages failed" >&2; exit 1; }

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
total_pass=0
total_fail=0
total_skip=0
failed_presets=()

run_preset() {
  local preset=$1
  echo
  echo "=== [$preset] configure and build"
  if ! cmake --preset "$preset" >"$root/build/$preset-configure.log" 2>&1; then
    cat "$root/build/$preset-configure.log" >&2
    echo "run.sh: [$preset] configure failed" >&2
    failed_presets+=("$preset (configure)")
    total_fail=$((total_fail + 1))
    return
  fi
  if ! cmake --build --preset "$preset" -j "$jobs"; then
    echo "run.sh: [$preset] build failed" >&2
    failed_presets+=("$preset (build)")
    total_fail=$((total_fail + 1))
    return
  fi
  echo "=== [$preset] tests"
  local log="$root/build/$preset-ctest.log"
  ctest --preset "$preset" -j "$jobs" --timeout 900 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line pass fail skip
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    fail=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
    # ctest's "N% tests passed" counts skipped tests as passed; its list "The
    # following tests did not run:" names them, one "(Skipped)" line each.
    skip=$(grep -cE '^[[:space:]]+[0-9]+ - .+ \(Skipped\)$' "$log" || true)
    pass=$(($(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/') - fail - skip))
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
  fi
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    failed_presets+=("$preset")
    [ -n "$line" ] || total_fail=$((total_fail + 1))
  fi
}

mkdir -p build
run_preset native
run_preset asan
run_preset mingw

echo
if [ ${#failed_presets[@]} -ne 0 ]; then
  echo "run.sh: FAILED in: ${failed_presets[*]}"
fi
echo "all presets: $total_pass passed, $total_fail failed, $total_skip skipped"
[ ${#failed_presets[@]} -eq 0 ]
