#!/usr/bin/env python3
"""Checks `leakwatch leaks` and `leakwatch status` (outputs left by
test_leaks_status.sh in WORK) against the scenario's last step, as
check-alert-flood.py reads it: the leaked users, the pinned IDs, the highest
ID. usage: check-leaks-status.py SCENARIO WORK
"""
import csv
import importlib.util
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
spec = importlib.util.spec_from_file_location("flood", os.path.join(here, "check-alert-flood.py"))
flood = importlib.util.module_from_spec(spec)
spec.loader.exec_module(flood)

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def ranges(ids):
    out, ids = [], sorted(ids)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ", ".join(out)


def main():
    scenario, work = sys.argv[1], sys.argv[2]
    users, pinned, highest = flood.scenario_truth(scenario)
    rows = json.load(open(os.path.join(work, "leaks.json.lf"), encoding="utf-8"))
    got = {f"{r['domain']}\\{r['user']}" for r in rows}
    check(got == users, f"leaks --json: {len(got)} users, the scenario {len(users)}; "
          f"missing {sorted(users - got)[:3]}, extra {sorted(got - users)[:3]}")
    check(len(rows) == len(users), f"leaks --json: {len(rows)} rows for {len(users)} users")
    check(all(r["kind"] == "user" and r["released_at"] is None for r in rows),
          "leaks --json: a row that is not an open user leak")
    check({r["terminal_session"] for r in rows} == pinned,
          "leaks --json: the rows' terminal sessions are not the pinned IDs")
    folded = [r for r in rows if r["system_logons"] == 2 and len(r["system_luids"]) == 2]
    check(len(folded) == 15 and sum(r["system_logons"] for r in rows) == 30,
          f"leaks --json: {len(folded)} rows with their DWM and UMFD folded in, want 15")

    table = open(os.path.join(work, "leaks.txt.lf"), encoding="utf-8").read().splitlines()
    wide = [line for line in table if len(line) > 120]
    check(not wide, f"leaks table: {len(wide)} lines wider than 120 columns: {wide[:1]}")
    check(table[0].split() == ["LUID", "SESSION", "LEAKED", "AT", "SESSION", "END", "SYS", "USER"],
          f"leaks table: header {table[0]!r}")
    check(f"{len(users)} open leaks, " in "\n".join(table), "leaks table: no count line")

    with open(os.path.join(work, "leaks.csv.lf"), newline="", encoding="utf-8") as f:
        crows = list(csv.reader(f, strict=True))
    check(crows[0][:3] == ["boot_id", "luid", "user"] and len(crows) == len(rows) + 1,
          f"leaks --csv: {len(crows)} rows, header {crows[0][:3]}")
    check({f"{r[3]}\\{r[2]}" for r in crows[1:]} == users, "leaks --csv: not the scenario's users")

    st = json.load(open(os.path.join(work, "status.json.lf"), encoding="utf-8"))
    want = {"status": "not polling", "exit_code": 2, "polling": False,
            "open_leaks": len(users), "pinned_ids": len(pinned), "pinned_ranges": ranges(pinned),
            "highest_session_id": highest}
    for k, v in want.items():
        check(st.get(k) == v, f"status --json: {k} is {st.get(k)!r}, want {v!r}")
    check(st.get("service") != "running", f"status --json: service {st.get('service')!r}")
    check(st.get("oldest_leak") and f"{st['oldest_leak']['domain']}\\{st['oldest_leak']['user']}"
          in users, f"status --json: oldest leak {st.get('oldest_leak')!r}")
    for when, code, word, svc in (("running", 1, "leaks open", "running"),
                                  ("stopped", 2, "not polling", "stopped")):
        rc = int(open(os.path.join(work, "run", f"status-{when}.rc")).read())
        js = json.loads(open(os.path.join(work, "run", f"status-{when}.json"), "rb").read()
                        .decode("utf-8").replace("\r", ""))
        check(rc == code and js.get("exit_code") == code and js.get("status") == word and
              js.get("service") == svc and js.get("polling") == (code == 1),
              f"status while the service is {when}: exit {rc}, {js.get('status')!r}, service "
              f"{js.get('service')!r}, polling {js.get('polling')!r}; want {code}, {word!r}, "
              f"{svc!r}")
        check(js.get("pinned_ranges") == ranges(pinned) and
              js.get("highest_session_id") == highest and js.get("open_leaks") == len(users),
              f"status while the service is {when}: {js.get('open_leaks')} open, pinned "
              f"{js.get('pinned_ranges')!r}, highest {js.get('highest_session_id')}")
    miss = json.load(open(os.path.join(work, "missing.json.lf"), encoding="utf-8"))
    check(miss.get("exit_code") == 3 and miss.get("status") == "unknown" and miss.get("error"),
          f"status on a missing database: {miss!r}")

    last = open(os.path.join(work, "last_poll.txt"), encoding="utf-8").read().strip().split("|")
    check(len(last) == 4 and int(last[1]) == len(pinned) and int(last[2]) == highest
          and int(last[0]) >= len(users),
          f"v_polls' last figures {last}: want pinned {len(pinned)}, highest {highest}")
    check(int(last[2]) == st.get("highest_session_id") and int(last[3]) == st.get("live_sessions"),
          "status --json's highest ID / live sessions differ from v_polls'")

    if failures:
        for m in failures:
            print(f"FAIL: {m}", file=sys.stderr)
        sys.exit(1)
    print(f"check-leaks-status: leaks = the scenario's {len(users)} users (15 with DWM/UMFD "
          f"folded in); status: leaks open (1) while the service runs, not polling (2) once "
          f"stopped, pinned {ranges(pinned)}, highest {highest}; a missing database: unknown (3)")


if __name__ == "__main__":
    main()
