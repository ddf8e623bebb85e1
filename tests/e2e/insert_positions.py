#!/usr/bin/env python3
"""The documented insertion-string positions (common/events.h's LW_INSERTS_<ID>
names, README's table) checked against what ReportEventW received: each
alert's count of insertion strings, and each string's form by its name (a
LUID where LUID is, a UTC time or "unknown" where a time is, a number where a
count is, "yes"/"no" where END_SEEN is, a user and a domain apart).

As a module: positions(root) -> {event_id: [NAME, ...]}, problems(events,
names) -> [text]. As a script: insert_positions.py ROOT EVENTLOG_TXT.
"""
import os
import re
import sys

LUID = r"[0-9a-f]{8}:[0-9a-f]{8}"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
# The form of a name's value; names not listed may hold any text. Wine's
# trace cuts a long string and appends "...", so free texts are not checked.
FORMS = {
    "LUID": LUID,
    "LOGON_TIME": f"{TIME}|unknown",
    "ENDED_AT": f"{TIME}|unknown",
    "FIRST_SEEN_ENDED": TIME,
    "SINCE": TIME,
    "END_SEEN": "yes|no",
    "LOGON_TYPE": r"\d+",
    "TERMINAL_SESSION": r"\d+",
    "SESSION_ID": r"\d+",
    "MINUTES_PINNED": r"\d+",
    "MINUTES_DOWN": r"\d+",
    "SYSTEM_LOGONS": r"\d+",
    "COUNT": r"\d+",
    "GAP_THRESHOLD": r"\d+",
    "LIVE_SESSIONS": r"\d+",
    "HIGHEST_ID": r"\d+|none",
    "HELD_BACK": r"\d+",
    "MAX_PER_HOUR": r"\d+",
    "OPEN_LEAKS": r"\d+",
    "USER_COUNT": r"\d+",
    "PINNED_COUNT": r"\d+",
    "PID": r"\d+",
    "TOKENS": r"\d+",
    "REASON": "the hour ended|the service is stopping",
    "USER": r"[^\\\\]+",  # one fact: no DOMAIN\\ in it
    "DOMAIN": r"[^\\\\]*",
    "SYSTEM_LOGON_LIST": rf"none|{LUID} .*",
    "ID_RANGES": r"none|\d+(-\d+)?(, \d+(-\d+)?)*(, \.\.\. and \d+ more ranges)?(\.\.\.)?|.*\.\.\.",
    "PINNED_RANGES": r"none|\d+(-\d+)?(, \d+(-\d+)?)*(, \.\.\. and \d+ more ranges)?(\.\.\.)?|.*\.\.\.",
}


def positions(root):
    with open(os.path.join(root, "common", "events.h"), encoding="utf-8") as f:
        text = f.read()
    names = {}
    for m in re.finditer(r"F\((\d+),\s*(\w+)\)", text):
        names.setdefault(int(m.group(1)), []).append(m.group(2))
    return names


def problems(events, names):
    """events: [(event_id, [insert, ...])] as eventlog.txt has them."""
    out = []
    for k, (eid, inserts) in enumerate(events, 1):
        want = names.get(eid)
        if want is None:
            continue
        if len(inserts) != len(want):
            out.append(f"event {k} ({eid}): {len(inserts)} insertion strings, events.h names "
                       f"{len(want)}: {inserts}")
            continue
        for n, (name, value) in enumerate(zip(want, inserts), 1):
            form = FORMS.get(name)
            if form is not None and not re.fullmatch(form, value, re.S):
                out.append(f"event {k} ({eid}): %{n} {name} is {value!r}, not of its form")
    return out


def read_eventlog(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^id=(\d+) type=(\S+) ?(.*)$", line.rstrip("\n"))
            if m:
                events.append((int(m.group(1)), m.group(3).split(" | ") if m.group(3) else []))
    return events


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: insert_positions.py ROOT EVENTLOG_TXT")
    found = problems(read_eventlog(sys.argv[2]), positions(sys.argv[1]))
    for p in found:
        print(f"FAIL: {p}", file=sys.stderr)
    sys.exit(1 if found else 0)
