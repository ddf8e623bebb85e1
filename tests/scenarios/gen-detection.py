#!/usr/bin/env python3
"""Writes the detection scenarios: small hosts, one per leak rule and per
"never cry wolf" case, played by tests/e2e/test_detection_scenarios.sh.

Each scenario's header says what it models and what LeakWatch must raise. They
are meant for poll_interval 300ms and grace_period 2s (about 7 polls of grace:
polls are never closer than poll_interval, so something orphaned at step k is
leaked by step k + 7 at the latest, earlier only if polls are slow), except
clean-500-users (poll_interval 100ms, grace_period 1s).

A WTS session that changes state is written as consecutive entries of one ID
(one's `until` is the next one's `from`). reconnect.yaml needs the fake host to
report one LogonTime for such entries of the same user, as Windows does for a
session that disconnects and reconnects (only ConnectTime changes); a fake that
reports each entry's own `from` as LogonTime shows the detector a logoff and a
new logon instead. stuck-logoff.yaml does not depend on it: its Down entries
have no user (Windows reports none for a session going Down), and a WTS session
without a user has no LogonTime.

usage: python3 tests/scenarios/gen-detection.py NAME > tests/scenarios/NAME.yaml
       python3 tests/scenarios/gen-detection.py --all tests/scenarios
NAME: one of the keys of SCENARIOS below.
"""
import os
import sys

DOMAIN = "CONTOSO"
SID_BASE = "S-1-5-21-1004336348-1177238915-682003330-"
SAME = object()  # rdp(): the user's logon session ends with the WTS session


class Host:
    """A scenario under construction: entries are written in the order added."""

    def __init__(self, name, host, steps, header):
        self.name, self.host, self.steps, self.header = name, host, steps, header
        self.logons, self.wts = [], []
        self.rid = 2000

    # -- raw entries -------------------------------------------------------
    def logon(self, luid, user, domain, logon_type, session, sid=None, frm=None, until=None,
              logon_time=None, auth=None, upn=None):
        e = [f'  - luid: "0:{luid:x}"', f"    user: {user}", f"    domain: {domain}"]
        if sid:
            e.append(f"    sid: {sid}")
        e.append(f"    logon_type: {logon_type}")
        if auth:
            e.append(f"    auth_package: {auth}")
        if upn:
            e.append(f"    upn: {upn}")
        e.append(f"    session: {session}")
        if logon_time is not None:
            e.append(f"    logon_time: {logon_time}")
        if frm:
            e.append(f"    from: {frm}")
        if until is not None:
            e.append(f"    until: {until}")
        self.logons.append(e)

    def session(self, sid, station, state, user=None, frm=None, until=None, client=None):
        e = [f"  - id: {sid}", f"    station: {station}"]
        if user:
            e += [f"    user: {user}", f"    domain: {DOMAIN}"]
        if client:
            e.append(f"    client: {client}")
        e.append(f"    state: {state}")
        if frm:
            e.append(f"    from: {frm}")
        if until is not None:
            e.append(f"    until: {until}")
        self.wts.append(e)

    # -- building blocks ---------------------------------------------------
    def base(self):
        """The machine's own logon sessions, the console (session 1) and the
        RDP listener: present the whole run, never reported."""
        h = self.host
        for luid, user, dom, sid, typ, sess in (
            (0x3E7, f"{h}$", DOMAIN, "S-1-5-18", 0, 0),
            (0x3E4, f"{h}$", DOMAIN, "S-1-5-20", "Service", 0),
            (0x3E5, "LOCAL SERVICE", "NT AUTHORITY", "S-1-5-19", "Service", 0),
            (0x9A12, "UMFD-0", "Font Driver Host", "S-1-5-96-0-0", "Interactive", 0),
            (0x9B30, "UMFD-1", "Font Driver Host", "S-1-5-96-0-1", "Interactive", 1),
            (0xA1C4, "DWM-1", "Window Manager", "S-1-5-90-0-1", "Interactive", 1),
        ):
            self.logon(luid, user, dom, typ, sess, sid=sid, logon_time=-86400)
        self.session(0, "Services", "Disconnected")
        self.session(1, "Console", "Connected")
        self.session(65536, "RDP-Tcp", "Listen")

    def user_logon(self, luid, user, session, frm=None, until=None, logon_type="RemoteInteractive",
                   logon_time=None):
        """A domain user's logon session (Kerberos, with a SID and UPN)."""
        self.rid += 1
        self.logon(luid, user, DOMAIN, logon_type, session, sid=SID_BASE + str(self.rid), frm=frm,
                   until=until, logon_time=logon_time, auth="Kerberos", upn=f"{user}@contoso.com")

    def system_logons(self, session, dwm, umfd, frm=None, until=None, umfd_until=None):
        """DWM-n and UMFD-n of terminal session n (umfd_until: UMFD-n's own end)."""
        self.logon(umfd, f"UMFD-{session}", "Font Driver Host", "Interactive", session,
                   sid=f"S-1-5-96-0-{session}", frm=frm,
                   until=umfd_until if umfd_until is not None else until)
        self.logon(dwm, f"DWM-{session}", "Window Manager", "Interactive", session,
                   sid=f"S-1-5-90-0-{session}", frm=frm, until=until)

    def rdp(self, session, user, luid, frm=None, until=None, luid_until=SAME, state="Active",
            sys_luids=None, umfd_until=None):
        """A user's RDP session: the WTS session [frm, until), the user's
        logon session [frm, luid_until) (luid_until None: never ends; by
        default it ends with the WTS session) and, with sys_luids=(dwm, umfd),
        DWM-n / UMFD-n [frm, until) (UMFD-n until umfd_until if given)."""
        self.session(session, f"RDP-Tcp#{session}", state, user=user, frm=frm, until=until,
                     client=f"PC-{user.upper()}")
        if sys_luids:
            self.system_logons(session, sys_luids[0], sys_luids[1], frm=frm, until=until,
                               umfd_until=umfd_until)
        self.user_logon(luid, user, session, frm=frm, until=until if luid_until is SAME else luid_until)

    def render(self):
        out = [f"# {self.name}.yaml - GENERATED by gen-detection.py; edit that, not this."]
        out += ["# " + line if line else "#" for line in self.header.strip("\n").split("\n")]
        out += [f"host: {self.host}", f"steps: {self.steps}", "logon_sessions:"]
        for e in self.logons:
            out += e
        out.append("wts_sessions:")
        for e in self.wts:
            out += e
        return "\n".join(out) + "\n"


