#!/usr/bin/env bash
# Lint test: no shell script of the project can end without saying why.
# Every tracked shell script (*.sh, .ci/run) must parse (bash -n), and one
# that runs under errexit (`set -e...`, `set -o errexit`) must also set -E
# (functions and command substitutions inherit the trap) and install an ERR
# trap that prints the failing command ($BASH_COMMAND) - so a failing
# `x=$(cmd | tr ...)` under `set -euo pipefail` reports itself instead of
# ending a test silently (issue 12). Sourced libraries (tests/lib) set no
# options and are only parsed.
# First it checks itself on two made-up scripts, one good and one bad, so a
# lint that finds nothing has been seen to find something.
set -uo pipefail
root=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1

# check FILE: prints "FILE:LINE: problem" lines; returns 1 if any.
check() {
  local f=$1 bad=0 line
  if ! bash -n "$f" 2>/dev/null; then
    echo "$f: does not parse: $(bash -n "$f" 2>&1 | head -n 1)"
    return 1
  fi
  line=$(grep -nE '^[[:space:]]*set[[:space:]]+(-[a-zA-Z]*e[a-zA-Z]*|-o[[:space:]]+errexit)' "$f" | head -n 1 | cut -d: -f1)
  [ -n "$line" ] || return 0
  if ! grep -qE '^[[:space:]]*set[[:space:]]+-[a-zA-Z]*E' "$f"; then
    echo "$f:$line: runs under set -e without set -E (functions and \$(...) would not report)"
    bad=1
  fi
  if ! grep -qE "^[[:space:]]*trap[[:space:]].*BASH_COMMAND.*[[:space:]]ERR[[:space:]]*$" "$f"; then
    echo "$f:$line: runs under set -e without an ERR trap printing \$BASH_COMMAND (a failure would end it silently)"
    bad=1
  fi
  if grep -nE '^[[:space:]]*set[[:space:]]+\+e' "$f" | head -n 1 | grep -q .; then
    echo "$f:$(grep -nE '^[[:space:]]*set[[:space:]]+\+e' "$f" | head -n 1 | cut -d: -f1): set +e (the ERR trap still fires: write 'cmd || rc=\$?')"
    bad=1
  fi
  return $bad
}

# Self-test.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#!/usr/bin/env bash\nset -euo pipefail\nx=$(false | tr a b)\n' >"$tmp/bad.sh"
printf '#!/usr/bin/env bash\nset -eEuo pipefail\ntrap '"'"'echo "FAIL: $LINENO: $BASH_COMMAND" >&2'"'"' ERR\nx=$(true)\n' >"$tmp/good.sh"
printf '#!/usr/bin/env bash\nif then fi\n' >"$tmp/broken.sh"
if check "$tmp/bad.sh" >/dev/null || ! check "$tmp/good.sh" >/dev/null || check "$tmp/broken.sh" >/dev/null; then
  echo "FAIL: the lint's self-test did not tell good from bad scripts" >&2
  exit 1
fi

mapfile -t files < <(git ls-files -- '*.sh' .ci/run)
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no shell scripts found (not a git checkout?)" >&2; exit 1; }
problems=0
for f in "${files[@]}"; do
  check "$f" || problems=$((problems + 1))
done
if [ "$problems" -ne 0 ]; then
  echo "FAIL: $problems of ${#files[@]} shell scripts can end without a message (see above)" >&2
  exit 1
fi
echo "ok: ${#files[@]} shell scripts parse and report whatever ends them"
