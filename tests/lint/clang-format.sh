#!/usr/bin/env bash
# Lint test: every C source and header is formatted with the project's
# .clang-format (fix with: clang-format -i FILE).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool clang-format git
cd "$LW_SOURCE_DIR"
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build/')
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no C files found" >&2; exit 1; }
clang-format --dry-run -Werror "${files[@]}"
echo "ok: ${#files[@]} files formatted"
