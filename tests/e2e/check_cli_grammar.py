#!/usr/bin/env python3
"""The one CLI grammar (issue 15), checked on the real leakwatch.exe under Wine.

usage: check_cli_grammar.py WINE64 EXE DB

EXE runs on the simulated host (its folder holds the fake DLLs; the caller
sets WINEPREFIX and LEAKWATCH_FAKEHOST); DB is the Windows path of a history
database from a real run. The commands are read from `leakwatch --help`, so a
new command is checked without a change here, and what each takes from its
own `--help` (whether it names --json, --csv, --db, --since). Every command:
  - --help and -h: exit 0, its usage on stdout, nothing on stderr;
  - --json: parsed by json; --csv and --csv-exact: parsed by a strict CSV
    reader, every row as many fields as the header; a command without them
    refuses them in the one form;
  - a bad option, a missing value, a bad time (or --since where there is no
    time), --json with --csv: refused in the one form: stdout empty, stderr
    "leakwatch CMD: WHY", a blank line, then exactly the --help text; exit 2
    (`status` 3: README, Exit codes);
  - its table (the default output) within 120 columns (events' text is Event
    Viewer's and is not a table);
  - its output into a pipe whose reader has gone: no word on stderr, the same
    exit status as into a file.
Times: every command with --since takes an offset form; `events` with --since
7d --until now, or a local time in 2000, shows every alert of the run just
made, with --until 7d none; the first alert's time read on a Tokyo clock
selects every alert with TZ=Asia/Tokyo and none with TZ=UTC (Wine gives the
exe its time zone from TZ).
"""
import csv
import datetime
import io
import json
import os
import re
import subprocess
import sys
import unicodedata

WINE, EXE, DB = sys.argv[1:4]
failures = []
runs = 0

# `status` answers a mistake with its "unknown" verdict (README: Exit codes).
USAGE_STATUS = {"status": 3}
# Arguments a command needs to run at all, added to its real runs: `report`
# writes a file (beside the database), `ack` prints (--json, --csv, its table)
# only with --list.
NEEDS = {"report": ["--html", re.sub(r"[\\/][^\\/]*$", "", DB) + "/cli-grammar-report.html"],
         "ack": ["--list"]}
