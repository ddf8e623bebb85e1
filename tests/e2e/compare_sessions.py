#!/usr/bin/env python3
"""compare_sessions.py - compares `leakwatch sessions` output with what a
scenario says (tests/fakehost/scenario_expect.c's JSON), field by field.

usage:
  compare_sessions.py json  EXPECTED.json ACTUAL.json
  compare_sessions.py csv   EXPECTED.json ACTUAL.csv
  compare_sessions.py table EXPECTED.json ACTUAL.txt

json:  every logon session and WTS session, every field, in order (logon
       sessions by LUID, WTS sessions by ID); process_count and processes of
       each logon session agree with the product's own process list (the
       processes are Wine's, not the scenario's); the top-level fields and
       counts are there and well formed.
csv:   one row per logon session with the columns of common/report/snapshot_json.h,
       including the WTS state of its terminal session or `ended`.
table: one row per logon session, its LUID, type, terminal session, WTS state
       (or `ended`) and DOMAIN\\user (escaped as common/text_safe.h does); CSV text
       fields beginning with = + - @ TAB or CR carry the leading apostrophe.

Exit status 0 when equal, 1 with one line per difference on stderr. Python
standard library only.
"""
import csv
import io
import json
import re
import sys

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LUID = re.compile(r"^[0-9a-f]{8}:[0-9a-f]{8}$")
LOGON_EXTRA = {"process_count", "processes"}

errors = []


def fail(msg):
    errors.append(msg)


def check_json(exp, act):
    for key in ("taken_at", "boot_time"):
        if not isinstance(act.get(key), str) or not ISO.match(act[key]):
            fail(f"{key}: {act.get(key)!r} is not an ISO time")
    procs = act.get("processes")
    if not isinstance(procs, list):
        fail("processes: missing")
        procs = []
    pids = []
    for i, p in enumerate(procs):
        if set(p) != {"pid", "image", "session_id", "luid"}:
            fail(f"processes[{i}]: keys {sorted(p)}")
            continue
        if not isinstance(p["pid"], int) or not isinstance(p["session_id"], int):
            fail(f"processes[{i}]: pid/session_id not integers: {p}")
        if p["luid"] is not None and not LUID.match(p["luid"]):
            fail(f"processes[{i}]: luid {p['luid']!r}")
        if p["image"] is not None and not isinstance(p["image"], str):
            fail(f"processes[{i}]: image {p['image']!r}")
        pids.append(p["pid"])
    if pids != sorted(set(pids)):
        fail("processes: not sorted by PID or PIDs repeated")
    by_luid = {}
    for p in procs:
        if p.get("luid") is not None:
            by_luid.setdefault(p["luid"], []).append(p["pid"])

    el, al = exp["logon_sessions"], act.get("logon_sessions", [])
    if [e["luid"] for e in el] != [a.get("luid") for a in al]:
        fail(f"logon_sessions: LUIDs {[a.get('luid') for a in al]}, "
             f"expected {[e['luid'] for e in el]}")
    for e, a in zip(el, al):
        where = f"logon_sessions[{e['luid']}]"
        if set(a) != set(e) | LOGON_EXTRA:
            fail(f"{where}: keys {sorted(a)}, expected {sorted(set(e) | LOGON_EXTRA)}")
        for k, v in e.items():
            if a.get(k, "<missing>") != v:
                fail(f"{where}.{k}: {a.get(k, '<missing>')!r}, expected {v!r}")
        mine = sorted(by_luid.get(e["luid"], []))
        if a.get("processes") != mine:
            fail(f"{where}.processes: {a.get('processes')!r}, the process list says {mine!r}")
        if a.get("process_count") != len(mine):
            fail(f"{where}.process_count: {a.get('process_count')!r}, expected {len(mine)}")

    ew, aw = exp["wts_sessions"], act.get("wts_sessions", [])
    if len(ew) != len(aw):
        fail(f"wts_sessions: {len(aw)} sessions, expected {len(ew)}")
    for e, a in zip(ew, aw):
        if a != e:
            diff = {k: (a.get(k, "<missing>"), e.get(k, "<missing>"))
                    for k in set(a) | set(e) if a.get(k, "<missing>") != e.get(k, "<missing>")}
            fail(f"wts_sessions[{e['id']}]: (actual, expected) {diff}")

    counts = act.get("counts", {})
    if counts.get("logons_without_data") != exp["counts"]["logons_without_data"]:
        fail(f"counts.logons_without_data: {counts.get('logons_without_data')!r}, "
             f"expected {exp['counts']['logons_without_data']}")
    denied = counts.get("processes_denied")
    if not isinstance(denied, int) or denied > len(procs):
        fail(f"counts.processes_denied: {denied!r}")
    extra = set(act) - {"taken_at", "boot_time", "logon_sessions", "wts_sessions",
                        "processes", "counts"}
    if extra:
        fail(f"unexpected top-level keys {sorted(extra)}")


