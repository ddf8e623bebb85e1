#!/usr/bin/env python3
"""Checks test_ack.sh's outputs (issue 15: known leaks).

usage: check-ack.py run OUTDIR    the scenario run: eventlog.txt, history.db,
                                  status-running.json, ack-*.{out,err,rc}
       check-ack.py after WORKDIR the commands run afterwards on its database

The scenario (tests/scenarios/ack.yaml): alice, bob and dave leak; alice is
acknowledged (ack 1, expiring), carol acknowledged then removed (ack 2), bob
ignored by the configuration, dave a new leak of another user.
"""
import csv
import json
import os
import re
import sqlite3
import sys

ALICE, BOB, DAVE = "00000000:000a1000", "00000000:000b1000", "00000000:000e1000"
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


def read_eventlog(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^id=(\d+) type=(\S+) ?(.*)$", line.rstrip("\n"))
            if m:
                events.append((int(m.group(1)), m.group(3).split(" | ") if m.group(3) else []))
    return events


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().replace("\r", "")


def check_run(out):
    for name in ("alice", "carol", "list", "remove"):
        rc = read(os.path.join(out, f"ack-{name}.rc")).strip()
        check(rc == "0", f"ack ({name}) in the run exited {rc}: {read(os.path.join(out, f'ack-{name}.err'))[:300]}")
    check("Acknowledgement 1:" in read(os.path.join(out, "ack-alice.out")), "ack alice: not id 1")
    during = json.loads(read(os.path.join(out, "ack-list.out")))
    check([(a["id"], a["kind"], a["target"], a["state"]) for a in during] ==
          [(1, "user", "CONTOSO\\alice", "active"), (2, "user", "contoso\\CAROL", "active")],
          f"ack --list --json during the run: {during}")
    ev = read_eventlog(os.path.join(out, "eventlog.txt"))
    taken = [e for e in ev if e[0] == 1007]
    check([(e[1][0], e[1][1], e[1][2], e[1][3]) for e in taken] ==
          [("1", "user", "CONTOSO\\alice", "vendor case 4711"),
           ("2", "user", "contoso\\CAROL", "to be removed")],
          f"1007 (taken up): {taken}")
    check(all(len(e[1]) == 7 for e in taken), "1007 has not 7 insertion strings")
    removed = [e for e in ev if e[0] == 1008]
    check([e[1] for e in removed] == [["2", "user", "contoso\\CAROL", "to be removed", "0"]],
          f"1008 (removed): {removed}")
    expired = [i for i, e in enumerate(ev) if e[0] == 1009]
    check(len(expired) == 1, f"1009 (expired): {len(expired)} events, want 1")
    if expired:
        e = ev[expired[0]][1]
        check(e[:3] == ["1", "user", "CONTOSO\\alice"] and e[4] == "1",
              f"1009 should name ack 1 of CONTOSO\\alice with 1 open leak alerting again: {e}")
    leaked = [(i, e[1][0]) for i, e in enumerate(ev) if e[0] == 2001]
    alice = [i for i, luid in leaked if luid == ALICE]
    check(len(alice) == 1, f"alice's 2001 logged {len(alice)} times, want once (after expiry)")
    if alice and expired:
        check(alice[0] > expired[0], "alice's 2001 was logged before her acknowledgement expired")
    check(not [1 for _, luid in leaked if luid == BOB], "bob (ignore.users) raised a 2001")
    check(len([1 for _, luid in leaked if luid == DAVE]) == 1, "dave's new leak did not raise one 2001")
    check(not [e for e in ev if e[0] == 2007 and e[1][0] in (ALICE, BOB)],
          "a 2007 for a known leak reached the Event Log")

    db = sqlite3.connect(f"file:{os.path.join(out, 'history.db')}?mode=ro", uri=True)
    rows = db.execute("SELECT luid, logged, fields FROM alerts WHERE event_id = 2001 "
                      "ORDER BY raised_at, id").fetchall()
    a_rows = [(lg, json.loads(f)) for luid, lg, f in rows if luid == ALICE]
    check(len(a_rows) == 2 and a_rows[0][0] == 0 and a_rows[0][1].get("acknowledged") is True and
          a_rows[0][1].get("ack_id") == 1 and a_rows[1][0] == 1 and "acknowledged" not in a_rows[1][1],
          f"alice's 2001s in the history: want one withheld (ack 1), then one logged: {a_rows}")
    b_rows = [(lg, json.loads(f)) for luid, lg, f in rows if luid == BOB]
    check(len(b_rows) == 1 and b_rows[0][0] == 0 and b_rows[0][1].get("ignored") is True,
          f"bob's 2001 in the history: want one, not logged, ignored: {b_rows}")
    leaks = {r[0] for r in db.execute("SELECT luid FROM v_leaks WHERE released_at IS NULL")}
    check(leaks == {ALICE, BOB, DAVE}, f"v_leaks' open leaks: {sorted(leaks)}")
    acks = db.execute("SELECT id, kind, target, reason, state, expires_at IS NOT NULL, created_by "
                      "FROM v_acks").fetchall()
    check([a[:6] for a in acks] == [(1, "user", "CONTOSO\\alice", "vendor case 4711", "expired", 1)],
          f"v_acks after the run: {acks}")
    alerts = read(os.path.join(out, "alerts.txt"))
    check("(a known leak, acknowledged with leakwatch ack: not in the Event Log)" in alerts and
          "(a known leak, ignored by the configuration: not in the Event Log)" in alerts,
          "leakwatch events does not mark the withheld 2001s as known leaks")
    st = json.loads(read(os.path.join(out, "status-running.json")))
    check(read(os.path.join(out, "status-running.rc")).strip() == "1" and st["open_leaks"] == 3 and
          st["ignored_leaks"] == 1 and st["acknowledged_leaks"] == 0,
          f"status --json while running: want exit 1, 3 open, 1 ignored, 0 acknowledged: {st}")


def check_after(work):
    check("Acknowledgement 3:" in read(os.path.join(work, "ack-dave.txt.lf")),
          "ack --luid (dave) did not say 'Acknowledgement 3'")
    acks = json.loads(read(os.path.join(work, "acks.json.lf")))
    check([(a["id"], a["kind"], a["target"], a["state"], a["expires_at"]) for a in acks] ==
          [(1, "user", "CONTOSO\\alice", "expired", acks[0]["expires_at"]),
           (3, "luid", DAVE, "active", "2099-01-01T00:00:00Z")],
          f"ack --list --json: {acks}")
    with open(os.path.join(work, "acks.csv.lf"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    check(rows[0] == ["id", "kind", "target", "reason", "created_at", "created_by", "expires_at",
                      "state"] and [r[0] for r in rows[1:]] == ["1", "3"],
          f"ack --list --csv: {rows}")
    check(all(len(line) <= 120 for line in read(os.path.join(work, "acks.txt.lf")).splitlines()),
          "ack --list: a line over 120 columns")
    leaks = {r["luid"]: r for r in json.loads(read(os.path.join(work, "leaks.json.lf")))}
    check(set(leaks) == {ALICE, BOB, DAVE}, f"leaks --json: rows {sorted(leaks)}")
    if DAVE in leaks and ALICE in leaks:
        d, a = leaks[DAVE], leaks[ALICE]
        check(d["acknowledged"] is True and d["ack_id"] == 3 and d["ack_reason"] == "known: dave" and
              d["ack_expires"] == "2099-01-01T00:00:00Z" and d["ignored"] is False,
              f"leaks --json: dave's row not acknowledged by ack 3: {d}")
        check(a["acknowledged"] is False and a["ack_id"] is None and a["ignored"] is False,
              f"leaks --json: alice's row (acknowledgement expired): {a}")
        check(list(d)[-5:] == ["acknowledged", "ack_id", "ack_reason", "ack_expires", "ignored"],
              "leaks --json: the new fields are not at the end")
    with open(os.path.join(work, "leaks.csv.lf"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    check(rows[0][-5:] == ["acknowledged", "ack_id", "ack_reason", "ack_expires", "ignored"],
          f"leaks --csv: header {rows[0]}")
    byluid = {r[1]: r for r in rows[1:]}
    check(byluid.get(DAVE, [""] * 5)[-5:] == ["true", "3", "known: dave", "2099-01-01T00:00:00Z", "false"],
          f"leaks --csv: dave's row {byluid.get(DAVE)}")
    text = read(os.path.join(work, "leaks.txt.lf"))
    check("acknowledged (ack 3, until 2099-01-01T00:00:00Z): known: dave" in text,
          "leaks (table): no acknowledged line for dave")
    check(all(len(line) <= 120 for line in text.splitlines()), "leaks (table): a line over 120 columns")
    st = json.loads(read(os.path.join(work, "status.json.lf")))
    check(st["open_leaks"] == 3 and st["acknowledged_leaks"] == 1 and st["ignored_leaks"] == 0,
          f"status --db --json: {st}")
    for name, want in (("bad-user.txt", "is not DOMAIN\\user"), ("bad-luid.txt", "built-in"),
                       ("no-reason.txt", "--reason is required"),
                       ("bad-id.txt", "no acknowledgement with id 99"),
                       ("missing.txt", "no history database there"),
                       ("old.txt", "older than the acknowledgements")):
        err = read(os.path.join(work, name + ".err.lf"))
        check(want in err and err.startswith("leakwatch ack: "), f"{name}: stderr lacks '{want}': {err[:300]}")
    check("start it" in read(os.path.join(work, "old.txt.err.lf")),
          "ack on a schema 5 database does not say to start the service")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("run", "after"):
        print(__doc__, file=sys.stderr)
        return 2
    (check_run if sys.argv[1] == "run" else check_after)(sys.argv[2])
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