# ---- rule 1 ---------------------------------------------------------------


def leak_one():
    h = Host("leak-one", "RDSH-LEAK1", 24, """
Rule 1, one leak. alice (session 2) logs off at step 3: her WTS session and
DWM-2 end, but her logon session 0:a1000 and UMFD-2 (0:a0e00) stay alive until
step 16 (a process held their tokens). bob (session 3) stays logged on; carol
logs on at step 6 and gets ID 4 (2 is pinned); dave logs on at step 20 and
gets ID 2 again, free once the leak was released.
Expected (grace 2s, poll 300ms): one 2001 each for 00000000:000a0e00 and
00000000:000a1000 (same poll, by step 10), one 2002 each at step 16;
v_leaks: those two rows, terminal session 2, released.""")
    h.base()
    h.rdp(2, "alice", 0xA1000, until=3, luid_until=16, sys_luids=(0xA0F00, 0xA0E00), umfd_until=16)
    h.rdp(3, "bob", 0xB1000, sys_luids=(0xB0F00, 0xB0E00))
    h.rdp(4, "carol", 0xC1000, frm=6, sys_luids=(0xC0F00, 0xC0E00))
    h.rdp(2, "dave", 0xD1000, frm=20, sys_luids=(0xD0F00, 0xD0E00))
    return h


# ---- rule 2 ---------------------------------------------------------------


def gap():
    h = Host("gap", "RDSH-GAP", 28, """
Rule 2, the session-ID gap (gap_threshold 3). gap01..gap03 (sessions 2-4) log
off at step 2 and gap04..gap06 (sessions 5-7) at step 12, but their
RemoteInteractive logon sessions live on (DWM-n / UMFD-n end cleanly). gap07
logs on at step 1 and gets ID 9. gap08 (session 8) logs off cleanly at step
10: a free ID, never counted. At step 24 the leaks of gap01..gap05 are
released; gap06's (session 7) stays to the end.
Expected (grace 2s, poll 300ms): 2003 with 3 pinned IDs "2-4" (highest ID in
use 9, 7 live sessions: 0 1 5 6 7 8 9) when gap01..03 leak (by step 9); 2003
with 6, "2-7" (highest 9, live 0 1 9) when gap04..06 leak (by step 19); 2004
with 1 remaining at step 24. Six 2001s, five 2002s; v_leaks: six rows on
sessions 2-7, all released but 0:b6000 (session 7).""")
    h.base()
    for k in range(6):
        session = 2 + k
        end = 2 if k < 3 else 12
        luid = 0xB1000 + k * 0x1000
        h.rdp(session, f"gap{k + 1:02d}", luid, until=end, luid_until=24 if k < 5 else None,
              sys_luids=(luid - 0x100, luid - 0x200))
    h.rdp(8, "gap08", 0xB9000, until=10, sys_luids=(0xB8F00, 0xB8E00))
    h.rdp(9, "gap07", 0xB8000, frm=1, sys_luids=(0xB7F00, 0xB7E00))
    return h


