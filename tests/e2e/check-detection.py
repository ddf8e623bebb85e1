#!/usr/bin/env python3
"""Checks what the real service raised on a simulated host (run-scenario.sh's
OUTDIR) against exact expectations: the Event Log calls in order, the alerts in
the database, the leak episodes in v_leaks.

usage: check-detection.py OUTDIR --events PATTERN [--insert SPEC]...
                          [--leaks ROWS] [--grace-ms MS] [--boots N]

--events PATTERN  every line of eventlog.txt, in order. Tokens separated by
                  spaces: `ID` (that event) or `ID:TEXT` (that event with
                  insertion string 1 equal to TEXT, e.g. a LUID for 2001/2002,
                  the count for 2003/2004, the session ID for 2006);
                  `{ ... }` encloses events that may come in any order.
--insert SPEC     `ID#K:N=REGEX`: insertion string N of the K-th event ID
                  (both 1-based) in the database (complete, where Wine cuts
                  long strings in eventlog.txt) fully matches REGEX.
--leaks ROWS      the exact rows of v_leaks, space-separated, each
                  `LUID/TERMINAL_SESSION/released` or `.../open`; "" = none.
--grace-ms MS     every leak episode leaked at least MS after its terminal
                  session ended (default 0).
--boots N         the database knows N boots (default 1: a service restart
                  is not a reboot).

Always checked as well: every alert in the database was logged (none
suppressed) and the database's alerts are eventlog.txt's 2xxx events, in
order, with the same insertion strings; alerts.txt renders each of them;
the fake host saw no bad free and no call without a scenario.
Exits 0 when everything holds, 1 with the differences otherwise.
"""
import argparse
import json
import os
import re
import sqlite3
import sys

import insert_positions

failures = []


def fail(msg):
    failures.append(msg)


