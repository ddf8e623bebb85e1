#!/usr/bin/env bash
# The farm's Prometheus alert rules (config/prometheus/leakwatch-rules.yml,
# issue 16): `promtool check rules` accepts them, and `promtool test rules`
# passes their unit tests over synthetic series
# (tests/farm/leakwatch-rules.test.yml). Then a rule file with one rule's
# threshold changed must fail those tests, so a test that cannot fail is
# noticed. promtool comes with Debian's `prometheus` package.
# usage: test_prometheus_rules.sh   (env LW_SOURCE_DIR)
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
require_tool promtool

rules=$src/config/prometheus/leakwatch-rules.yml
tests=$src/tests/farm/leakwatch-rules.test.yml
promtool check rules "$rules"
promtool test rules "$tests"

# The same tests against a copy whose "gap growing" rule waits 31 minutes
# instead of 30 and whose pinned-IDs rule uses > instead of >=: both must be
# caught.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/config/prometheus" "$tmp/tests/farm"
sed -e 's/^        for: 30m$/        for: 31m/' \
  -e 's/leakwatch_pinned_session_ids >= leakwatch_gap_threshold/leakwatch_pinned_session_ids > leakwatch_gap_threshold/' \
  "$rules" >"$tmp/config/prometheus/leakwatch-rules.yml"
cmp -s "$rules" "$tmp/config/prometheus/leakwatch-rules.yml" &&
  { echo "FAIL: the self-test's changes did not apply to $rules" >&2; exit 1; }
cp "$tests" "$tmp/tests/farm/"
if promtool test rules "$tmp/tests/farm/leakwatch-rules.test.yml" >"$tmp/out" 2>&1; then
  echo "FAIL: the rule tests pass with changed rules; they test nothing" >&2
  exit 1
fi
for alert in LeakWatchSessionIdGapGrowing LeakWatchSessionIdsPinned; do
  grep -q "alertname: $alert" "$tmp/out" ||
    { echo "FAIL: the rule tests do not notice a changed $alert" >&2; cat "$tmp/out" >&2; exit 1; }
done
echo "ok: promtool check rules and test rules pass; changed rules fail the tests"