# ---- rule 3 ---------------------------------------------------------------


def accumulation():
    h = Host("accumulation", "RDSH-ACCUM", 26, """
Rule 3 (accumulation_threshold 4). A scheduled job logs CONTOSO\\svc-report on
(Batch, session 0) and leaks the token: sessions 0:e1000..0:e4000 appear at
steps 0-3, 0:e5000..0:e8000 at steps 12-15, none ends. Not counted: three
Network logons of svc-report (another logon type), three Batch logons of
svc-other (below the threshold), and ten Batch logons of svc-quick that live
one step each (never older than grace_period).
Expected (grace 2s, poll 300ms): one 2005 (CONTOSO\\svc-report, Batch (4), 4)
when the first four are old enough (by step 10), one more with 8 when the
next four are (by step 22); nothing else, v_leaks empty.""")
    h.base()
    for k in range(8):
        frm = k if k < 4 else 12 + (k - 4)
        h.user_logon(0xE1000 + k * 0x1000, "svc-report", 0, frm=frm, logon_type="Batch")
    for k in range(3):
        h.user_logon(0xE9000 + k * 0x100, "svc-report", 0, frm=k, logon_type="Network")
        h.user_logon(0xEA000 + k * 0x100, "svc-other", 0, frm=k, logon_type="Batch")
    for k in range(10):
        h.user_logon(0xEB000 + k * 0x100, "svc-quick", 0, frm=2 * k, until=2 * k + 1,
                     logon_type="Batch")
    h.rdp(2, "alice", 0xA1000, sys_luids=(0xA0F00, 0xA0E00))
    return h


# ---- rule 4 ---------------------------------------------------------------


def stuck_logoff():
    h = Host("stuck-logoff", "RDSH-STUCK", 24, """
Rule 4. dave logs off session 3 at step 4, but the logoff hangs: the session
is Down (no user reported any more, as Windows does) from step 4 until it
finally ends at step 20, with dave's logon session and DWM-3 / UMFD-3. erin's
logoff (session 4) is Down for two steps only (6 and 7). alice stays logged on.
Expected (grace 2s, poll 300ms): one 2006 (session 3, CONTOSO\\dave) by step
11; nothing else, v_leaks empty.""")
    h.base()
    h.rdp(2, "alice", 0xA1000, sys_luids=(0xA0F00, 0xA0E00))
    h.rdp(3, "dave", 0xD1000, until=4, luid_until=20)
    h.session(3, "RDP-Tcp#3", "Down", frm=4, until=20)
    h.system_logons(3, 0xD0F00, 0xD0E00, until=20)
    h.rdp(4, "erin", 0xE1000, until=6, luid_until=8)
    h.session(4, "RDP-Tcp#4", "Down", frm=6, until=8)
    return h


# ---- never cry wolf -------------------------------------------------------


def disconnected():
    h = Host("disconnected", "RDSH-DISC", 25, """
Never cry wolf: disconnected sessions. frank (session 2) and gina (session 3)
are disconnected for the whole run (far longer than grace_period); frank also
has a second logon session of his own in session 2 (runas, Interactive).
hank (session 4) is disconnected until his idle timeout logs him off at step
12; his logon session ends one step after his WTS session. ivy (session 5) is
active throughout.
Expected: only 1000 and 1001; v_alerts and v_leaks empty.""")
    h.base()
    h.rdp(2, "frank", 0xF1000, state="Disconnected", sys_luids=(0xF0F00, 0xF0E00))
    h.user_logon(0xF1100, "frank", 2, logon_type="Interactive")
    h.rdp(3, "gina", 0xF2000, state="Disconnected", sys_luids=(0xF1F00, 0xF1E00))
    h.rdp(4, "hank", 0xF3000, until=12, luid_until=13, state="Disconnected",
          sys_luids=(0xF2F00, 0xF2E00))
    h.rdp(5, "ivy", 0xF4000, sys_luids=(0xF3F00, 0xF3E00))
    return h


