#!/usr/bin/env bash
# SQLite's shell for Windows (issue 15): the sqlite3.exe the MSI carries runs
# README's example queries under Wine, on two histories the real service
# wrote: the demo's (leak-2-to-152 with the demo's settings: 150 users leaked)
# and leak-one's up to step 14 (alice's logon session and UMFD-2 leaked, still
# pinned). Every query of the ```sql block of README's "The history database"
# section, taken from README.md itself, goes through `sqlite3.exe -readonly
# -bail history.db` (the MSI's copy, run in the build's Wine prefix). Each must
# exit 0 with no "Error:" on stderr and print what Debian's sqlite3 prints for
# the same query on the same file; on the demo's history the open leaks are
# the 150 users', on leak-one's the leak queries name alice's leak. Also:
# `sqlite3.exe -version` is the version and source of the SQLite leakwatch.exe
# links, and -readonly refuses a write.
# Needs: LW_SOURCE_DIR, LW_BUILD_DIR (a mingw build with the MSI), LW_WINEPREFIX, Wine.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR
src=${LW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/tests/lib/require.sh"
require_tool python3 sqlite3 msiextract
build=$(realpath "${LW_BUILD_DIR:?LW_BUILD_DIR must name the mingw build}")
export LW_BUILD_DIR=$build
prefix=${LW_WINEPREFIX:-$build/wineprefix}
work=$build/tests/e2e/sqlite_shell
rm -rf "$work"
mkdir -p "$work/msi" "$work/q"
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# The shell as the MSI installs it.
msi=$(ls "$build"/LeakWatch-*-x64.msi 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$msi" ] || { echo "FAIL: no MSI in $build (build the msi target)" >&2; exit 1; }
msiextract -C "$work/msi" "$msi" >/dev/null
shell=$(find "$work/msi" -name sqlite3.exe | head -n 1)
[ -n "$shell" ] || { echo "FAIL: $msi holds no sqlite3.exe" >&2; exit 1; }
cp "$shell" "$work/sqlite3.exe"
# winsh OUT ERR ARGS...: the MSI's sqlite3.exe ARGS in the build's prefix;
# stdout (CRs dropped) to OUT, stderr to ERR; its exit status.
winsh() {
  local out=$1 err=$2 rc=0
  shift 2
  bash "$src/tests/wine/wine-exec.sh" "$prefix" "$work/sqlite3.exe" "$@" </dev/null \
    >"$out.raw" 2>"$err" || rc=$?
  tr -d '\r' <"$out.raw" >"$out"
  rm -f "$out.raw"
  return "$rc"
}

# -version: the version and source ID of the SQLite leakwatch.exe links (its
# header in the deps, and the source ID compiled into leakwatch.exe).
h=$build/deps/include/sqlite3.h
source_id=$(sed -n 's/^#define SQLITE_SOURCE_ID  *"\(.*\)"/\1/p' "$h")
want="$(sed -n 's/^#define SQLITE_VERSION  *"\(.*\)"/\1/p' "$h") $source_id"
grep -qaF "$source_id" "$build/service/leakwatch.exe" ||
  fail "leakwatch.exe does not hold the SQLite source ID of $h ($source_id)"
rc=0
winsh "$work/version.out" "$work/version.err" -version || rc=$?
got=$(head -n 1 "$work/version.out")
[ "$rc" = 0 ] && [ "$got" = "$want" ] ||
  fail "sqlite3.exe -version (exit $rc): '$got', expected '$want' ($(cat "$work/version.err"))"
echo "ok: sqlite3.exe -version: $got"

# A short play of leak-one: its 14 first steps (alice leaks at step 3, her
# 2001 is raised by step 10, her logon session is released only at 16).
sed 's/^steps: *24$/steps: 14/' "$src/tests/scenarios/leak-one.yaml" >"$work/leak-one-14.yaml"
grep -qx 'steps: 14' "$work/leak-one-14.yaml" || { echo "FAIL: leak-one.yaml has no 'steps: 24' line" >&2; exit 1; }
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' >"$work/config.yaml"
bash "$src/tests/e2e/run-scenario.sh" "$work/leak-one-14.yaml" "$work/config.yaml" "$work/run" ||
  { echo "FAIL: run-scenario.sh failed (its output is above; results in $work/run)" >&2; exit 1; }
db=$work/run/history.db

# README's example queries, one file each, named after their first comment.
python3 - "$src/README.md" "$work/q" <<'EOF'
import pathlib, re, sys
text = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
section = re.search(r"^## The history database\n(.*?)(?=^## )", text, re.S | re.M)
blocks = re.findall(r"^```sql\n(.*?)^```", section.group(1) if section else "", re.S | re.M)
if len(blocks) != 1:
    sys.exit(f"README's history database section has {len(blocks)} ```sql blocks, expected 1")
queries, lines = [], []
for line in blocks[0].splitlines():
    if not lines and not line.strip():
        continue
    lines.append(line)
    if not line.lstrip().startswith("--") and line.rstrip().endswith(";"):
        queries.append(lines)
        lines = []
if lines or not queries:
    sys.exit(f"README's example queries do not end in ';' ({len(queries)} read, rest: {lines!r})")
for i, q in enumerate(queries, 1):
    title = q[0].lstrip("- ").strip() if q[0].lstrip().startswith("--") else q[0].strip()
    out = pathlib.Path(sys.argv[2], f"{i:02d}.sql")
    out.write_text("\n".join(q) + "\n", encoding="utf-8")
    pathlib.Path(sys.argv[2], f"{i:02d}.title").write_text(title + "\n", encoding="utf-8")
print(f"{len(queries)} example queries in README")
EOF

# run_queries DB: each query through the MSI's shell on DB, read-only,
# stopping at the first error; its rows must be Debian's sqlite3's. The
# answers stay in q/NN.out (DB's, the last one given).
run_queries() {
  local qdb=$1 sql n title rc
  for sql in "$work"/q/*.sql; do
    n=${sql%.sql}
    title=$(cat "$n.title")
    rc=0
    winsh "$n.out" "$n.err" -readonly -bail "Z:$qdb" ".read Z:$sql" || rc=$?
    if [ "$rc" != 0 ] || grep -qi 'error' "$n.err"; then
      fail "query '$title' on $qdb: sqlite3.exe exited $rc: $(head -c 400 "$n.err")"
      continue
    fi
    sqlite3 -readonly -bail "$qdb" ".read $sql" >"$n.linux" 2>&1 ||
      fail "query '$title' on $qdb: Debian's sqlite3 failed too: $(head -c 400 "$n.linux")"
    cmp -s "$n.out" "$n.linux" ||
      fail "query '$title' on $qdb: sqlite3.exe printed other rows than Debian's sqlite3: $(diff "$n.linux" "$n.out" | head -n 10)"
    echo "ok: $title ($(wc -l <"$n.out") rows)"
  done
}

# The demo's history first: leak-2-to-152 played with the demo's settings
# (150 users leaked, 30 DWM/UMFD logons, IDs 2-151 pinned). Every query runs
# there too, and the leak queries find the 150 users' leaks.
printf '%s\n' 'poll_interval: 300ms' 'grace_period: 2s' 'gap_threshold: 10' >"$work/demo-config.yaml"
bash "$src/tests/e2e/run-scenario.sh" "$src/tests/scenarios/leak-2-to-152.yaml" "$work/demo-config.yaml" \
  "$work/demo" || { echo "FAIL: run-scenario.sh failed on leak-2-to-152 (output above; results in $work/demo)" >&2; exit 1; }
run_queries "$work/demo/history.db"
for t in "$work"/q/*.title; do
  grep -q '^Open leaks per user logon session' "$t" || continue
  n=$(grep -c '^[0-9a-f]\{8\}:[0-9a-f]\{8\}|CONTOSO\\user[0-9]\{3\}|' "${t%.title}.out" || true)
  [ "$n" = 150 ] || fail "open leaks per user logon session on the demo's history: $n rows of CONTOSO\\userNNN, want 150"
done
echo "ok: README's queries on the demo's history (leak-2-to-152)"

# Then leak-one's short play, whose rows the checks below know by name.
run_queries "$db"

# rows TITLE_START: the MSI shell's answer to the query whose comment begins so.
rows() {
  local t
  for t in "$work"/q/*.title; do
    if grep -q "^$1" "$t"; then
      cat "${t%.title}.out"
      return 0
    fi
  done
  fail "README has no example query beginning '-- $1'"
}
# What leak-one left at step 14: alice (0:a1000, session 2) and her UMFD-2
# (0:a0e00) leaked and pinned; a 2001 for her.
r=$(rows "When did alice's sessions end")
grep -q '^00000000:000a1000|RemoteInteractive|[0-9T:Z-]*|$' <<<"$r" ||
  fail "alice's sessions: expected 00000000:000a1000, RemoteInteractive, still alive; got: $r"
r=$(rows "Leaks still pinned")
grep -qF '00000000:000a1000|CONTOSO\alice|2|' <<<"$r" && grep -qF '00000000:000a0e00|Font Driver Host\UMFD-2|2|' <<<"$r" &&
  [ "$(wc -l <<<"$r")" = 2 ] || fail "leaks still pinned: expected alice's and UMFD-2's; got: $r"
r=$(rows "Open leaks per user logon session")
grep -qE '^00000000:000a1000\|CONTOSO\\alice\|2\|seen\|[0-9T:Z-]+\|1$' <<<"$r" && [ "$(wc -l <<<"$r")" = 1 ] ||
  fail "open leaks per user logon session: expected alice's, seen ending, with 1 system logon; got: $r"
# README's "alive at 09:00" asks of a fixed day; asked of this play's last
# poll instead (the same query text otherwise), it lists alice's session.
for t in "$work"/q/*.title; do
  grep -q '^Which logon sessions were alive at' "$t" || continue
  last=$(sqlite3 -readonly "$db" "SELECT max(polled_at) FROM v_polls WHERE logon_sessions IS NOT NULL")
  sed "s/'2026-11-21T09:00:00Z'/'$last'/" "${t%.title}.sql" >"$work/q/alive-last.sql.txt"
  grep -qF "'$last'" "$work/q/alive-last.sql.txt" || fail "the 'alive at' query has no '2026-11-21T09:00:00Z' to ask of $last"
  rc=0
  winsh "$work/alive.out" "$work/alive.err" -readonly -bail "Z:$db" ".read Z:$work/q/alive-last.sql.txt" || rc=$?
  [ "$rc" = 0 ] && grep -qF '00000000:000a1000|CONTOSO\alice|RemoteInteractive|2' "$work/alive.out" ||
    fail "alive at $last (exit $rc): expected alice's session; got: $(cat "$work/alive.out" "$work/alive.err")"
done
r=$(rows "One user's alerts")
grep -qE '\|2001\|00000000:000a1000\|2\|1\|0$' <<<"$r" || fail "alice's alerts: expected her 2001, logged; got: $r"
echo "ok: the leak queries name alice's leak"

# -readonly means it: a write is refused.
rc=0
winsh "$work/write.out" "$work/write.err" -readonly -bail "Z:$db" 'CREATE TABLE t(x);' || rc=$?
[ "$rc" != 0 ] && grep -q 'readonly' "$work/write.err" ||
  fail "sqlite3.exe -readonly wrote (exit $rc): $(cat "$work/write.err")"
echo "ok: -readonly refuses a write (exit $rc)"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed; outputs in $work" >&2
  exit 1
fi
echo "ok: README's $(ls "$work"/q/*.sql | wc -l) example queries run by the MSI's sqlite3.exe"
