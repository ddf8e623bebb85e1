#!/usr/bin/env python3
"""Issue 13's acceptance on the flood scenario (leak-2-to-152.yaml as played by
test_alert_flood.sh with the default alerts.max_per_hour): what an operator or
a SIEM reading the Event Log alone learns.

  1. Every user whose logon session the scenario leaks (RemoteInteractive,
     alive at the last step, its terminal session gone) is named in the Event
     Log by a 2001 (USER, DOMAIN) or by a 2009 summary (USERS).
  2. No 2001 is about a DWM-n/UMFD-n: each was folded into its user's 2001,
     and the users of every tenth session list their two (SYSTEM_LOGONS 2).
  3. The last state event of the run (2003 or 2009) states the final pinned
     count and highest ID, as the scenario's last step has them.
  4. The insertion strings that reached ReportEventW are at their documented
     positions (insert_positions.py, eventlog.txt) and equal the database's.
The full inserts come from the database rows that reached the Event Log
(v_alerts.logged = 1): Wine's trace cuts long strings. usage:
check-alert-flood.py SCENARIO OUTDIR
"""
import json
import os
import re
import sqlite3
import sys

import insert_positions

failures = []


def fail(msg):
    failures.append(msg)


def scenario_truth(path):
    """(leaked users, pinned IDs, highest ID) at the scenario's last step."""
    text = open(path, encoding="utf-8").read()
    steps = int(re.search(r"^steps: (\d+)$", text, re.M).group(1))
    last = steps - 1

    def entries(section):
        body = text.split(f"{section}:\n", 1)[1]
        body = re.split(r"^\w+:\n", body, maxsplit=1, flags=re.M)[0]
        for chunk in re.split(r"^  - ", body, flags=re.M)[1:]:
            e = {}
            for line in ("  " + chunk).splitlines():
                m = re.match(r"^\s+(\w+): ?(.*)$", line)
                if m:
                    e[m.group(1)] = m.group(2).strip().strip('"')
            yield e

    def alive(e):
        return int(e.get("from", 0)) <= last < int(e.get("until", 10 ** 9))

    wts = {int(e["id"]) for e in entries("wts_sessions") if alive(e)}
    users, pinned = set(), set()
    for e in entries("logon_sessions"):
        ts = int(e.get("session", 0))
        if alive(e) and ts != 0 and ts not in wts:
            pinned.add(ts)
            if e.get("logon_type") == "RemoteInteractive":
                users.add(f"{e['domain']}\\{e['user']}")
    live = [i for i in wts if i < 65536]
    return users, pinned, max(live)


def main():
    scenario, out = sys.argv[1], sys.argv[2]
    users, pinned, highest = scenario_truth(scenario)
    db = sqlite3.connect(f"file:{os.path.join(out, 'history.db')}?mode=ro", uri=True)

    rows = [(eid, json.loads(f)["inserts"]) for eid, f in
            db.execute("SELECT event_id, fields FROM v_alerts WHERE logged = 1 ORDER BY rowid")]
    held = db.execute("SELECT count(*) FROM v_alerts WHERE held_back = 1").fetchone()[0]
    names = insert_positions.positions(os.path.join(os.path.dirname(__file__), "..", ".."))
    pos = {eid: {n: k for k, n in enumerate(lst)} for eid, lst in names.items()}

    named = set()
    for eid, ins in rows:
        if eid == 2001:
            named.add(f"{ins[pos[2001]['DOMAIN']]}\\{ins[pos[2001]['USER']]}")
        elif eid == 2009:
            named.update(u for u in ins[pos[2009]["USERS"]].split(", ") if u != "none")
    missing = sorted(users - named)
    if missing:
        fail(f"{len(missing)} of {len(users)} leaked users are named by no 2001 or 2009 in the "
             f"Event Log: {missing[:5]}...")
    system = [ins for eid, ins in rows
              if eid == 2001 and re.match(r"(DWM|UMFD)-\d+$", ins[pos[2001]["USER"]])]
    if system:
        fail(f"{len(system)} 2001s are about DWM/UMFD logon sessions")
    listing = [ins for eid, ins in rows if eid == 2001 and ins[pos[2001]["SYSTEM_LOGONS"]] == "2"]
    all_2001 = db.execute("SELECT fields FROM v_alerts WHERE event_id = 2001").fetchall()
    with_two = [f for (f,) in all_2001 if json.loads(f).get("system_logons") == 2]
    if len(with_two) != 15:
        fail(f"{len(with_two)} 2001s (logged or held back) list two DWM/UMFD, want 15 "
             f"(every tenth of 150 sessions)")

    states = [(eid, ins) for eid, ins in rows if eid in (2003, 2009)]
    if not states:
        fail("no state event (2003, 2009) reached the Event Log")
    else:
        eid, ins = states[-1]
        got = (ins[pos[eid]["COUNT" if eid == 2003 else "PINNED_COUNT"]],
               ins[pos[eid]["HIGHEST_ID"]])
        if got != (str(len(pinned)), str(highest)):
            fail(f"the last state event ({eid}) says {got[0]} pinned, highest {got[1]}; the "
                 f"scenario ends with {len(pinned)} pinned, highest {highest}")
    events = insert_positions.read_eventlog(os.path.join(out, "eventlog.txt"))
    for p in insert_positions.problems(events, names):
        fail(f"eventlog.txt: {p}")
    logged = [e for e in events if 2000 <= e[0] < 3000]
    if [e[0] for e in logged] != [r[0] for r in rows]:
        fail(f"eventlog.txt's alerts {[e[0] for e in logged][:20]}... differ from v_alerts' "
             f"logged ones {[r[0] for r in rows][:20]}...")
    for k, (e, r) in enumerate(zip(logged, rows), 1):
        for a, b in zip(e[1], r[1]):
            if a != b and not (a.endswith("...") and b.startswith(a[:-3])):
                fail(f"alert {k} ({e[0]}): ReportEventW got {a!r} where the database has {b!r}")
                break
    if failures:
        for m in failures:
            print(f"FAIL: {m}", file=sys.stderr)
        sys.exit(1)
    print(f"check-alert-flood: {len(users)} leaked users all named ({len(listing)} logged 2001s "
          f"list their DWM/UMFD; {held} alerts held back); last state: {len(pinned)} pinned, "
          f"highest {highest}")


if __name__ == "__main__":
    main()