def reconnect():
    h = Host("reconnect", "RDSH-RECON", 26, """
Never cry wolf: reconnects and logging on again.
- jack (session 2, logon session 0:71000) disconnects at step 4 and
  reconnects at step 12 into the same session: Windows keeps the session ID,
  the logon session and the session's LogonTime (only ConnectTime changes).
  The reconnect goes through a temporary session 4 (the logon screen, no user)
  with its own DWM-4 / UMFD-4, steps 11-12, which ends cleanly.
- kim (session 3) logs off at step 6 and logs on again at step 9: a new
  logon session (0:73000 -> 0:74000), the lowest free ID (3) again.
- lea (session 5) is logged on the whole run (control).
jack's three WTS entries need a fake host that reports one LogonTime for
consecutive entries of one ID and user (see gen-detection.py).
Expected: only 1000 and 1001; v_alerts and v_leaks empty.""")
    h.base()
    # jack: one WTS session whose state changes (three entries of ID 2).
    h.session(2, "RDP-Tcp#2", "Active", user="jack", until=4, client="PC-JACK")
    h.session(2, "RDP-Tcp#2", "Disconnected", user="jack", frm=4, until=12, client="PC-JACK")
    h.session(2, "RDP-Tcp#2", "Active", user="jack", frm=12, client="PC-JACK")
    h.system_logons(2, 0x70F00, 0x70E00)
    h.user_logon(0x71000, "jack", 2)
    h.session(4, "RDP-Tcp#4", "ConnectQuery", frm=11, until=13)
    h.system_logons(4, 0x72F00, 0x72E00, frm=11, until=13)
    h.rdp(3, "kim", 0x73000, until=6, sys_luids=(0x72D00, 0x72C00))
    h.rdp(3, "kim", 0x74000, frm=9, sys_luids=(0x73F00, 0x73E00))
    h.rdp(5, "lea", 0x75000, sys_luids=(0x74F00, 0x74E00))
    return h


def id_reuse():
    h = Host("id-reuse", "RDSH-REUSE", 24, """
Never cry wolf: session IDs reused after clean logoffs.
- Session 2: mia logs off at step 5 and, in the same step, nick logs on to
  ID 2 (a new user: a new session). nick logs off at step 15; olga gets ID 2
  at step 17.
- Session 3: paul logs off at step 6 (his logon session ends one step later,
  as Windows often does); quinn gets ID 3 at step 8.
- Session 4: rita logs off at step 10 and logs on again in the same step to ID
  4 (same user, new logon time, new logon session; the old one ends a step
  later).
- Session 5: sam's logon session appears at step 12, his WTS session one step
  later (the enumerations straddled the logon); he logs off at step 20.
Expected: only 1000 and 1001; v_alerts and v_leaks empty.""")
    h.base()
    h.rdp(2, "mia", 0x81000, until=5, sys_luids=(0x80F00, 0x80E00))
    h.rdp(2, "nick", 0x82000, frm=5, until=15, sys_luids=(0x81F00, 0x81E00))
    h.rdp(2, "olga", 0x83000, frm=17, sys_luids=(0x82F00, 0x82E00))
    h.rdp(3, "paul", 0x84000, until=6, luid_until=7, sys_luids=(0x83F00, 0x83E00))
    h.rdp(3, "quinn", 0x85000, frm=8, sys_luids=(0x84F00, 0x84E00))
    h.rdp(4, "rita", 0x86000, until=10, luid_until=11, sys_luids=(0x85F00, 0x85E00))
    h.rdp(4, "rita", 0x87000, frm=10, sys_luids=(0x86F00, 0x86E00))
    h.session(5, "RDP-Tcp#5", "Active", user="sam", frm=13, until=20, client="PC-SAM")
    h.system_logons(5, 0x87F00, 0x87E00, frm=12, until=20)
    h.user_logon(0x88000, "sam", 5, frm=12, until=20)
    return h


