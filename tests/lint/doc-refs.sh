#!/usr/bin/env bash
# Lint test: every file the repository refers to is in the repository, and
# nothing tracked refers to places outside it (issue 15, item 8). The checks
# are doc_refs.py's; this script first runs them on a made-up tree with one of
# each fault and on a clean one, so a lint that finds nothing has been seen to
# find something.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool python3
lint="$LW_SOURCE_DIR/tests/lint/doc_refs.py"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bad/tests/scenarios" "$tmp/bad/common/config" "$tmp/good/common/config" "$tmp/good/tests/tools"
# The outside folder's name is put together here, so this file names none.
team=shared
printf 'Play `tests/scenarios/gone.yaml`; see ../%s/%s.\n' "$team" WINE-NOTES.md >"$tmp/bad/README.md"
printf 'The format: SCENARIO-FORMAT.md in /work/shared.\n' >"$tmp/bad/tests/scenarios/README.md"
printf 'add_library(c config/missing.c)\n' >"$tmp/bad/common/CMakeLists.txt"
printf 'int x;\n' >"$tmp/good/common/config/config.c"
printf 'int main(void) { return 0; }\n' >"$tmp/good/tests/tools/grab.c"
printf 'add_library(c config/config.c)\n' >"$tmp/good/common/CMakeLists.txt"
printf 'Run `tests/tools/grab.exe`; play tests/scenarios/NAME.yaml; `common/config/`.\n' >"$tmp/good/README.md"
out=$(python3 "$lint" "$tmp/bad" || true)
for want in "README.md:1: 'tests/scenarios/gone.yaml' is not in the repository" \
  "README.md:1: refers to '../$team', outside the repository" \
  "tests/scenarios/README.md:1: refers to 'SCENARIO-FORMAT.md', outside the repository" \
  "common/CMakeLists.txt:1: 'config/missing.c' is not in the repository"; do
  if ! grep -qF "$want" <<<"$out"; then
    echo "FAIL: the lint's self-test did not find: $want" >&2
    echo "$out" >&2
    exit 1
  fi
done
if ! out=$(python3 "$lint" "$tmp/good"); then
  echo "FAIL: the lint's self-test found a fault in a clean tree:" >&2
  echo "$out" >&2
  exit 1
fi

if ! out=$(python3 "$lint" "$LW_SOURCE_DIR"); then
  echo "$out"
  echo "FAIL: the files above refer to what is not in the repository" >&2
  exit 1
fi
echo "ok: every repository path named by a tracked file exists; nothing refers outside the repository"