def wts_state(exp, session):
    for w in exp["wts_sessions"]:
        if w["id"] == session:
            return w["state"]
    return "ended"


def check_csv(exp, text):
    rows = list(csv.reader(io.StringIO(text)))
    header = ["luid", "user", "domain", "sid", "logon_type", "auth_package",
              "terminal_session", "logon_time", "process_count", "wts_state", "data_status"]
    if not rows or rows[0] != header:
        fail(f"csv header {rows[0] if rows else None}")
        return
    body = rows[1:]
    el = exp["logon_sessions"]
    if len(body) != len(el):
        fail(f"csv: {len(body)} rows, expected {len(el)}")
    for e, row in zip(el, body):
        ok = e["data_status"] is None

        def s(v):
            return "" if v is None else str(v)

        def t(v):  # a text field: a formula start gets the apostrophe (csv_writer.h)
            v = s(v)
            return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") and v else v
        want = [e["luid"], t(e["user"]), t(e["domain"]), t(e["sid"]),
                t(e["logon_type"] if e["logon_type"] is not None else
                  (e["logon_type_id"] if ok else None)),
                t(e["auth_package"]), s(e["terminal_session"]),
                s(e["logon_time"]), None,
                wts_state(exp, e["terminal_session"]) if ok else "",
                s(e["data_status"])]
        for i, (w, g) in enumerate(zip(want, row)):
            if w is not None and w != g:
                fail(f"csv {e['luid']} {header[i]}: {g!r}, expected {w!r}")
        if len(row) != len(header):
            fail(f"csv {e['luid']}: {len(row)} columns")


BIDI = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029} | set(range(0x202A, 0x202F)) | \
    set(range(0x2066, 0x206A))


def table_name(s):
    """A name as the table prints it (common/text_safe.h): control
    characters, C1 and bidirectional controls escaped."""
    out = []
    for ch in s:
        cp = ord(ch)
        if ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif cp < 0x20 or cp == 0x7f:
            out.append("\\x%02x" % cp)
        elif 0x80 <= cp <= 0x9f or cp in BIDI:
            out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def check_table(exp, text):
    lines = text.splitlines()
    if not lines or not lines[0].startswith("LUID"):
        fail("table: no header")
        return
    rows = {}
    for line in lines[1:]:
        m = re.match(r"^([0-9a-f]{8}:[0-9a-f]{8})\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)  (.*)$",
                     line)
        if m:
            rows[m.group(1)] = m.groups()
    el = exp["logon_sessions"]
    if len(rows) != len(el):
        fail(f"table: {len(rows)} session rows, expected {len(el)}")
    for e in el:
        r = rows.get(e["luid"])
        if r is None:
            fail(f"table: no row for {e['luid']}")
            continue
        if e["data_status"] is not None:
            want = ("-", "-", "-", "-")
            if not r[6].startswith(f"(no data: {e['data_status']}"):
                fail(f"table {e['luid']}: {r[6]!r} does not give the data status")
        else:
            t = e["logon_type"] if e["logon_type"] is not None else str(e["logon_type_id"])
            want = (t, str(e["terminal_session"]), wts_state(exp, e["terminal_session"]),
                    e["logon_time"] or "-")
            user = ((table_name(e["domain"]) + "\\" if e["domain"] else "") +
                    table_name(e["user"]))
            # The table keeps to 120 columns: USER has 30, less what a type
            # longer than 17 takes; a longer name ends with "...".
            room = 30 - max(0, len(t) - 17)
            if len(user) > room:
                user = user[:room - 3] + "..."
            if r[6] != user:
                fail(f"table {e['luid']}: user {r[6]!r}, expected {user!r}")
        if r[1:5] != want:
            fail(f"table {e['luid']}: {r[1:5]}, expected {want}")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("json", "csv", "table"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as f:
        exp = json.load(f)
    with open(sys.argv[3], encoding="utf-8", newline="") as f:
        text = f.read()
    if sys.argv[1] == "json":
        try:
            act = json.loads(text)
        except ValueError as e:
            print(f"{sys.argv[3]}: not JSON: {e}", file=sys.stderr)
            return 1
        check_json(exp, act)
    elif sys.argv[1] == "csv":
        check_csv(exp, text)
    else:
        check_table(exp, text)
    for msg in errors[:50]:
        print(f"{sys.argv[3]}: {msg}", file=sys.stderr)
    if len(errors) > 50:
        print(f"... and {len(errors) - 50} more", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