def clean_500_users():
    steps, users = 200, 500
    h = Host("clean-500-users", "RDSH-500", steps, f"""
Never cry wolf at scale (issue 5 acceptance): {users} users log on and off
cleanly over {steps} polls. User i logs on at step (i * {steps - 10}) // {users}
and stays 3 + (i * 7) % 23 steps; Windows gives each new session the lowest free
ID. Every 10th user's logon session ends one step after its WTS session; every
7th user's logon session appears one step before its WTS session. DWM-n and
UMFD-n follow the WTS session. A service account's Network logons come and go
(one step each).
Expected (poll 100ms, grace 1s): only 1000 and 1001; v_alerts and v_leaks
empty.""")
    h.base()
    busy = {}  # session ID -> step from which it is free again
    luid = 0x100000
    for i in range(users):
        start = (i * (steps - 10)) // users
        stay = 3 + (i * 7) % 23
        end = min(start + stay, steps)
        lsa_start = start - 1 if i % 7 == 3 and start > 0 else start
        lsa_end = end + 1 if i % 10 == 5 and end < steps else end
        # the lowest ID with no live WTS or logon session at any step we need
        sid = 2
        while busy.get(sid, 0) > lsa_start:
            sid += 1
        busy[sid] = lsa_end
        name = f"u{i + 1:03d}"
        h.session(sid, f"RDP-Tcp#{sid}", "Active", user=name, frm=start,
                  until=end if end < steps else None, client=f"THIN-{i % 40:02d}")
        h.system_logons(sid, luid, luid + 1, frm=lsa_start,
                        until=lsa_end if lsa_end < steps else None)
        h.user_logon(luid + 2, name, sid, frm=lsa_start, until=lsa_end if lsa_end < steps else None)
        luid += 0x10
    for s in range(0, steps, 3):
        h.user_logon(0x900000 + s, "svc-backup", 0, frm=s, until=s + 1, logon_type="Network")
    return h


# ---- restart mid-episode ---------------------------------------------------

RESTART_HEADER = """
Restart mid-episode, played as two scenarios: restart-1 (steps 0-14), then
the service is stopped and started again and restart-2 continues from the
same host state (its step 0 = restart-1's last step; WTS sessions alive at
the restart start at step 0 in both, so their LogonTime is the same).
- nora (session 2, logon session 0:91000) logs off at step 2 of restart-1;
  her logon session lives on: leaked (2001) before the restart, released at
  step 3 of restart-2, sooner after the restart than grace_period: only a
  restored state knows it was leaked and reports the 2002.
- omar (session 3, 0:92000) logs off at step 14, the last of restart-1:
  orphaned, not yet leaked at the restart; leaked after it (one 2001, the
  grace counted from step 14), released at step 15 of restart-2.
- pia (session 4) is logged on throughout; session 5 is Down (no user)
  throughout: one 2006 before the restart, none after.
Expected (grace 2s, poll 300ms): before the restart 2006 (5) and 2001
0:91000; after it 2001 0:92000, 2002 0:91000, 2002 0:92000. v_leaks: two
rows, both released."""


def restart(part):
    if part == 1:
        h = Host("restart-1", "RDSH-RESTART", 15, RESTART_HEADER)
    else:
        h = Host("restart-2", "RDSH-RESTART", 20, RESTART_HEADER)
    h.base()
    # Logon times are explicit: they must be the same in both parts.
    if part == 1:
        h.session(2, "RDP-Tcp#2", "Active", user="nora", until=2, client="PC-NORA")
        h.user_logon(0x91000, "nora", 2, logon_time=-600)
        h.session(3, "RDP-Tcp#3", "Active", user="omar", until=14, client="PC-OMAR")
        h.user_logon(0x92000, "omar", 3, logon_time=-500)
    else:
        h.user_logon(0x91000, "nora", 2, until=3, logon_time=-600)
        h.user_logon(0x92000, "omar", 3, until=15, logon_time=-500)
    h.session(4, "RDP-Tcp#4", "Active", user="pia", client="PC-PIA")
    h.user_logon(0x93000, "pia", 4, logon_time=-400)
    h.system_logons(4, 0x92F00, 0x92E00)
    h.session(5, "RDP-Tcp#5", "Down")
    return h


SCENARIOS = {
    "leak-one": leak_one,
    "gap": gap,
    "accumulation": accumulation,
    "stuck-logoff": stuck_logoff,
    "disconnected": disconnected,
    "reconnect": reconnect,
    "id-reuse": id_reuse,
    "clean-500-users": clean_500_users,
    "restart-1": lambda: restart(1),
    "restart-2": lambda: restart(2),
}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--all":
        for name, make in SCENARIOS.items():
            with open(os.path.join(sys.argv[2], name + ".yaml"), "w", encoding="utf-8") as f:
                f.write(make().render())
        return
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(__doc__)
    sys.stdout.write(SCENARIOS[sys.argv[1]]().render())


if __name__ == "__main__":
    main()
