#!/usr/bin/env bash
# Lint test: cppcheck finds nothing in our own C code (common/, service/, tests/).
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool cppcheck git
cd "$LW_SOURCE_DIR"
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' | grep -v '^build/')
cppcheck --enable=warning,style,performance,portability --error-exitcode=1 -q \
  --inline-suppr --suppress=missingIncludeSystem --std=c11 --library=windows -D_WIN64 -D_WIN32 \
  -I common -I common/store -I common/detect -I common/config -I tests/fakehost "${files[@]}"
echo "ok: cppcheck clean on ${#files[@]} files"