TABLE_COLUMNS = 120
TIME_WORDING = "is not a time such as 2026-11-21T09:00:00Z"


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(args, closed_stdout=False, tz=None):
    """(exit, stdout text with CRLF as LF, raw stdout bytes, stderr text);
    tz: the Unix TZ Wine gives the exe as its Windows time zone."""
    global runs
    runs += 1
    env = dict(os.environ, TZ=tz) if tz else None
    if closed_stdout:
        p = subprocess.Popen([WINE, EXE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()  # the reader is gone before the first write
        err = p.stderr.read()
        rc = p.wait(timeout=120)
        return rc, "", b"", err.decode("utf-8", "replace")
    p = subprocess.run([WINE, EXE] + args, capture_output=True, timeout=120, env=env)
    out = p.stdout.decode("utf-8", "replace")
    return p.returncode, out.replace("\r\n", "\n"), p.stdout, p.stderr.decode("utf-8", "replace")


def width(line):
    return sum(0 if unicodedata.combining(c) else 1 for c in line)


def refused(cmd, args, why, usage, prefix=False):
    """cmd ARGS is refused in the one form; why is the whole reason (or its start)."""
    want = USAGE_STATUS.get(cmd, 2)
    rc, out, _, err = run([cmd] + args)
    err = err.replace("\r\n", "\n")
    first, _, rest = err.partition("\n")
    said = f"leakwatch {cmd} {' '.join(args)}"
    if rc != want:
        fail(f"{said}: exit {rc}, want {want} ({err[:200]!r})")
    if out != "":
        fail(f"{said}: wrote to stdout: {out[:200]!r}")
    head = f"leakwatch {cmd}: "
    reason = first[len(head):] if first.startswith(head) else None
    if reason is None or (reason != why and not (prefix and reason.startswith(why))):
        fail(f"{said}: first line {first!r}, want {head + why!r}")
    if rest != "\n" + usage:
        fail(f"{said}: after the reason, not a blank line and the usage: {rest[:300]!r}")


def check_csv(cmd, args, raw):
    text = raw.decode("utf-8")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        fail(f"{cmd} {' '.join(args)}: not CSV: {e}")
        return
    if not rows or not rows[0]:
        fail(f"{cmd} {' '.join(args)}: no header row")
        return
    for name in rows[0]:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            fail(f"{cmd} {' '.join(args)}: header field {name!r}")
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(rows[0]):
            fail(f"{cmd} {' '.join(args)}: row {i} has {len(row)} fields, header {len(rows[0])}")
    # Rows end in CRLF (RFC 4180): every line break outside quotes is one.
    quoted, prev = False, ""
    for c in text:
        if c == '"':
            quoted = not quoted
        elif c == "\n" and not quoted and prev != "\r":
            fail(f"{cmd} {' '.join(args)}: a row ends in a bare LF")
            break
        prev = c
    if text and not text.endswith("\r\n"):
        fail(f"{cmd} {' '.join(args)}: the last row does not end in CRLF")


def check_command(cmd):
    rc, usage, _, err = run([cmd, "--help"])
    if rc != 0 or err != "" or not usage.startswith(f"usage: leakwatch {cmd}"):
        fail(f"{cmd} --help: exit {rc}, stderr {err[:200]!r}, stdout {usage[:80]!r}")
        return
    rc, short, _, err = run([cmd, "-h"])
    if rc != 0 or short != usage or err != "":
        fail(f"{cmd} -h: exit {rc}, not --help's text")
    takes = set(re.findall(r"--[a-z][a-z-]*", usage))
    base = (["--db", DB] if "--db" in takes else []) + NEEDS.get(cmd, [])
    verdicts = {0, 1, 2} if cmd in USAGE_STATUS else {0}

    # --json, --csv, --csv-exact: parsed, or refused in the one form.
    if "--json" in takes:
        rc, out, _, err = run([cmd, "--json"] + base)
        if rc not in verdicts:
            fail(f"{cmd} --json: exit {rc} ({err[:300]!r})")
        try:
            doc = json.loads(out)
            if cmd in USAGE_STATUS and doc.get("exit_code") != rc:
                fail(f"{cmd} --json: exit_code {doc.get('exit_code')} but exit {rc}")
        except ValueError as e:
            fail(f"{cmd} --json: not JSON: {e} ({out[:200]!r})")
    else:
        refused(cmd, ["--json"], "unknown option '--json'", usage)
    for fmt in ("--csv", "--csv-exact"):
        if fmt in takes:
            rc, _, raw, err = run([cmd, fmt] + base)
            if rc != 0:
                fail(f"{cmd} {fmt}: exit {rc} ({err[:300]!r})")
            check_csv(cmd, [fmt], raw)
        else:
            refused(cmd, [fmt], f"unknown option '{fmt}'", usage)
    if "--json" in takes and "--csv" in takes:
        refused(cmd, ["--json", "--csv"], "--json and --csv exclude each other", usage)
        refused(cmd, ["--csv-exact", "--json"], "--csv-exact and --json exclude each other", usage)

    # Mistakes, in the one form.
    refused(cmd, ["--no-such-option"], "unknown option '--no-such-option'", usage)
    if "--db" in takes:
        refused(cmd, ["--db"], "--db needs a value", usage)
    if "--since" in takes:
        refused(cmd, ["--since", "not-a-time"], f"--since: 'not-a-time' {TIME_WORDING}", usage,
                prefix=True)
        refused(cmd, ["--until", "2026-02-30T10:00:00Z"],
                f"--until: '2026-02-30T10:00:00Z' {TIME_WORDING}", usage, prefix=True)
        refused(cmd, ["--since", "1h", "--until", "2h"], "--since is after --until", usage)
        rc, _, _, err = run([cmd, "--since", "2000-01-01T01:00:00+01:00", "--until=now"] + base)
        if rc not in verdicts:
            fail(f"{cmd} --since 2000-01-01T01:00:00+01:00 --until=now: exit {rc} ({err[:300]!r})")
    else:
        refused(cmd, ["--since", "24h"], "unknown option '--since'", usage)

    # The table within 120 columns; a closed pipe ends quietly.
    if "--json" in takes:
        rc, out, _, err = run([cmd] + base)
        if rc not in verdicts:
            fail(f"{cmd}: exit {rc} ({err[:300]!r})")
        if cmd != "events":
            for line in out.split("\n"):
                if width(line) > TABLE_COLUMNS:
                    fail(f"{cmd}: a line of {width(line)} columns: {line!r}")
        if out.strip() == "":
            fail(f"{cmd}: printed nothing")
        prc, _, _, perr = run([cmd] + base, closed_stdout=True)
        if prc != rc or perr != "":
            fail(f"{cmd} | (closed): exit {prc} (into a file: {rc}), stderr {perr[:300]!r}")
    prc, _, _, perr = run([cmd, "--help"], closed_stdout=True)
    if prc != 0 or perr != "":
        fail(f"{cmd} --help | (closed): exit {prc}, stderr {perr[:300]!r}")


def main():
    rc, top, _, err = run(["--help"])
    if rc != 0 or err != "":
        fail(f"leakwatch --help: exit {rc}, stderr {err[:200]!r}")
    for alias in ("-h", "help"):
        arc, text, _, _ = run([alias])
        if arc != 0 or text != top:
            fail(f"leakwatch {alias}: exit {arc}, not --help's text")
    section = top.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0] if "\ncommands:\n" in top else ""
    commands = re.findall(r"^  ([a-z][a-z-]*)  +\S", section, re.M)
    # The list is read, not written here: it must at least hold these.
    for known in ("run", "version", "sessions", "holders", "events", "history", "status", "leaks",
                  "report", "ack"):
        if known not in commands:
            fail(f"`leakwatch --help` does not list {known} (read: {commands})")
    rc, _, _, err = run(["no-such-command"])
    if rc != 2 or not err.startswith("leakwatch: unknown command 'no-such-command'"):
        fail(f"leakwatch no-such-command: exit {rc}, stderr {err[:200]!r}")
    rc, out, _, _ = run(["--version"])
    if rc != 0 or not out.startswith("leakwatch "):
        fail(f"leakwatch --version: exit {rc}, {out!r}")

    for cmd in commands:
        check_command(cmd)

    # `| head -1`: the first line read, then the pipe closed while it writes.
    p = subprocess.Popen([WINE, EXE, "events", "--db", DB], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode("utf-8", "replace")
    rc = p.wait(timeout=120)
    if rc != 0 or err != "" or not first.startswith(b"Log Name:"):
        fail(f"events | head -1: exit {rc}, first line {first[:80]!r}, stderr {err[:300]!r}")

    # Relative and absolute times select the run's alerts (made minutes ago).
    rc, out, _, err = run(["events", "--json", "--db", DB])
    every = json.loads(out) if rc == 0 else None
    rc7, out7, _, _ = run(["events", "--json", "--db", DB, "--since", "7d", "--until", "now"])
    rcn, outn, _, _ = run(["events", "--json", "--db", DB, "--until", "7d"])
    rcl, outl, _, _ = run(["events", "--json", "--db", DB, "--since", "2000-01-01 00:00"])
    if not every:
        fail(f"events --json: no alerts to select from (exit {rc}, {err[:200]!r})")
    elif rc7 != 0 or json.loads(out7) != every:
        fail(f"events --since 7d --until now: not every alert (exit {rc7})")
    elif rcn != 0 or json.loads(outn) != []:
        fail(f"events --until 7d: alerts from before a week ago (exit {rcn}, {outn[:200]!r})")
    elif rcl != 0 or json.loads(outl) != every:
        fail(f"events --since '2000-01-01 00:00' (local): not every alert (exit {rcl})")
    else:
        # A local time is Windows' zone's (Wine's from TZ): the first alert's
        # time on a Tokyo clock (UTC+9, no DST) selects every alert there, and
        # none where the same clock reading is UTC, 9 hours later.
        first = datetime.datetime.fromisoformat(every[0]["raised_at"].replace("Z", "+00:00"))
        tokyo = (first + datetime.timedelta(hours=9)).strftime("%Y-%m-%d %H:%M:%S")
        got = {}
        for tz in ("Asia/Tokyo", "UTC"):
            trc, tout, _, terr = run(["events", "--json", "--db", DB, "--since", tokyo], tz=tz)
            got[tz] = json.loads(tout) if trc == 0 else f"exit {trc}: {terr[:200]}"
        if got["Asia/Tokyo"] != every or got["UTC"] != []:
            fail(f"events --since '{tokyo}' (local): in Tokyo {got['Asia/Tokyo']!r:.200}, "
                 f"in UTC {got['UTC']!r:.200}; want every alert, then none")

    print(f"{len(commands)} commands ({', '.join(commands)}), {runs} runs, "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
