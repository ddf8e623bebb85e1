#!/usr/bin/env bash
# Lint test: the product's files are layered (issue 11): no include or call
# circle between files; common/ is portable and never includes service/;
# includes point down (service/ -> service/cli/ -> service/os/ -> common/);
# only service/os/ includes the NT-level headers; the event table
# (common/events.h) and messages.mc agree, and README names each alert's
# insertion strings as events.h does; no file over 900 lines and
# no function over 100, but for the entries of layering.allow, each with its
# reason. The checks are layering.py's; this script runs them.
# First it checks itself on two made-up trees, one good and one with every
# fault, so a lint that finds nothing has been seen to find something.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
. "$LW_SOURCE_DIR/tests/lib/require.sh"
require_tool python3
lint="$LW_SOURCE_DIR/tests/lint/layering.py"
cd "$LW_SOURCE_DIR"

# Self-test: a tree with one of each fault must show each; a clean one nothing.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bad/common" "$tmp/bad/service/os" "$tmp/bad/service/cli" "$tmp/good/common"
printf '#include "b.h"\n' >"$tmp/bad/common/a.h"
printf '#include "a.h"\n' >"$tmp/bad/common/b.h"
printf 'int b_fn(void);\nint a_fn(void) {\n  return b_fn();\n}\n' >"$tmp/bad/common/a.c"
printf 'int a_fn(void);\nint b_fn(void) {\n  return a_fn();\n}\n' >"$tmp/bad/common/b.c"
printf '#include "host.h"\n#include <windows.h>\n' >"$tmp/bad/common/c.c"
printf '/* host */\n' >"$tmp/bad/service/host.h"
printf '#include <winternl.h>\n#include "host.h"\n' >"$tmp/bad/service/cli/cmd.c"
printf '#define LW_EVENTS(X) X(FOO, 1000, WARNING, SERVICE, 2, 0)\n#define LW_INSERTS_2001(F) F(2001, LUID) F(2001, USER)\n' >"$tmp/bad/common/events.h"
printf '| ID | names |\n| 2001 | LUID, WHO |\n' >"$tmp/bad/README.md"
printf '%s\n' 'MessageId=1' 'SymbolicName=LW_CATEGORY_SERVICE' 'Language=English' 'Service' '.' \
  'MessageId=1001' 'Severity=Informational' 'SymbolicName=LW_MSG_FOO' 'Language=English' 'Foo %1.' '.' \
  'MessageId=1002' 'Severity=Warning' 'SymbolicName=LW_MSG_BAR' 'Language=English' 'Bar.' '.' \
  ';/* 2001 inserts: %1 LUID,' '; * %2 WHO */' \
  >"$tmp/bad/service/os/messages.mc"
{
  printf 'int long_fn(void) {\n  int x = 0;\n'
  for _ in $(seq 1 99); do printf '  x++;\n'; done
  printf '  return x;\n}\n'
  for _ in $(seq 1 800); do printf '/* filler */\n'; done
} >"$tmp/bad/common/long.c"
printf 'static int one(void) {\n  return 1;\n}\nint two(void) {\n  return one() + 1;\n}\n' \
  >"$tmp/good/common/ok.c"
out=$(python3 "$lint" "$tmp/bad" || true)
for want in "include circle: common/a.h" "call circle (files calling into each other): common/a.c" \
  "common/c.c:1: common/ includes service/host.h" "common/c.c:2: common/ is portable" \
  "service/cli/cmd.c:1: <winternl.h> is for OS adapters" "service/cli/cmd.c:2: service/cli/ includes" \
  "long_fn() is 103 lines" "common/long.c: 903 lines" "FOO is 1000, messages.mc says 1001" \
  "FOO is WARNING, messages.mc says Informational" "FOO takes 2 insertion strings" \
  "LW_MSG_BAR has no row" "README.md: 2001's insertion strings by name are LUID, WHO; common/events.h says LUID, USER" \
  "service/os/messages.mc: 2001's inserts comment names LUID, WHO; common/events.h says LUID, USER"; do
  if ! grep -qF "$want" <<<"$out"; then
    echo "FAIL: the lint's self-test did not find: $want" >&2
    echo "$out" >&2
    exit 1
  fi
done
if ! python3 "$lint" "$tmp/good" >/dev/null; then
  echo "FAIL: the lint's self-test found a fault in a clean tree" >&2
  exit 1
fi
# An allow-list entry without a reason, or no longer needed, is a fault too.
printf 'file common/ok.c\nfunction common/ok.c:two small enough since the last split\n' >"$tmp/allow"
out=$(python3 "$lint" "$tmp/good" --allow "$tmp/allow" || true)
if ! grep -qF "with a reason" <<<"$out" || ! grep -qF "no longer needed" <<<"$out"; then
  echo "FAIL: the lint's self-test accepted a bad allow-list" >&2
  echo "$out" >&2
  exit 1
fi

python3 "$lint" . --figures
if ! out=$(python3 "$lint" . --allow tests/lint/layering.allow); then
  echo "$out"
  echo "FAIL: the layering rules are broken (see above; tests/lint/layering.py says why each exists)" >&2
  exit 1
fi
echo "ok: no circles, includes point down, NT headers only in service/os/, events.h agrees with messages.mc and README, sizes within limits"