def read_eventlog(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^id=(\d+) type=(\S+) ?(.*)$", line.rstrip("\n"))
            if not m:
                fail(f"eventlog.txt: unreadable line {line!r}")
                continue
            inserts = m.group(3).split(" | ") if m.group(3) else []
            events.append((int(m.group(1)), inserts))
    return events


def parse_pattern(text):
    """-> list of items; an item is a list of tokens that may come in any order."""
    items, group = [], None
    for tok in text.replace("{", " { ").replace("}", " } ").split():
        if tok == "{":
            if group is not None:
                sys.exit("check-detection: nested { in --events")
            group = []
        elif tok == "}":
            if not group:
                sys.exit("check-detection: empty or unopened group in --events")
            items.append(group)
            group = None
        else:
            m = re.fullmatch(r"(\d+)(?::(.*))?", tok)
            if not m:
                sys.exit(f"check-detection: bad token {tok!r} in --events")
            t = (int(m.group(1)), m.group(2))
            if group is not None:
                group.append(t)
            else:
                items.append([t])
    if group is not None:
        sys.exit("check-detection: unclosed { in --events")
    return items


def token_matches(tok, event):
    eid, text = tok
    return eid == event[0] and (text is None or (event[1][:1] or [""])[0] == text)


def show(event):
    return f"{event[0]}:{event[1][0]}" if event[1] else str(event[0])


def check_events(events, pattern):
    items = parse_pattern(pattern)
    pos = 0
    for item in items:
        chunk = events[pos:pos + len(item)]
        left = list(item)
        for ev in chunk:
            hit = next((t for t in left if token_matches(t, ev)), None)
            if hit is None:
                break
            left.remove(hit)
        if len(chunk) < len(item) or left:
            exp = " ".join(f"{t[0]}" + (f":{t[1]}" if t[1] is not None else "") for t in item)
            fail(f"eventlog.txt from event {pos + 1}: expected {'{' + exp + '}' if len(item) > 1 else exp}, "
                 f"got {' '.join(show(e) for e in chunk) or 'nothing'}")
            break
        pos += len(item)
    else:
        if pos < len(events):
            fail(f"eventlog.txt: unexpected events after the expected ones: "
                 f"{' '.join(show(e) for e in events[pos:])}")
    if failures:
        fail("eventlog.txt was:\n    " + "\n    ".join(
            f"{e[0]} {' | '.join(e[1])}"[:200] for e in events))


def insert_equal(logged, stored):
    """Wine cuts a long insertion string in its trace and appends '...'."""
    if logged == stored:
        return True
    return logged.endswith("...") and stored.startswith(logged[:-3]) and len(logged) >= 200


def check_db(out, events, inserts, leaks, grace_ms, boots):
    db = sqlite3.connect(f"file:{os.path.join(out, 'history.db')}?mode=ro", uri=True)
    n_boots = db.execute("SELECT COUNT(*) FROM boots").fetchone()[0]
    if n_boots != boots:
        fail(f"the database has {n_boots} boots, expected {boots}")
    rows = db.execute("SELECT event_id, suppressed, fields FROM alerts ORDER BY raised_at, id").fetchall()
    suppressed = [r[0] for r in rows if r[1]]
    if suppressed:
        fail(f"alerts held back by the rate limit (raise alerts.max_per_hour): {suppressed}")
    stored = [(r[0], json.loads(r[2])["inserts"]) for r in rows]
    v_ids = [r[0] for r in db.execute("SELECT event_id FROM v_alerts")]
    if v_ids != [s[0] for s in stored]:
        fail(f"v_alerts event IDs {v_ids} differ from the alerts table's {[s[0] for s in stored]}")
    logged = [e for e in events if 2000 <= e[0] < 3000]
    if [e[0] for e in logged] != [s[0] for s in stored]:
        fail(f"alerts in the database {[s[0] for s in stored]} differ from eventlog.txt's "
             f"{[e[0] for e in logged]}")
    else:
        for k, (e, s) in enumerate(zip(logged, stored)):
            # eventlog.txt joins inserts with " | ": equal joined forms are
            # equal inserts; otherwise compare one by one (Wine's cuts).
            same = " | ".join(e[1]) == " | ".join(s[1]) or (
                len(e[1]) == len(s[1]) and all(insert_equal(a, b) for a, b in zip(e[1], s[1])))
            if not same:
                fail(f"alert {k + 1} ({e[0]}): eventlog.txt has {e[1]}, the database {s[1]}")

    for spec in inserts:
        m = re.fullmatch(r"(\d+)#(\d+):(\d+)=(.*)", spec, re.S)
        if not m:
            sys.exit(f"check-detection: bad --insert {spec!r}")
        eid, k, n, rx = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        of_id = [s for s in stored if s[0] == eid]
        if len(of_id) < k or len(of_id[k - 1][1]) < n:
            fail(f"--insert {spec}: there is no insertion string {n} of event {eid} #{k}")
        elif not re.fullmatch(rx, of_id[k - 1][1][n - 1], re.S):
            fail(f"--insert {spec}: insertion string {n} of event {eid} #{k} is "
                 f"{of_id[k - 1][1][n - 1]!r}")

    got = sorted(f"{luid}/{ts}/{'open' if rel is None else 'released'}" for luid, ts, rel in
                 db.execute("SELECT luid, terminal_session, released_at FROM v_leaks"))
    want = sorted(leaks.split())
    if got != want:
        fail(f"v_leaks rows: expected {want or 'none'}, got {got or 'none'}")
    for luid, ended, seen, first, leaked, released in db.execute(
            "SELECT printf('%08x:%08x', (luid >> 32) & 4294967295, luid & 4294967295), "
            "session_ended_at, end_seen, orphan_seen_at, leaked_at, released_at "
            "FROM leak_episodes"):
        # The end is known only when LeakWatch saw it; the grace counts from
        # the first poll that saw the session gone either way.
        consistent = (ended == first) if seen == 1 else (ended is None)
        if seen not in (0, 1) or not consistent:
            fail(f"leak episode {luid}: session_ended_at {ended} with end_seen {seen} and "
                 f"orphan_seen_at {first}")
        if first is None or leaked - first < grace_ms:
            fail(f"leak episode {luid}: leaked at {leaked}, first seen ended at {first}: "
                 f"less than the grace period ({grace_ms} ms)")
        if released is not None and released < leaked:
            fail(f"leak episode {luid}: released at {released}, before it leaked ({leaked})")
    db.close()
    return stored


def check_rendered(out, stored):
    with open(os.path.join(out, "alerts.txt"), encoding="utf-8") as f:
        text = f.read()
    rendered = [int(x) for x in re.findall(r"^Event ID:\s+(\d+)\s*$", text, re.M)]
    if sorted(rendered) != sorted(s[0] for s in stored):
        fail(f"alerts.txt shows events {rendered}, the database has {[s[0] for s in stored]}")


def check_stats(out):
    stats = {}
    with open(os.path.join(out, "fakehost.stats"), encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            stats[k] = v
    for key in ("bad_frees", "api_errors"):
        if stats.get(key) != "0":
            fail(f"fakehost.stats: {key}={stats.get(key)} (expected 0)")


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("outdir")
    ap.add_argument("--events", required=True)
    ap.add_argument("--insert", action="append", default=[])
    ap.add_argument("--leaks", default="")
    ap.add_argument("--grace-ms", type=int, default=0)
    ap.add_argument("--boots", type=int, default=1)
    a = ap.parse_args()
    events = read_eventlog(os.path.join(a.outdir, "eventlog.txt"))
    check_events(events, a.events)
    here = os.path.dirname(os.path.abspath(__file__))
    for p in insert_positions.problems(events, insert_positions.positions(
            os.path.join(here, "..", ".."))):
        fail(f"eventlog.txt: {p}")
    stored = check_db(a.outdir, events, a.insert, a.leaks, a.grace_ms, a.boots)
    check_rendered(a.outdir, stored)
    check_stats(a.outdir)
    if failures:
        for msg in failures:
            print(f"FAIL: {msg}", file=sys.stderr)
        sys.exit(1)
    print(f"check-detection: {a.outdir}: {len(events)} events, {len(stored)} alerts as expected")


if __name__ == "__main__":
    main()
