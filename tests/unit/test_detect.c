/* Unit tests for detect.c: every rule of issue 5 (leaked logon sessions, pinned
 * session IDs, accumulation, stuck logoff), the "never cry wolf" cases, restart
 * from a saved state, reboot, the rate limit through the detector, the exact
 * insertion strings (the 2-to-152 host), and the state blob. A small simulated
 * host builds the snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ack.h"
#include "config.h"
#include "detect.h"
#include "error.h"
#include "luid.h"
#include "snapshot.h"
#include "timefmt.h"

#define SEC INT64_C(1000)
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2026-11-21T09:00:00Z */
#define T0 INT64_C(1795251600000)
#define BOOT (T0 - 2 * DAY)

/* ---- A simulated host ---------------------------------------------------- */

struct sl {
  uint64_t luid;
  char user[48], domain[48], sid[48];
  uint32_t type, ts, status;
  int procs;
  int64_t logon_time;
};

struct sw {
  uint32_t id, state;
  char user[48], domain[48];
  int64_t logon_time;
};

struct sim {
  struct sl *l;
  size_t nl, capl;
  struct sw *w;
  size_t nw, capw;
  int64_t now, boot;
  struct lw_detect_state st;
  struct lw_detect_config cfg;
  struct lw_detect_output out;
  size_t total[2010]; /* alerts per event ID over all steps */
  size_t total_suppressed;
  int save_load_each_step; /* restart the detector between every two polls */
};

static void cpy(char *dst, const char *src) {
  snprintf(dst, 48, "%s", src != NULL ? src : "");
}

static struct sim *sim_new(void) {
  struct sim *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->now = T0;
  s->boot = BOOT;
  lw_detect_state_init(&s->st);
  lw_detect_output_init(&s->out);
  s->cfg.grace_period_ms = 10 * MIN;
  s->cfg.gap_threshold = 10;
  s->cfg.accumulation_threshold = 25;
  s->cfg.alerts_max_per_hour = 0; /* rules first; the rate limit has its own tests */
  s->cfg.holders_enabled = 1;
  return s;
}

static void sim_free(struct sim *s) {
  lw_detect_output_free(&s->out);
  lw_detect_state_free(&s->st);
  free(s->l);
  free(s->w);
  free(s);
}

static struct sl *find_l(struct sim *s, uint64_t luid) {
  for (size_t i = 0; i < s->nl; i++)
    if (s->l[i].luid == luid)
      return &s->l[i];
  return NULL;
}

static struct sw *find_w(struct sim *s, uint32_t id) {
  for (size_t i = 0; i < s->nw; i++)
    if (s->w[i].id == id)
      return &s->w[i];
  return NULL;
}

static struct sl *add_l(struct sim *s, uint64_t luid, const char *user, const char *domain,
                        uint32_t type, uint32_t ts, int procs) {
  struct sl *l;
  assert_null(find_l(s, luid));
  if (s->nl == s->capl) {
    s->capl = s->capl ? s->capl * 2 : 64;
    s->l = realloc(s->l, s->capl * sizeof *s->l);
    assert_non_null(s->l);
  }
  l = &s->l[s->nl++];
  memset(l, 0, sizeof *l);
  l->luid = luid;
  cpy(l->user, user);
  cpy(l->domain, domain);
  l->type = type;
  l->ts = ts;
  l->procs = procs;
  l->logon_time = s->now;
  return l;
}

/* DWM-n and UMFD-n of terminal session n (with their SIDs), one process each. */
static void add_sys(struct sim *s, uint32_t n, uint64_t luid_umfd, uint64_t luid_dwm) {
  char name[32];
  struct sl *l;
  snprintf(name, sizeof name, "UMFD-%u", n);
  l = add_l(s, luid_umfd, name, "Font Driver Host", LW_LOGON_INTERACTIVE, n, 1);
  snprintf(l->sid, sizeof l->sid, "S-1-5-96-0-%u", n);
  snprintf(name, sizeof name, "DWM-%u", n);
  l = add_l(s, luid_dwm, name, "Window Manager", LW_LOGON_INTERACTIVE, n, 1);
  snprintf(l->sid, sizeof l->sid, "S-1-5-90-0-%u", n);
}

static struct sw *add_w(struct sim *s, uint32_t id, uint32_t state, const char *user,
                        const char *domain) {
  struct sw *w;
  assert_null(find_w(s, id));
  if (s->nw == s->capw) {
    s->capw = s->capw ? s->capw * 2 : 64;
    s->w = realloc(s->w, s->capw * sizeof *s->w);
    assert_non_null(s->w);
  }
  w = &s->w[s->nw++];
  memset(w, 0, sizeof *w);
  w->id = id;
  w->state = state;
  cpy(w->user, user);
  cpy(w->domain, domain);
  w->logon_time = user != NULL && user[0] ? s->now : LW_TIME_UNKNOWN;
  return w;
}

static void kill_l(struct sim *s, uint64_t luid) {
  struct sl *l = find_l(s, luid);
  assert_non_null(l);
  *l = s->l[--s->nl];
}

static void kill_w(struct sim *s, uint32_t id) {
  struct sw *w = find_w(s, id);
  assert_non_null(w);
  *w = s->w[--s->nw];
}

/* The host every test starts from: SYSTEM & co, session 0 and a listener. */
static void base_host(struct sim *s) {
  add_l(s, LW_LUID_SYSTEM, "RDSH01$", "CONTOSO", 0, 0, 80);
  add_l(s, LW_LUID_NETWORK_SERVICE, "RDSH01$", "CONTOSO", LW_LOGON_SERVICE, 0, 10);
  add_l(s, LW_LUID_LOCAL_SERVICE, "LOCAL SERVICE", "NT AUTHORITY", LW_LOGON_SERVICE, 0, 10);
  add_w(s, 0, LW_WTS_DISCONNECTED, NULL, NULL);
  add_w(s, 65536, LW_WTS_LISTEN, NULL, NULL);
}

/* A user's RDP session: WTS id Active, DWM/UMFD, and the user's logon session
 * (LUID `luid`, 4 processes). The system logons get luid+1 and luid+2. */
static void rdp_logon(struct sim *s, uint32_t id, const char *user, uint64_t luid) {
  add_w(s, id, LW_WTS_ACTIVE, user, "CONTOSO");
  add_sys(s, id, luid + 1, luid + 2);
  add_l(s, luid, user, "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, id, 4);
}

static struct lw_snapshot *build(struct sim *s) {
  struct lw_snapshot *snap = lw_snapshot_new();
  uint32_t pid = 4;
  assert_non_null(snap);
  snap->taken_at = s->now;
  snap->boot_time = s->boot;
  for (size_t i = 0; i < s->nl; i++) {
    const struct sl *x = &s->l[i];
    struct lw_logon_session *l = lw_snapshot_add_logon(snap);
    assert_non_null(l);
    l->luid = x->luid;
    l->data_status = x->status;
    if (x->status == 0) {
      l->logon_type = x->type;
      l->terminal_session = x->ts;
      l->logon_time = x->logon_time;
      l->user = lw_snapshot_strdup(snap, x->user);
      l->domain = lw_snapshot_strdup(snap, x->domain);
      l->sid = x->sid[0] ? lw_snapshot_strdup(snap, x->sid) : NULL;
    }
    for (int p = 0; p < x->procs; p++) {
      struct lw_process *pr = lw_snapshot_add_process(snap);
      assert_non_null(pr);
      pr->pid = pid += 4;
      pr->luid = x->luid;
      pr->session_id = x->ts;
    }
  }
  for (size_t i = 0; i < s->nw; i++) {
    const struct sw *x = &s->w[i];
    struct lw_wts_session *w = lw_snapshot_add_wts(snap);
    assert_non_null(w);
    w->id = x->id;
    w->state = x->state;
    w->user = x->user[0] ? lw_snapshot_strdup(snap, x->user) : NULL;
    w->domain = x->domain[0] ? lw_snapshot_strdup(snap, x->domain) : NULL;
    w->logon_time = x->logon_time;
  }
  lw_snapshot_finish(snap);
  return snap;
}

static void save_load(struct lw_detect_state *st) {
  char *blob = NULL, *blob2 = NULL;
  size_t len = 0, len2 = 0;
  struct lw_detect_state back;
  assert_int_equal(lw_detect_state_save(st, &blob, &len), 0);
  lw_detect_state_init(&back);
  assert_int_equal(lw_detect_state_load(blob, len, &back), 0);
  /* Saving the loaded state gives the same bytes. */
  assert_int_equal(lw_detect_state_save(&back, &blob2, &len2), 0);
  assert_int_equal(len, len2);
  assert_memory_equal(blob, blob2, len);
  lw_detect_state_free(st);
  *st = back;
  free(blob);
  free(blob2);
}

/* One poll at s->now. */
static void step(struct sim *s) {
  struct lw_snapshot *snap = build(s);
  if (s->save_load_each_step)
    save_load(&s->st);
  assert_int_equal(lw_detect_step(&s->st, snap, &s->cfg, &s->out), 0);
  for (size_t i = 0; i < s->out.n_alerts; i++) {
    assert_true(s->out.alerts[i].event_id < 2010);
    s->total[s->out.alerts[i].event_id]++;
    s->total_suppressed += s->out.alerts[i].suppressed != 0;
  }
  lw_snapshot_free(snap);
}

static void step_at(struct sim *s, int64_t t) {
  s->now = t;
  step(s);
}

static size_t count_ev(const struct lw_detect_output *o, uint32_t id) {
  size_t n = 0;
  for (size_t i = 0; i < o->n_alerts; i++)
    n += o->alerts[i].event_id == id;
  return n;
}

static const struct lw_alert *find_ev(const struct lw_detect_output *o, uint32_t id,
                                      uint64_t luid) {
  for (size_t i = 0; i < o->n_alerts; i++)
    if (o->alerts[i].event_id == id && (luid == 0 || o->alerts[i].luid == luid))
      return &o->alerts[i];
  return NULL;
}

static size_t total_alerts(const struct sim *s) {
  size_t n = 0;
  for (size_t i = 0; i < 2010; i++)
    n += s->total[i];
  return n;
}

static void assert_inserts(const struct lw_alert *a, size_t n, ...) {
  va_list ap;
  assert_non_null(a);
  assert_int_equal(a->n_inserts, n);
  va_start(ap, n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(a->inserts[i], va_arg(ap, const char *));
  va_end(ap);
}

/* ---- Rule 1: leaked logon sessions --------------------------------------- */

static void test_leak_and_release(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x2a03e6);
  find_l(s, 0x2a03e6)->logon_time = T0 - 5 * MIN;
  step(s);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->out.new_boot, 1);
  step_at(s, T0 + MIN);
  assert_int_equal(s->out.new_boot, 0);

  /* Logoff at 09:02: the WTS session, DWM and UMFD go, alice's logon session stays. */
  kill_w(s, 2);
  kill_l(s, 0x2a03e6 + 1);
  kill_l(s, 0x2a03e6 + 2);
  find_l(s, 0x2a03e6)->procs = 0;
  step_at(s, T0 + 2 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->out.orphaned, 1);
  assert_int_equal(s->out.leaked, 0);
  for (int m = 3; m < 12; m++) {
    step_at(s, T0 + m * MIN);
    assert_int_equal(s->out.n_alerts, 0);
  }
  /* Ten minutes orphaned: leaked. */
  step_at(s, T0 + 12 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x2a03e6);
  assert_inserts(a, 14, "00000000:002a03e6", "alice", "CONTOSO", "10", "RemoteInteractive", "2",
                 "2026-11-21T08:55:00Z", "2026-11-21T09:02:00Z", "yes", "2026-11-21T09:02:00Z",
                 "10", "0", "none", LW_DETECT_HOLDERS_PENDING);
  assert_int_equal(a->end_seen, 1);
  assert_true(a->orphan_seen_at == T0 + 2 * MIN);
  assert_int_equal(a->system_logons, 0);
  assert_string_equal(a->user, "alice");
  assert_string_equal(a->domain, "CONTOSO");
  assert_int_equal(a->logon_type, LW_LOGON_REMOTE_INTERACTIVE);
  assert_int_equal(a->terminal_session, 2);
  assert_true(a->logon_time == T0 - 5 * MIN);
  assert_true(a->session_ended_at == T0 + 2 * MIN);
  assert_int_equal(a->minutes, 10);
  assert_int_equal(a->suppressed, 0);
  assert_int_equal(s->out.n_changes, 1);
  assert_int_equal(s->out.changes[0].kind, LW_LEAK_OPENED);
  assert_true(s->out.changes[0].luid == 0x2a03e6);
  assert_string_equal(s->out.changes[0].user, "alice");
  assert_string_equal(s->out.changes[0].domain, "CONTOSO");
  assert_int_equal(s->out.changes[0].terminal_session, 2);
  assert_int_equal(s->out.changes[0].logon_type, LW_LOGON_REMOTE_INTERACTIVE);
  assert_true(s->out.changes[0].logon_time == T0 - 5 * MIN);
  assert_true(s->out.changes[0].session_ended_at == T0 + 2 * MIN);
  assert_int_equal(s->out.changes[0].end_seen, 1);
  assert_int_equal(s->out.changes[0].system, 0);
  assert_true(s->out.changes[0].with_luid == 0);
  assert_true(s->out.changes[0].leaked_at == T0 + 12 * MIN);
  assert_true(s->out.changes[0].released_at == LW_TIME_UNKNOWN);
  assert_true(s->out.changes[0].boot_time == BOOT);
  assert_int_equal(s->out.leaked, 1);
  assert_int_equal(s->out.pinned_ids, 1);

  /* Once per episode. */
  for (int m = 13; m < 30; m++) {
    step_at(s, T0 + m * MIN);
    assert_int_equal(s->out.n_alerts, 0);
    assert_int_equal(s->out.n_changes, 0);
  }
  /* Released at 09:30: pinned for 28 minutes. */
  kill_l(s, 0x2a03e6);
  step_at(s, T0 + 30 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_SESSION_RELEASED, 0x2a03e6);
  assert_inserts(a, 6, "00000000:002a03e6", "alice", "CONTOSO", "2", "28", "yes");
  assert_int_equal(a->minutes, 28);
  assert_int_equal(s->out.n_changes, 1);
  assert_int_equal(s->out.changes[0].kind, LW_LEAK_RELEASED);
  assert_true(s->out.changes[0].released_at == T0 + 30 * MIN);
  assert_true(s->out.changes[0].leaked_at == T0 + 12 * MIN);
  assert_int_equal(s->out.leaked, 0);
  assert_int_equal(s->out.orphaned, 0);
  step_at(s, T0 + 31 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->total[LW_EVENT_SESSION_LEAKED], 1);
  assert_int_equal(s->total[LW_EVENT_SESSION_RELEASED], 1);
  assert_int_equal(total_alerts(s), 2);
  sim_free(s);
}

static void test_grace_boundary(void **state) {
  struct sim *s = sim_new();
  (void)state;
  s->cfg.grace_period_ms = 30 * SEC;
  base_host(s);
  rdp_logon(s, 3, "bob", 0x5000);
  step(s);
  kill_w(s, 3);
  step_at(s, T0 + 7); /* the poll that sees the session gone */
  assert_int_equal(s->out.orphaned, 3);
  step_at(s, T0 + 7 + 30 * SEC - 1);
  assert_int_equal(s->out.n_alerts, 0);
  step_at(s, T0 + 7 + 30 * SEC);
  /* bob's DWM-3 and UMFD-3 leak with him: one 2001, listing them. */
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 1);
  assert_int_equal(s->out.n_changes, 3);
  assert_non_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x5000));
  assert_string_equal(
      find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x5000)->inserts[LW_INSERT_2001_MINUTES_PINNED],
      "0");
  assert_string_equal(
      find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x5000)->inserts[LW_INSERT_2001_SYSTEM_LOGONS],
      "2");
  sim_free(s);
}

/* Logoffs where the logon sessions go a little after the WTS session: orphaned
 * for less than the grace period, never leaked. */
static void test_normal_logoff_lingering(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "carol", 0x7000);
  step(s);
  find_w(s, 2)->state = LW_WTS_DOWN;
  step_at(s, T0 + MIN);
  kill_w(s, 2);
  step_at(s, T0 + 2 * MIN);
  assert_int_equal(s->out.orphaned, 3);
  kill_l(s, 0x7001);
  kill_l(s, 0x7002);
  step_at(s, T0 + 11 * MIN + 59 * SEC); /* one second short of the grace period */
  kill_l(s, 0x7000);
  step_at(s, T0 + 12 * MIN);
  assert_int_equal(s->out.orphaned, 0);
  step_at(s, T0 + 60 * MIN);
  assert_int_equal(total_alerts(s), 0);
  assert_int_equal(s->st.n_logons, 0);
  sim_free(s);
}

static void test_well_known_and_session_zero(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  /* Even with a terminal session no WTS session has: never orphaned. */
  add_l(s, LW_LUID_IUSR, "IUSR", "NT AUTHORITY", LW_LOGON_SERVICE, 7, 0);
  add_l(s, LW_LUID_ANONYMOUS, "ANONYMOUS LOGON", "NT AUTHORITY", LW_LOGON_NETWORK, 9, 0);
  find_l(s, LW_LUID_SYSTEM)->ts = 5;
  /* Session 0 logon sessions without processes, not accumulating (few). */
  add_l(s, 0x9000, "svc_sql", "CONTOSO", LW_LOGON_SERVICE, 0, 0);
  add_l(s, 0x9001, "UMFD-0", "Font Driver Host", LW_LOGON_INTERACTIVE, 0, 1);
  kill_w(s, 0); /* session 0 not even listed */
  for (int m = 0; m < 120; m += 5)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 0);
  assert_int_equal(s->out.orphaned, 0);
  sim_free(s);
}

static void test_system_logon_names(void **state) {
  struct lw_logon_session l;
  uint32_t n = 99;
  (void)state;
  memset(&l, 0, sizeof l);
  l.sid = "S-1-5-90-0-12";
  assert_int_equal(lw_detect_system_logon(&l, &n), 1);
  assert_int_equal(n, 12);
  l.sid = "S-1-5-96-0-4294967295";
  assert_int_equal(lw_detect_system_logon(&l, &n), 1);
  assert_int_equal(n, 4294967295u);
  l.sid = "S-1-5-96-0-4294967296";
  assert_int_equal(lw_detect_system_logon(&l, &n), 0);
  l.sid = "S-1-5-90-0-";
  assert_int_equal(lw_detect_system_logon(&l, &n), 0);
  l.sid = "S-1-5-90-0-12x";
  assert_int_equal(lw_detect_system_logon(&l, &n), 0);
  l.sid = "S-1-5-21-1-2-3-1000";
  l.user = "DWM-7";
  l.domain = "CONTOSO"; /* a real user with an unlucky name */
  assert_int_equal(lw_detect_system_logon(&l, &n), 0);
  l.sid = NULL;
  l.domain = "window manager";
  assert_int_equal(lw_detect_system_logon(&l, &n), 1);
  assert_int_equal(n, 7);
  l.user = "umfd-3";
  l.domain = "Font Driver Host";
  assert_int_equal(lw_detect_system_logon(&l, &n), 1);
  assert_int_equal(n, 3);
  l.user = "UMFD-";
  assert_int_equal(lw_detect_system_logon(&l, &n), 0);
}

/* DWM-n / UMFD-n belong to session n whatever LSA's Session field says. */
static void test_dwm_umfd_attribution(void **state) {
  struct sim *s = sim_new();
  struct sl *l;
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  add_w(s, 3, LW_WTS_ACTIVE, "dave", "CONTOSO");
  add_w(s, 4, LW_WTS_ACTIVE, "erin", "CONTOSO");
  l = add_l(s, 0xd3, "DWM-3", "Window Manager", LW_LOGON_INTERACTIVE, 0, 0); /* Session 0! */
  strcpy(l->sid, "S-1-5-90-0-3");
  add_l(s, 0xf4, "UMFD-4", "Font Driver Host", LW_LOGON_INTERACTIVE, 0, 0); /* no SID */
  add_l(s, 0xa7, "DWM-7", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 4, 2);    /* erin's, by name */
  step(s);
  step_at(s, T0 + 20 * MIN);
  assert_int_equal(total_alerts(s), 0);
  /* Session 3 ends: its DWM is orphaned although LSA said Session 0. */
  kill_w(s, 3);
  step_at(s, T0 + 21 * MIN);
  assert_int_equal(s->out.orphaned, 1);
  step_at(s, T0 + 31 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0xd3);
  assert_non_null(a);
  /* Alone (no user logon session of session 3 leaked): its own 2001. */
  assert_string_equal(a->inserts[LW_INSERT_2001_USER], "DWM-3");
  assert_string_equal(a->inserts[LW_INSERT_2001_DOMAIN], "Window Manager");
  assert_string_equal(a->inserts[LW_INSERT_2001_LOGON_TYPE], "2");
  assert_string_equal(a->inserts[LW_INSERT_2001_LOGON_TYPE_NAME], "Interactive");
  assert_string_equal(a->inserts[LW_INSERT_2001_TERMINAL_SESSION], "3");
  assert_int_equal(s->out.n_alerts, 1);
  /* Session 4 ends: UMFD-4 (by name) and the user "DWM-7" (session 4 by LSA). */
  kill_w(s, 4);
  step_at(s, T0 + 32 * MIN);
  assert_int_equal(s->out.orphaned, 3);
  step_at(s, T0 + 42 * MIN);
  /* The user "DWM-7" is a user logon session: UMFD-4 is folded into its 2001. */
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0xa7);
  assert_string_equal(a->inserts[LW_INSERT_2001_TERMINAL_SESSION], "4");
  assert_string_equal(a->inserts[LW_INSERT_2001_USER], "DWM-7");
  assert_string_equal(a->inserts[LW_INSERT_2001_DOMAIN], "CONTOSO");
  assert_string_equal(a->inserts[LW_INSERT_2001_SYSTEM_LOGONS], "1");
  assert_string_equal(a->inserts[LW_INSERT_2001_SYSTEM_LOGON_LIST],
                      "00000000:000000f4 Font Driver Host\\UMFD-4");
  assert_int_equal(s->out.n_changes, 2);
  for (size_t i = 0; i < s->out.n_changes; i++)
    if (s->out.changes[i].luid == 0xf4) {
      assert_int_equal(s->out.changes[i].system, 1);
      assert_true(s->out.changes[i].with_luid == 0xa7);
    }
  sim_free(s);
}

static void test_disconnected_for_days(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "frank", 0xf000);
  rdp_logon(s, 3, "grace", 0xf100);
  step(s);
  find_w(s, 2)->state = LW_WTS_DISCONNECTED;
  find_w(s, 3)->state = LW_WTS_DISCONNECTED;
  find_w(s, 3)->user[0] = '\0'; /* some hosts report no user while disconnected */
  for (int64_t t = T0 + MIN; t < T0 + 5 * DAY; t += 15 * MIN)
    step_at(s, t);
  /* Reconnected, days later. */
  find_w(s, 2)->state = LW_WTS_ACTIVE;
  strcpy(find_w(s, 3)->user, "grace");
  find_w(s, 3)->state = LW_WTS_ACTIVE;
  step_at(s, T0 + 5 * DAY + MIN);
  step_at(s, T0 + 6 * DAY);
  assert_int_equal(total_alerts(s), 0);
  assert_int_equal(s->out.orphaned, 0);
  sim_free(s);
}

/* A reconnect goes through a temporary session (new ID, its own DWM/UMFD and a
 * short-lived logon session), which ends when the user is put back into the old
 * session; and LSA may report the user's session under the new ID. */
static void test_reconnect_new_id(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "henry", 0x8000);
  step(s);
  find_w(s, 2)->state = LW_WTS_DISCONNECTED;
  step_at(s, T0 + 30 * MIN);
  /* The reconnect: temporary session 3 at the logon screen, then henry. */
  add_w(s, 3, LW_WTS_CONNECTED, NULL, NULL);
  add_sys(s, 3, 0x8101, 0x8102);
  step_at(s, T0 + 31 * MIN);
  strcpy(find_w(s, 3)->user, "henry");
  find_w(s, 3)->state = LW_WTS_ACTIVE;
  add_l(s, 0x8100, "henry", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 3, 1);
  step_at(s, T0 + 32 * MIN);
  /* Back in session 2; session 3 ends, its logon sessions a few minutes later. */
  kill_w(s, 3);
  find_w(s, 2)->state = LW_WTS_ACTIVE;
  step_at(s, T0 + 33 * MIN);
  assert_int_equal(s->out.orphaned, 3);
  kill_l(s, 0x8100);
  kill_l(s, 0x8101);
  kill_l(s, 0x8102);
  step_at(s, T0 + 38 * MIN);
  for (int m = 40; m < 120; m += 5)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 0);

  /* Another reconnect, where the user lands in a NEW session 5 and the old
   * session 2 ends, and LSA moves henry's logon session to 5. */
  find_w(s, 2)->state = LW_WTS_DISCONNECTED;
  step_at(s, T0 + 121 * MIN);
  kill_w(s, 2);
  add_w(s, 5, LW_WTS_ACTIVE, "henry", "CONTOSO");
  find_l(s, 0x8000)->ts = 5;
  kill_l(s, 0x8001);
  kill_l(s, 0x8002);
  add_sys(s, 5, 0x8501, 0x8502);
  step_at(s, T0 + 122 * MIN);
  assert_int_equal(s->out.orphaned, 0);
  for (int m = 125; m < 240; m += 5)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 0);
  sim_free(s);
}

/* Session ID reuse after a clean logoff, with and without a poll in between. */
static void test_id_reuse_after_clean_logoff(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "ivan", 0x1000);
  step(s);
  /* ivan logs off; judy gets ID 2 before the next poll. */
  kill_w(s, 2);
  kill_l(s, 0x1000);
  kill_l(s, 0x1001);
  kill_l(s, 0x1002);
  rdp_logon(s, 2, "judy", 0x2000);
  step_at(s, T0 + MIN);
  /* judy logs off, the next poll sees ID 2 free, then ivan takes it again. */
  kill_w(s, 2);
  kill_l(s, 0x2000);
  kill_l(s, 0x2001);
  kill_l(s, 0x2002);
  step_at(s, T0 + 2 * MIN);
  rdp_logon(s, 2, "ivan", 0x3000);
  step_at(s, T0 + 3 * MIN);
  /* ivan logs off and on again between two polls: same user, same ID. */
  s->now = T0 + 3 * MIN + 30 * SEC;
  kill_w(s, 2);
  kill_l(s, 0x3000);
  kill_l(s, 0x3001);
  kill_l(s, 0x3002);
  rdp_logon(s, 2, "ivan", 0x4000);
  for (int m = 4; m < 60; m++)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 0);
  assert_int_equal(s->out.orphaned, 0);
  sim_free(s);
}

/* A new WTS session takes the ID of a leaked one: the old logon session stays
 * orphaned (and leaked), the new one is not. */
static void test_id_reuse_of_leaked(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "kate", 0x1000);
  step(s);
  kill_w(s, 2);
  kill_l(s, 0x1001);
  kill_l(s, 0x1002);
  find_l(s, 0x1000)->procs = 0;
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN);
  assert_non_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x1000));
  assert_int_equal(s->out.pinned_ids, 1);
  /* leo gets ID 2 (a new instance); this host reports no WTS logon time. */
  rdp_logon(s, 2, "leo", 0x2000);
  find_w(s, 2)->logon_time = LW_TIME_UNKNOWN;
  step_at(s, T0 + 12 * MIN);
  assert_int_equal(s->out.n_alerts, 0); /* no release: kate's is still pinned... */
  assert_int_equal(s->out.orphaned, 1);
  assert_int_equal(s->out.leaked, 1);
  assert_int_equal(s->out.pinned_ids, 0); /* ...but ID 2 is in use again */
  for (int m = 13; m < 60; m++)
    step_at(s, T0 + m * MIN);
  assert_int_equal(s->total[LW_EVENT_SESSION_LEAKED], 1);
  assert_int_equal(total_alerts(s), 1);

  /* Directly between two polls: leo logs off (his logon session leaks) and
   * mia gets ID 2. The user changed (no logon time to compare), so it is a new
   * instance. */
  kill_w(s, 2);
  kill_l(s, 0x2001);
  kill_l(s, 0x2002);
  find_l(s, 0x2000)->procs = 0;
  rdp_logon(s, 2, "mia", 0x3000);
  step_at(s, T0 + 60 * MIN);
  assert_int_equal(s->out.orphaned, 2);
  step_at(s, T0 + 70 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  assert_non_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x2000));
  /* And the same user logging on again (a new logon time): the old one leaks. */
  kill_w(s, 2);
  kill_l(s, 0x3001);
  kill_l(s, 0x3002);
  find_l(s, 0x3000)->procs = 0;
  s->now = T0 + 75 * MIN;
  rdp_logon(s, 2, "mia", 0x4000);
  step(s);
  assert_int_equal(s->out.orphaned, 3);
  step_at(s, T0 + 85 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  assert_non_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x3000));
  assert_int_equal(s->total[LW_EVENT_SESSION_LEAKED], 3);
  sim_free(s);
}

/* A logon session seen one poll before its WTS session (the two enumerations
 * straddled a logon) is not an orphan; seen two polls before, it is. */
static void test_logon_before_wts(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  step(s);
  add_l(s, 0x6000, "nina", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 6, 2);
  step_at(s, T0 + MIN);
  assert_int_equal(s->out.orphaned, 1);
  add_w(s, 6, LW_WTS_ACTIVE, "nina", "CONTOSO");
  step_at(s, T0 + 2 * MIN);
  assert_int_equal(s->out.orphaned, 0);
  add_l(s, 0x7000, "omar", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 7, 2);
  step_at(s, T0 + 3 * MIN);
  step_at(s, T0 + 4 * MIN);
  add_w(s, 7, LW_WTS_ACTIVE, "omar", "CONTOSO");
  step_at(s, T0 + 5 * MIN);
  assert_int_equal(s->out.orphaned, 1);
  step_at(s, T0 + 13 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  assert_non_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x7000));
  sim_free(s);
}

/* The first poll of a fresh detector already sees orphans: they leak after the
 * grace period counted from that poll. */
static void test_fresh_start_with_existing_leak(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  add_l(s, 0x4242, "pat", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 9, 0)->logon_time = T0 - DAY;
  step(s);
  assert_int_equal(s->out.orphaned, 1);
  step_at(s, T0 + 10 * MIN - 1);
  assert_int_equal(s->out.n_alerts, 0);
  step_at(s, T0 + 10 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x4242);
  /* Orphaned at first sight: it ended before LeakWatch watched. The end time is
   * unknown, the minutes count from the first sight (a lower bound). */
  assert_inserts(a, 14, "00000000:00004242", "pat", "CONTOSO", "10", "RemoteInteractive", "9",
                 "2026-11-20T09:00:00Z", "unknown", "no", "2026-11-21T09:00:00Z", "10", "0", "none",
                 LW_DETECT_HOLDERS_PENDING);
  assert_int_equal(a->end_seen, 0);
  assert_true(a->session_ended_at == LW_TIME_UNKNOWN);
  assert_true(a->orphan_seen_at == T0);
  assert_int_equal(s->out.changes[0].end_seen, 0);
  assert_true(s->out.changes[0].session_ended_at == LW_TIME_UNKNOWN);
  assert_true(s->out.changes[0].orphan_seen_at == T0);
  /* With the holder search off, the alert says so. */
  sim_free(s);
  s = sim_new();
  s->cfg.holders_enabled = 0;
  base_host(s);
  add_l(s, 0x4242, "pat", "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, 9, 0);
  step(s);
  step_at(s, T0 + 10 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x4242);
  assert_non_null(a);
  assert_string_equal(a->inserts[LW_INSERT_2001_HOLDERS], LW_DETECT_HOLDERS_OFF);
  sim_free(s);
}

/* LsaGetLogonSessionData failing for a while changes nothing. */
static void test_data_status(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "quinn", 0x1000);
  add_l(s, 0x1100, "x", "y", LW_LOGON_NETWORK, 4, 0)->status = 0xC0000022; /* never readable */
  step(s);
  kill_w(s, 2);
  step_at(s, T0 + MIN);
  assert_int_equal(s->out.orphaned, 3);
  find_l(s, 0x1000)->status = 0xC000005F;
  find_l(s, 0x1001)->status = 0xC0000022;
  step_at(s, T0 + 5 * MIN);
  assert_int_equal(s->out.orphaned, 3);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 1); /* DWM, UMFD folded in */
  assert_int_equal(s->out.n_changes, 3);
  /* Details were kept from when it could be read. */
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x1000);
  assert_string_equal(a->inserts[LW_INSERT_2001_USER], "quinn");
  assert_string_equal(a->inserts[LW_INSERT_2001_DOMAIN], "CONTOSO");
  assert_string_equal(a->inserts[LW_INSERT_2001_TERMINAL_SESSION], "2");
  find_l(s, 0x1000)->status = 0;
  step_at(s, T0 + 12 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_null(find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x1100));
  sim_free(s);
}

/* ---- Rule 2: pinned IDs ----------------------------------------------------- */

/* User k: WTS session k+2 at poll k only; the logon session stays, leaked. */
static void test_gap_threshold_realert_and_clear(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  char expect[2048];
  (void)state;
  base_host(s);
  for (int p = 0; p < 40; p++) {
    s->now = T0 + p * MIN;
    if (p > 0 && p <= 25)
      kill_w(s, (uint32_t)(p - 1 + 2));
    if (p < 25) {
      char name[16];
      snprintf(name, sizeof name, "u%03d", p);
      add_w(s, (uint32_t)(p + 2), LW_WTS_ACTIVE, name, "CONTOSO");
      add_l(s, 0x10000 + (uint64_t)p, name, "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE,
            (uint32_t)(p + 2), 0);
    }
    step(s);
    /* User k is orphaned at poll k+1 and leaked at poll k+11. */
    assert_int_equal(s->out.pinned_ids, p >= 11 ? (p - 10 < 25 ? p - 10 : 25) : 0);
    if (p == 20) {
      assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 1);
      a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
      size_t len = 0;
      for (int k = 0; k < 10; k++)
        len += (size_t)snprintf(expect + len, sizeof expect - len,
                                "%s%d: 00000000:%08x CONTOSO\\u%03d", k ? "; " : "", k + 2,
                                0x10000 + k, k);
      /* Live: session 0 and user 20's session 22 (the listener does not count). */
      assert_inserts(a, 5, "10", "2-11", "22", "2", expect);
      assert_int_equal(a->count, 10);
      assert_int_equal(a->terminal_session, 22);
      assert_int_equal(a->live_sessions, 2);
      /* The aggregate comes before the per-session alerts. */
      assert_int_equal(s->out.alerts[0].event_id, LW_EVENT_SESSION_IDS_PINNED);
    } else if (p == 30) {
      assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 1);
      assert_string_equal(find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0)->inserts[0], "20");
      /* No user session is live any more: only session 0. */
      assert_string_equal(find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0)->inserts[2], "0");
      assert_string_equal(find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0)->inserts[3], "1");
    } else {
      assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 0);
    }
  }
  assert_int_equal(s->total[LW_EVENT_SESSION_LEAKED], 25);
  /* 25 pinned: released one per poll; 5 left is not below half of 10 yet. */
  for (int k = 0; k < 20; k++) {
    kill_l(s, 0x10000 + (uint64_t)k);
    step_at(s, T0 + (40 + k) * MIN);
    assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_CLEARED), 0);
    assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_RELEASED), 1);
  }
  assert_int_equal(s->out.pinned_ids, 5);
  kill_l(s, 0x10000 + 20);
  step_at(s, T0 + 60 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_CLEARED, 0);
  assert_inserts(a, 2, "4", "10");
  assert_int_equal(s->st.gap_active, 0);
  kill_l(s, 0x10000 + 21);
  step_at(s, T0 + 61 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_CLEARED), 0);
  assert_int_equal(s->total[LW_EVENT_SESSION_IDS_PINNED], 2);
  assert_int_equal(s->total[LW_EVENT_SESSION_IDS_CLEARED], 1);
  sim_free(s);
}

/* Holes left by clean logoffs are free IDs, never pinned. */
static void test_gap_ignores_clean_holes(void **state) {
  struct sim *s = sim_new();
  (void)state;
  s->cfg.gap_threshold = 1;
  base_host(s);
  for (uint32_t id = 2; id < 40; id++)
    rdp_logon(s, id, "user", 0x1000 * (uint64_t)id);
  step(s);
  for (uint32_t id = 2; id < 40; id += 2) {
    kill_w(s, id);
    kill_l(s, 0x1000 * (uint64_t)id);
    kill_l(s, 0x1000 * (uint64_t)id + 1);
    kill_l(s, 0x1000 * (uint64_t)id + 2);
  }
  for (int m = 1; m < 60; m++)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 0);
  assert_int_equal(s->out.pinned_ids, 0);
  assert_int_equal(s->out.highest_id, 39);
  assert_int_equal(s->out.live_sessions, 20); /* 0 and 3, 5, ..., 39 */
  sim_free(s);
}

/* LUIDs as gen-leak-2-to-152.py makes them: UMFD, DWM, user per session. */
static uint64_t luid_152(int i, int kind) {
  uint64_t next = 0x2A0000;
  for (int j = 0; j < i; j++)
    next += 3 * (uint64_t)(0x1F3 + (j * 7) % 0x40);
  return next + (uint64_t)kind * (uint64_t)(0x1F3 + (i * 7) % 0x40);
}

static void host_152(struct sim *s) {
  struct sl *l;
  add_l(s, LW_LUID_SYSTEM, "RDSH-LEAK01$", "CONTOSO", 0, 0, 80);
  add_l(s, LW_LUID_NETWORK_SERVICE, "RDSH-LEAK01$", "CONTOSO", LW_LOGON_SERVICE, 0, 10);
  add_l(s, LW_LUID_LOCAL_SERVICE, "LOCAL SERVICE", "NT AUTHORITY", LW_LOGON_SERVICE, 0, 10);
  l = add_l(s, 0x9a12, "UMFD-0", "Font Driver Host", LW_LOGON_INTERACTIVE, 0, 1);
  strcpy(l->sid, "S-1-5-96-0-0");
  add_sys(s, 1, 0x9b30, 0xa1c4);
  add_w(s, 0, LW_WTS_DISCONNECTED, NULL, NULL);
  add_w(s, 1, LW_WTS_CONNECTED, NULL, NULL);
  add_w(s, 65536, LW_WTS_LISTEN, NULL, NULL);
}

static void add_user_152(struct sim *s, int i, int procs) {
  char name[16];
  uint32_t id = (uint32_t)(2 + i);
  snprintf(name, sizeof name, "user%03d", i + 1);
  add_sys(s, id, luid_152(i, 0), luid_152(i, 1));
  find_l(s, luid_152(i, 0))->procs = procs ? 1 : 0;
  find_l(s, luid_152(i, 1))->procs = procs ? 1 : 0;
  add_l(s, luid_152(i, 2), name, "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, id, procs ? 6 : 0);
}

static void expected_152_text(char *buf, size_t size) {
  size_t len = 0;
  for (int i = 0; i < 50; i++)
    len += (size_t)snprintf(buf + len, size - len,
                            "%s%d: 00000000:%08llx CONTOSO\\user%03d (+2 DWM/UMFD)", i ? "; " : "",
                            i + 2, (unsigned long long)luid_152(i, 2), i + 1);
  snprintf(buf + len, size - len, "; ... and 100 more");
}

/* The operator's host: IDs 2..151 pinned by 150 logged-off users, user151 on 152. */
static void test_2_to_152_inserts(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  static char expect[16384];
  (void)state;
  host_152(s);
  for (int i = 0; i < 151; i++)
    add_user_152(s, i, i == 150);
  add_w(s, 152, LW_WTS_ACTIVE, "user151", "CONTOSO");
  step(s);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->out.orphaned, 450);
  step_at(s, T0 + 10 * MIN);
  /* One 2001 per user, each listing its session's DWM-n and UMFD-n; 450 episodes. */
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 150);
  assert_int_equal(s->out.n_changes, 450);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, luid_152(0, 2));
  assert_non_null(a);
  assert_string_equal(a->inserts[LW_INSERT_2001_SYSTEM_LOGONS], "2");
  assert_string_equal(a->inserts[LW_INSERT_2001_SYSTEM_LOGON_LIST],
                      "00000000:002a0000 Font Driver Host\\UMFD-2; "
                      "00000000:002a01f3 Window Manager\\DWM-2");
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 1);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  expected_152_text(expect, sizeof expect);
  assert_inserts(a, 5, "150", "2-151", "152", "3", expect);
  /* The same, spelled out for the first entries. */
  assert_memory_equal(a->inserts[4],
                      "2: 00000000:002a03e6 CONTOSO\\user001 (+2 DWM/UMFD); "
                      "3: 00000000:002a09cd CONTOSO\\user002 (+2 DWM/UMFD); ",
                      strlen("2: 00000000:002a03e6 CONTOSO\\user001 (+2 DWM/UMFD); "
                             "3: 00000000:002a09cd CONTOSO\\user002 (+2 DWM/UMFD); "));
  assert_int_equal(s->out.pinned_ids, 150);
  assert_int_equal(s->out.highest_id, 152);
  assert_int_equal(s->out.live_sessions, 3);
  /* ID 2 released and ID 49 given to a new session: 148 pinned, and no new
   * 2003 (the count fell). */
  add_w(s, 49, LW_WTS_ACTIVE, "zoe", "CONTOSO");
  kill_l(s, luid_152(0, 0));
  kill_l(s, luid_152(0, 1));
  kill_l(s, luid_152(0, 2));
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 0);
  /* user001's 2002; its DWM-2 and UMFD-2 were part of its leak: no 2002 each. */
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_RELEASED), 1);
  assert_int_equal(s->out.n_changes, 3);
  assert_int_equal(s->out.pinned_ids, 148);
  /* A detector started afresh on that host: the ranges show the hole at 49. */
  lw_detect_state_free(&s->st);
  step_at(s, T0 + 20 * MIN);
  step_at(s, T0 + 30 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  assert_non_null(a);
  assert_string_equal(a->inserts[0], "148");
  assert_string_equal(a->inserts[1], "3-48, 50-151");
  assert_string_equal(a->inserts[2], "152");
  assert_string_equal(a->inserts[3], "4");
  assert_memory_equal(a->inserts[4], "3: ", 3);
  sim_free(s);
}

/* Too many ranges and too many IDs: both truncated, within the size limit. */
static void test_pinned_text_truncation(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  s->cfg.gap_threshold = 1;
  base_host(s);
  for (int i = 0; i < 200; i++) { /* IDs 2, 4, ..., 400: 200 ranges */
    char name[64];
    snprintf(name, sizeof name, "a-rather-long-user-name-number-%04d", i);
    add_l(s, 0x100000 + (uint64_t)i * 16, name, "A-RATHER-LONG-DOMAIN", LW_LOGON_REMOTE_INTERACTIVE,
          (uint32_t)(2 + 2 * i), 0);
    for (int k = 1; k < 5; k++) /* five user logons per ID */
      add_l(s, 0x100000 + (uint64_t)i * 16 + (uint64_t)k, name, "A-RATHER-LONG-DOMAIN",
            LW_LOGON_INTERACTIVE, (uint32_t)(2 + 2 * i), 0);
  }
  step(s);
  step_at(s, T0 + 10 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  assert_non_null(a);
  assert_string_equal(a->inserts[0], "200");
  /* Every ID in the ranges (they fit); the per-ID listing stops at 50. */
  assert_true(strlen(a->inserts[1]) <= LW_DETECT_PINNED_TEXT_MAX);
  assert_memory_equal(a->inserts[1], "2, 4, 6, ", 9);
  assert_non_null(strstr(a->inserts[1], ", 398, 400"));
  assert_null(strstr(a->inserts[1], "more ranges"));
  assert_true(strlen(a->inserts[4]) <= LW_DETECT_PINNED_TEXT_MAX);
  assert_non_null(strstr(a->inserts[4],
                         "2: 00000000:00100000 A-RATHER-LONG-DOMAIN\\a-rather-long-user-"
                         "name-number-0000, 00000000:00100001 A-RATHER-LONG-DOMAIN\\a-"
                         "rather-long-user-name-number-0000, 00000000:00100002 "
                         "A-RATHER-LONG-DOMAIN\\a-rather-long-user-name-number-0000, "
                         "+2 more; 4: "));
  assert_non_null(strstr(a->inserts[4], "; 100: 00000000:00100310 "));
  assert_null(strstr(a->inserts[4], "; 102: ")); /* 50 IDs at most */
  assert_non_null(strstr(a->inserts[4], "; ... and 150 more"));
  assert_string_equal(a->inserts[2], "0");
  /* The budget: IDs 2, 4, ... 400 again, long names first. */
  for (size_t i = 0; i < s->nl; i++) {
    if (s->l[i].luid >= 0x100000) {
      memset(s->l[i].user, 'u', 47);
      memset(s->l[i].domain, 'D', 47);
    }
  }
  lw_detect_state_free(&s->st);
  step_at(s, T0 + 20 * MIN);
  step_at(s, T0 + 30 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  assert_non_null(a);
  {
    const char *more = strstr(a->inserts[4], "; ... and ");
    unsigned n = 0;
    size_t len = strlen(a->inserts[4]);
    assert_true(len <= LW_DETECT_PINNED_TEXT_MAX && len > LW_DETECT_PINNED_TEXT_MAX - 500);
    assert_non_null(more);
    assert_int_equal(sscanf(more, "; ... and %u more", &n), 1);
    assert_true(n > 150 && n < 200);
    assert_string_equal(a->inserts[4] + len - 5, " more");
  }
  assert_string_equal(a->inserts[3], "1");
  sim_free(s);
}

/* The scenario played as tests/scenarios/leak-2-to-152.yaml plays it: four
 * users per step, each Active one step, Disconnected one, then logged off. */
static void test_2_to_152_sequence(void **state) {
  struct sim *s = sim_new();
  uint32_t last_pinned_alert = 0, prev_pinned = 0;
  (void)state;
  host_152(s);
  for (int p = 0; p < 52; p++) {
    int stepn = p < 40 ? p : 39;
    s->now = T0 + p * MIN;
    for (int i = 0; i < 151 && p < 40; i++) {
      int start = i / 4;
      uint32_t id = (uint32_t)(2 + i);
      char name[16];
      snprintf(name, sizeof name, "user%03d", i + 1);
      if (stepn == start) {
        add_user_152(s, i, 1);
        add_w(s, id, LW_WTS_ACTIVE, name, "CONTOSO");
      } else if (stepn == start + 1 && i < 150) {
        find_w(s, id)->state = LW_WTS_DISCONNECTED;
      } else if (stepn == start + 2 && i < 150) {
        kill_w(s, id);
        find_l(s, luid_152(i, 0))->procs = 0;
        find_l(s, luid_152(i, 1))->procs = 0;
        find_l(s, luid_152(i, 2))->procs = 0;
      }
    }
    step(s);
    /* User i is orphaned from step i/4 + 2 and leaked 10 polls later. */
    {
      uint32_t expect = 0;
      for (int i = 0; i < 150; i++)
        expect += i / 4 + 2 + 10 <= p;
      assert_int_equal(s->out.pinned_ids, expect);
      /* UMFD, DWM and the user's own logon session leak together: one 2001. */
      assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), expect - prev_pinned);
      prev_pinned = expect;
      if (count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED) == 1) {
        const struct lw_alert *a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
        assert_true(a->count >= last_pinned_alert + 10);
        last_pinned_alert = a->count;
      }
    }
  }
  assert_int_equal(s->out.pinned_ids, 150);
  assert_int_equal(s->out.highest_id, 152);
  assert_int_equal(s->out.live_sessions, 3);
  assert_int_equal(s->total[LW_EVENT_SESSION_LEAKED], 150);
  assert_int_equal(s->total[LW_EVENT_SESSION_RELEASED], 0);
  /* 2003 at 12, 24, 36, ... (4 new pinned IDs per poll), the last at 144. */
  assert_int_equal(s->total[LW_EVENT_SESSION_IDS_PINNED], 12);
  assert_int_equal(last_pinned_alert, 144);
  sim_free(s);
}

/* ---- Rule 3: accumulation -------------------------------------------------- */

static void add_batch(struct sim *s, uint64_t from, int n, const char *user, uint32_t type) {
  for (int i = 0; i < n; i++)
    add_l(s, from + (uint64_t)i, user, "CONTOSO", type, 0, 0);
}

static void test_accumulation(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  add_batch(s, 0x10000, 24, "svc_report", LW_LOGON_BATCH);
  add_batch(s, 0x20000, 30, "svc_report", LW_LOGON_NETWORK);        /* another type */
  add_l(s, 0x30000, "svc_report", "CONTOSO", LW_LOGON_BATCH, 0, 3); /* has processes */
  step(s);
  assert_int_equal(s->out.n_alerts, 0); /* too young */
  step_at(s, T0 + 10 * MIN - 1);
  assert_int_equal(s->out.n_alerts, 0);
  step_at(s, T0 + 10 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_SESSIONS_ACCUMULATING, 0);
  assert_inserts(a, 5, "svc_report", "CONTOSO", "3", "Network", "30");
  assert_int_equal(a->count, 30);
  assert_int_equal(a->logon_type, LW_LOGON_NETWORK);
  /* The 25th batch session, spelled in capitals: the same account. */
  add_l(s, 0x10100, "SVC_REPORT", "contoso", LW_LOGON_BATCH, 0, 0);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(s->out.n_alerts, 0); /* young */
  step_at(s, T0 + 21 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSIONS_ACCUMULATING, 0);
  assert_inserts(a, 5, "svc_report", "CONTOSO", "4", "Batch", "25");
  /* 30, then 49 (aged): nothing; 50: again. */
  add_batch(s, 0x11000, 5, "svc_report", LW_LOGON_BATCH);
  step_at(s, T0 + 22 * MIN);
  step_at(s, T0 + 32 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  add_batch(s, 0x11005, 19, "svc_report", LW_LOGON_BATCH);
  step_at(s, T0 + 33 * MIN);
  step_at(s, T0 + 43 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  add_l(s, 0x12000, "svc_report", "CONTOSO", LW_LOGON_BATCH, 0, 0);
  step_at(s, T0 + 45 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  step_at(s, T0 + 55 * MIN);
  assert_inserts(find_ev(&s->out, LW_EVENT_SESSIONS_ACCUMULATING, 0), 5, "svc_report", "CONTOSO",
                 "4", "Batch", "50");
  /* Down to 13: still the same episode (13 * 2 >= 25); 12 ends it. */
  for (int i = 0; i < 24; i++)
    kill_l(s, 0x11000 + (uint64_t)i);
  kill_l(s, 0x12000);
  kill_l(s, 0x10100);
  for (int i = 0; i < 11; i++)
    kill_l(s, 0x10000 + (uint64_t)i);
  step_at(s, T0 + 60 * MIN);
  assert_int_equal(s->st.n_accum, 2);
  kill_l(s, 0x10000 + 11);
  step_at(s, T0 + 61 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->st.n_accum, 1); /* only the Network one is open */
  /* Rising back to 25 alerts again. */
  add_batch(s, 0x13000, 13, "svc_report", LW_LOGON_BATCH);
  step_at(s, T0 + 62 * MIN);
  step_at(s, T0 + 72 * MIN);
  assert_inserts(find_ev(&s->out, LW_EVENT_SESSIONS_ACCUMULATING, 0), 5, "svc_report", "CONTOSO",
                 "4", "Batch", "25");
  assert_int_equal(s->total[LW_EVENT_SESSIONS_ACCUMULATING], 4);
  sim_free(s);
}

/* ---- Rule 4: stuck logoff --------------------------------------------------- */

static void test_stuck_logoff(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  (void)state;
  base_host(s);
  rdp_logon(s, 5, "dave", 0x5000);
  rdp_logon(s, 6, "ella", 0x6000);
  step(s);
  find_w(s, 5)->state = LW_WTS_DOWN;
  find_w(s, 5)->user[0] = '\0'; /* the user is gone from a Down session */
  find_w(s, 6)->state = LW_WTS_DOWN;
  step_at(s, T0 + MIN);
  step_at(s, T0 + 8 * MIN);
  find_w(s, 6)->state = LW_WTS_ACTIVE; /* ella's logoff was only slow */
  step_at(s, T0 + 10 * MIN);
  step_at(s, T0 + 11 * MIN - 1);
  assert_int_equal(total_alerts(s), 0);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_LOGOFF_STUCK, 0);
  assert_inserts(a, 4, "5", "dave", "CONTOSO", "10");
  assert_int_equal(a->terminal_session, 5);
  assert_true(a->since == T0 + MIN);
  for (int m = 12; m < 120; m += 3)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 1);
  /* It finally ends, with its logon sessions: nothing more. */
  kill_w(s, 5);
  kill_l(s, 0x5000);
  kill_l(s, 0x5001);
  kill_l(s, 0x5002);
  step_at(s, T0 + 121 * MIN);
  step_at(s, T0 + 200 * MIN);
  assert_int_equal(total_alerts(s), 1);
  sim_free(s);
}

/* ---- Never cry wolf: 500 users, 200 polls ---------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

struct user {
  int on; /* 0 off, 1 on, 2 logging off (WTS Down), 3 gone, sessions linger */
  uint32_t id;
  uint64_t luid; /* user; +1 UMFD, +2 DWM, +3 network (drive maps), +4 linked admin */
  int admin;
};

static void clean_churn(int save_load) {
  struct sim *s = sim_new();
  static struct user u[500];
  static unsigned char used[1024];
  uint64_t next_luid = 0x100000;
  size_t logons = 0, max_orphaned = 0, ons = 0;
  (void)used;
  memset(u, 0, sizeof u);
  memset(used, 0, sizeof used);
  s->save_load_each_step = save_load;
  base_host(s);
  used[0] = used[1] = 1;
  for (int p = 0; p < 200; p++) {
    s->now = T0 + p * MIN;
    for (int i = 0; i < 500; i++) {
      struct user *x = &u[i];
      char name[16];
      snprintf(name, sizeof name, "user%03d", i);
      switch (x->on) {
      case 0:
        if (rnd(100) < 6) {
          uint32_t id = 2;
          while (used[id])
            id++;
          used[id] = 1;
          x->id = id;
          x->luid = next_luid;
          next_luid += 0x10;
          x->admin = rnd(10) == 0;
          rdp_logon(s, id, name, x->luid);
          add_l(s, x->luid + 3, name, "CONTOSO", LW_LOGON_NETWORK, 0, 0);
          if (x->admin)
            add_l(s, x->luid + 4, name, "CONTOSO", LW_LOGON_REMOTE_INTERACTIVE, id, 0);
          x->on = 1;
          ons++;
        }
        break;
      case 1: {
        uint32_t r = rnd(100);
        struct sw *w = find_w(s, x->id);
        if (r < 4) {
          w->state = LW_WTS_DISCONNECTED;
        } else if (r < 10) {
          w->state = LW_WTS_ACTIVE;
        } else if (r < 14) {
          /* Logoff: Down for a poll, or gone at once with a lingering logon
           * session or two. */
          if (rnd(2)) {
            w->state = LW_WTS_DOWN;
            x->on = 2;
          } else {
            kill_w(s, x->id);
            used[x->id] = 0;
            kill_l(s, x->luid + 1);
            kill_l(s, x->luid + 3);
            x->on = 3;
          }
        }
        break;
      }
      case 2:
        kill_w(s, x->id);
        used[x->id] = 0;
        for (uint64_t k = 0; k < 4; k++)
          kill_l(s, x->luid + k);
        if (x->admin)
          kill_l(s, x->luid + 4);
        x->on = 0;
        break;
      case 3:
        kill_l(s, x->luid);
        kill_l(s, x->luid + 2);
        if (x->admin)
          kill_l(s, x->luid + 4);
        x->on = 0;
        break;
      }
    }
    step(s);
    assert_int_equal(s->out.n_alerts, 0);
    assert_int_equal(s->out.leaked, 0);
    if (s->out.orphaned > max_orphaned)
      max_orphaned = s->out.orphaned;
    logons += s->nl;
  }
  assert_int_equal(total_alerts(s), 0);
  /* The churn really happened: many logons, IDs reused, sessions lingering. */
  assert_true(ons > 1000);
  assert_true(max_orphaned > 0);
  assert_true(logons / 200 > 500);
  sim_free(s);
}

static void test_never_cry_wolf_500_users(void **state) {
  (void)state;
  clean_churn(0);
}

/* The same with the detector saved and reloaded between every two polls. */
static void test_never_cry_wolf_with_restarts(void **state) {
  (void)state;
  clean_churn(1);
}

/* ---- Restart and reboot ------------------------------------------------------ */

static void test_restart_mid_episode(void **state) {
  struct sim *s = sim_new();
  (void)state;
  s->cfg.gap_threshold = 2;
  s->cfg.accumulation_threshold = 3;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x1000);
  rdp_logon(s, 3, "bob", 0x2000);
  rdp_logon(s, 4, "carl", 0x3000);
  add_batch(s, 0x9000, 3, "svc", LW_LOGON_BATCH);
  step(s);
  kill_w(s, 2);
  kill_w(s, 3);
  find_w(s, 4)->state = LW_WTS_DOWN;
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 2); /* + 4 DWM/UMFD folded */
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 1);
  assert_int_equal(count_ev(&s->out, LW_EVENT_LOGOFF_STUCK), 1);
  assert_int_equal(s->total[LW_EVENT_SESSIONS_ACCUMULATING], 1);

  /* The service restarts: state saved, process gone, state loaded. */
  save_load(&s->st);
  lw_detect_output_free(&s->out);
  for (int m = 12; m < 40; m++)
    step_at(s, T0 + m * MIN);
  assert_int_equal(total_alerts(s), 5); /* nothing again */
  /* The release is still reported, with the time pinned since before. */
  kill_l(s, 0x1000);
  save_load(&s->st);
  step_at(s, T0 + 41 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  assert_inserts(find_ev(&s->out, LW_EVENT_SESSION_RELEASED, 0x1000), 6, "00000000:00001000",
                 "alice", "CONTOSO", "2", "40", "yes");
  sim_free(s);
}

/* A restart before the grace period is over keeps the time orphaned. */
static void test_restart_before_grace(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x1000);
  step(s);
  kill_w(s, 2);
  step_at(s, T0 + MIN);
  save_load(&s->st);
  step_at(s, T0 + 10 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  save_load(&s->st);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 1);
  assert_string_equal(
      find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x1000)->inserts[LW_INSERT_2001_ENDED_AT],
      "2026-11-21T09:01:00Z");
  sim_free(s);
}

/* Two detectors over the same random host with leaks, one restarted at every
 * poll: the same alerts and episode changes, byte for byte. */
static void test_restart_equivalence(void **state) {
  struct sim *a = sim_new(), *b = sim_new();
  struct sim *both[2] = {a, b};
  uint64_t luid = 0x50000;
  size_t released = 0;
  (void)state;
  b->save_load_each_step = 1;
  for (int k = 0; k < 2; k++) {
    both[k]->cfg.gap_threshold = 3;
    both[k]->cfg.accumulation_threshold = 4;
    both[k]->cfg.alerts_max_per_hour = 5;
    base_host(both[k]);
  }
  rng = 12345;
  for (int p = 0; p < 300; p++) {
    uint32_t r = rnd(100), id = 2 + rnd(30);
    uint64_t victim = a->l[rnd((uint32_t)a->nl)].luid; /* may be well-known: then kept */
    int kill_wts = rnd(100) < 8, kill_logon = rnd(100) < 10, down = rnd(100) < 3;
    for (int k = 0; k < 2; k++) {
      struct sim *s = both[k];
      s->now = T0 + p * MIN;
      if (r < 15 && find_w(s, id) == NULL)
        rdp_logon(s, id, "rnd", luid);
      if (r >= 15 && r < 20)
        add_l(s, luid, "svc", "CONTOSO", LW_LOGON_BATCH, 0, 0);
      if (kill_wts && find_w(s, id) != NULL)
        kill_w(s, id);
      if (down && find_w(s, id) != NULL)
        find_w(s, id)->state = LW_WTS_DOWN;
      if (kill_logon && victim > LW_LUID_SYSTEM && find_l(s, victim) != NULL)
        kill_l(s, victim);
      step(s);
    }
    luid += 8;
    assert_int_equal(a->out.n_alerts, b->out.n_alerts);
    for (size_t i = 0; i < a->out.n_alerts; i++) {
      assert_int_equal(a->out.alerts[i].event_id, b->out.alerts[i].event_id);
      assert_int_equal(a->out.alerts[i].suppressed, b->out.alerts[i].suppressed);
      assert_int_equal(a->out.alerts[i].n_inserts, b->out.alerts[i].n_inserts);
      for (size_t j = 0; j < a->out.alerts[i].n_inserts; j++)
        assert_string_equal(a->out.alerts[i].inserts[j], b->out.alerts[i].inserts[j]);
    }
    assert_int_equal(a->out.n_changes, b->out.n_changes);
    for (size_t i = 0; i < a->out.n_changes; i++) {
      released += a->out.changes[i].kind == LW_LEAK_RELEASED;
      assert_int_equal(a->out.changes[i].kind, b->out.changes[i].kind);
      assert_true(a->out.changes[i].luid == b->out.changes[i].luid);
      assert_true(a->out.changes[i].session_ended_at == b->out.changes[i].session_ended_at);
      assert_int_equal(a->out.changes[i].end_seen, b->out.changes[i].end_seen);
      assert_true(a->out.changes[i].with_luid == b->out.changes[i].with_luid);
    }
  }
  /* The random host did exercise the rules. */
  assert_true(a->total[LW_EVENT_SESSION_LEAKED] > 10);
  assert_true(released > 3);
  assert_true(a->total[LW_EVENT_SESSION_IDS_PINNED] > 0);
  assert_true(a->total[LW_EVENT_SESSIONS_ACCUMULATING] > 0);
  assert_true(a->total[LW_EVENT_LOGOFF_STUCK] > 0);
  assert_true(a->total_suppressed > 0);
  sim_free(a);
  sim_free(b);
}

static void test_reboot(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x1000);
  find_l(s, 0x1000)->procs = 0;
  step(s);
  kill_w(s, 2);
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 1);
  /* Boot time wobbling by a few seconds is the same boot. */
  s->boot = BOOT + 4 * SEC;
  step_at(s, T0 + 12 * MIN);
  assert_int_equal(s->out.new_boot, 0);
  assert_int_equal(s->out.n_changes, 0);
  assert_int_equal(s->out.leaked, 3);
  /* A reboot: the same LUIDs and IDs exist again (they restart with a boot), and
   * alice's session is even without its terminal session. Nothing of the old boot
   * is alerted; its episodes end without a 2002. */
  s->boot = T0 + 20 * MIN;
  step_at(s, T0 + 22 * MIN);
  assert_int_equal(s->out.new_boot, 1);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->out.n_changes, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(s->out.changes[i].kind, LW_LEAK_BOOT_ENDED);
    assert_true(s->out.changes[i].boot_time == BOOT);
    assert_true(s->out.changes[i].released_at == T0 + 20 * MIN);
  }
  assert_int_equal(s->out.leaked, 0);
  assert_int_equal(s->out.orphaned, 3);
  assert_true(s->st.boot_time == T0 + 20 * MIN);
  assert_int_equal(s->st.polls, 1);
  /* In the new boot they are new orphans: a full grace period from now. */
  step_at(s, T0 + 31 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  step_at(s, T0 + 32 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 1);
  assert_int_equal(s->out.n_changes, 3);
  assert_true(s->out.changes[0].boot_time == T0 + 20 * MIN);
  /* Orphaned at the new boot's first poll: ended before it was seen. */
  assert_int_equal(s->out.changes[0].end_seen, 0);
  /* A blob saved in the old boot is reset by the first step of a new one. */
  save_load(&s->st);
  s->boot = T0 + 2 * DAY;
  kill_l(s, 0x1000);
  step_at(s, T0 + 2 * DAY + 5 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(s->out.n_changes, 3);
  sim_free(s);
}

/* ---- Rate limit through the detector ----------------------------------------- */

static void test_rate_limit_and_summary(void **state) {
  struct sim *s = sim_new();
  const struct lw_alert *a;
  size_t sent = 0;
  (void)state;
  s->cfg.alerts_max_per_hour = 60;
  host_152(s);
  for (int i = 0; i < 151; i++)
    add_user_152(s, i, i == 150);
  add_w(s, 152, LW_WTS_ACTIVE, "user151", "CONTOSO");
  step(s);
  step_at(s, T0 + 10 * MIN);
  /* 2003 first (it must reach the operator), then the 150 users' 2001s: 44 of
   * them pass, as 15 of the 60 are kept for escalations. */
  assert_int_equal(s->out.n_alerts, 151);
  assert_int_equal(s->out.alerts[0].event_id, LW_EVENT_SESSION_IDS_PINNED);
  assert_int_equal(s->out.alerts[0].suppressed, 0);
  for (size_t i = 0; i < s->out.n_alerts; i++)
    sent += !s->out.alerts[i].suppressed;
  assert_int_equal(sent, 45);
  assert_int_equal(s->total_suppressed, 106);
  /* Suppressed alerts are still complete records for the database. */
  assert_int_equal(s->out.alerts[150].suppressed, 1);
  assert_int_equal(s->out.alerts[150].n_inserts, LW_INSERT_2001_N);
  assert_int_equal(s->out.n_changes, 450);
  for (int m = 11; m < 70; m++) {
    step_at(s, T0 + m * MIN);
    assert_int_equal(s->out.n_alerts, 0);
  }
  /* The hour is over: one 2009 with the count held back and the truth now,
   * which names every leaked user (those held back too). */
  step_at(s, T0 + 70 * MIN);
  assert_int_equal(s->out.n_alerts, 1);
  a = find_ev(&s->out, LW_EVENT_ALERTS_SUPPRESSED, 0);
  assert_non_null(a);
  assert_int_equal(a->n_inserts, LW_INSERT_2009_N);
  assert_string_equal(a->inserts[LW_INSERT_2009_HELD_BACK], "106");
  assert_string_equal(a->inserts[LW_INSERT_2009_MAX_PER_HOUR], "60");
  assert_string_equal(a->inserts[LW_INSERT_2009_SINCE], "2026-11-21T09:10:00Z");
  assert_string_equal(a->inserts[LW_INSERT_2009_REASON], "the hour ended");
  assert_string_equal(a->inserts[LW_INSERT_2009_OPEN_LEAKS], "150");
  assert_string_equal(a->inserts[LW_INSERT_2009_USER_COUNT], "150");
  assert_memory_equal(a->inserts[LW_INSERT_2009_USERS], "CONTOSO\\user001, CONTOSO\\user002, ",
                      strlen("CONTOSO\\user001, CONTOSO\\user002, "));
  assert_non_null(strstr(a->inserts[LW_INSERT_2009_USERS], ", CONTOSO\\user150"));
  assert_null(strstr(a->inserts[LW_INSERT_2009_USERS], "user151"));
  assert_null(strstr(a->inserts[LW_INSERT_2009_USERS], "DWM"));
  assert_string_equal(a->inserts[LW_INSERT_2009_PINNED_COUNT], "150");
  assert_string_equal(a->inserts[LW_INSERT_2009_PINNED_RANGES], "2-151");
  assert_string_equal(a->inserts[LW_INSERT_2009_HIGHEST_ID], "152");
  assert_string_equal(a->inserts[LW_INSERT_2009_LIVE_SESSIONS], "3");
  assert_int_equal(s->out.alerts[0].suppressed, 0);
  /* All released at once: the window has moved on; 2004 first, then 44 2002s
   * (one per user: DWM/UMFD were part of their users' leaks). */
  for (int i = 0; i < 150; i++)
    for (int k = 0; k < 3; k++)
      kill_l(s, luid_152(i, k));
  step_at(s, T0 + 71 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_RELEASED), 150);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_CLEARED), 1);
  assert_int_equal(s->out.n_changes, 450);
  sent = 0;
  for (size_t i = 0; i < s->out.n_alerts; i++)
    sent += !s->out.alerts[i].suppressed;
  assert_int_equal(sent, 45);
  assert_int_equal(s->out.alerts[0].event_id, LW_EVENT_SESSION_IDS_CLEARED);
  assert_int_equal(s->out.alerts[0].suppressed, 0);
  step_at(s, T0 + 131 * MIN);
  a = find_ev(&s->out, LW_EVENT_ALERTS_SUPPRESSED, 0);
  assert_non_null(a);
  assert_string_equal(a->inserts[LW_INSERT_2009_HELD_BACK], "106");
  assert_string_equal(a->inserts[LW_INSERT_2009_OPEN_LEAKS], "0");
  assert_string_equal(a->inserts[LW_INSERT_2009_USERS], "none");
  assert_string_equal(a->inserts[LW_INSERT_2009_PINNED_RANGES], "none");
  step_at(s, T0 + 300 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  sim_free(s);
}

/* A held-back 2003 is followed by the newest state once the budget allows;
 * a stopping service sums up a period cut short with the state now. */
static void test_state_restated_and_stop_summary(void **state) {
  struct sim *s = sim_new();
  struct lw_detect_state copy;
  struct lw_alert sum;
  const struct lw_alert *a;
  char *blob = NULL;
  size_t len = 0;
  (void)state;
  s->cfg.alerts_max_per_hour = 2; /* below 4: nothing reserved */
  s->cfg.gap_threshold = 2;
  base_host(s);
  for (uint32_t id = 2; id < 12; id++)
    rdp_logon(s, id, "u", 0x1000 * (uint64_t)id);
  step(s);
  kill_w(s, 2);
  kill_w(s, 3);
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN); /* 2003 (2 pinned) and one 2001 pass: the budget is spent */
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 1);
  assert_int_equal(find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0)->suppressed, 0);
  kill_w(s, 4);
  kill_w(s, 5);
  step_at(s, T0 + 12 * MIN);
  step_at(s, T0 + 22 * MIN); /* 2003 (4 pinned) held back */
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  assert_non_null(a);
  assert_int_equal(a->suppressed, 1);
  assert_int_equal(s->st.policy.state_pending, 1);
  /* More leak in the meantime (5 pinned); no new threshold crossed. */
  kill_w(s, 6);
  step_at(s, T0 + 23 * MIN);
  step_at(s, T0 + 33 * MIN);
  assert_int_equal(s->out.pinned_ids, 5);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 0);

  /* Were the service to stop now: 2009 with the state and the reason. */
  assert_int_equal(lw_detect_state_save(&s->st, &blob, &len), 0);
  lw_detect_state_init(&copy);
  assert_int_equal(lw_detect_state_load(blob, len, &copy), 0);
  free(blob);
  assert_int_equal(lw_detect_stop_summary(&copy, &s->cfg, T0 + 34 * MIN, &sum), 1);
  assert_int_equal(sum.event_id, LW_EVENT_ALERTS_SUPPRESSED);
  assert_int_equal(sum.suppressed, 0);
  assert_string_equal(sum.inserts[LW_INSERT_2009_HELD_BACK], "5"); /* 2001s of 3-6, a 2003 */
  assert_string_equal(sum.inserts[LW_INSERT_2009_REASON], "the service is stopping");
  assert_string_equal(sum.inserts[LW_INSERT_2009_PINNED_COUNT], "5");
  assert_string_equal(sum.inserts[LW_INSERT_2009_PINNED_RANGES], "2-6");
  assert_string_equal(sum.inserts[LW_INSERT_2009_OPEN_LEAKS], "5");
  assert_string_equal(sum.inserts[LW_INSERT_2009_USER_COUNT], "1");
  assert_string_equal(sum.inserts[LW_INSERT_2009_USERS], "CONTOSO\\u");
  assert_string_equal(sum.inserts[LW_INSERT_2009_HIGHEST_ID], "11");
  lw_alert_clear(&sum);
  /* The period is closed: nothing more to sum up. */
  assert_int_equal(lw_detect_stop_summary(&copy, &s->cfg, T0 + 35 * MIN, &sum), 0);
  lw_detect_state_free(&copy);

  /* The window moves past minute 11: the state now, not the one held back. */
  step_at(s, T0 + 71 * MIN);
  a = find_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED, 0);
  assert_non_null(a);
  assert_int_equal(a->suppressed, 0);
  assert_string_equal(a->inserts[LW_INSERT_2003_COUNT], "5");
  assert_string_equal(a->inserts[LW_INSERT_2003_ID_RANGES], "2-6");
  assert_int_equal(s->st.policy.state_pending, 0);
  step_at(s, T0 + 72 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_IDS_PINNED), 0);
  sim_free(s);
}

/* ---- Blob and arguments --------------------------------------------------------- */

static uint32_t crc32_ref(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int b = 0; b < 8; b++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

static void fix_crc(unsigned char *p, size_t len) {
  uint32_t c = crc32_ref(p, len - 4);
  for (int k = 0; k < 4; k++)
    p[len - 4 + (size_t)k] = (unsigned char)(c >> (8 * k));
}

static void test_blob(void **state) {
  struct sim *s = sim_new();
  struct lw_detect_state back;
  char *blob = NULL;
  size_t len = 0;
  unsigned char *b;
  (void)state;
  s->cfg.accumulation_threshold = 2;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x1000);
  rdp_logon(s, 3, "bob", 0x2000);
  add_batch(s, 0x9000, 3, "svc", LW_LOGON_BATCH);
  step(s);
  kill_w(s, 2);
  find_w(s, 3)->state = LW_WTS_DOWN;
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(lw_detect_state_save(&s->st, &blob, &len), 0);
  b = (unsigned char *)blob;
  assert_memory_equal(blob, "LWDS\x02", 5);
  assert_int_equal(crc32_ref(b, len - 4), (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 |
                                              (uint32_t)b[len - 2] << 16 |
                                              (uint32_t)b[len - 1] << 24);
  lw_detect_state_init(&back);
  /* Every truncation and every single-byte change is refused, state untouched. */
  for (size_t n = 0; n < len; n++)
    assert_int_not_equal(lw_detect_state_load(blob, n, &back), 0);
  for (size_t i = 0; i < len; i++) {
    for (unsigned bit = 1; bit < 256; bit <<= 1) {
      b[i] ^= (unsigned char)bit;
      assert_int_not_equal(lw_detect_state_load(blob, len, &back), 0);
      b[i] ^= (unsigned char)bit;
    }
  }
  assert_true(back.last_poll == LW_TIME_UNKNOWN && back.n_logons == 0);
  assert_int_equal(lw_detect_state_load(blob, len, &back), 0);
  assert_int_equal(back.n_logons, s->st.n_logons);
  assert_int_equal(back.n_wts, s->st.n_wts);
  assert_int_equal(back.n_accum, 1);
  assert_int_equal(back.gap_active, s->st.gap_active);
  assert_true(back.last_poll == T0 + 11 * MIN);
  for (size_t i = 0; i < back.n_logons; i++) {
    assert_true(back.logons[i].luid == s->st.logons[i].luid);
    assert_true(back.logons[i].orphaned_since == s->st.logons[i].orphaned_since);
    assert_true(back.logons[i].leaked_at == s->st.logons[i].leaked_at);
    assert_true(back.logons[i].instance == s->st.logons[i].instance);
    if (s->st.logons[i].user != NULL)
      assert_string_equal(back.logons[i].user, s->st.logons[i].user);
  }
  lw_detect_state_free(&back);

  /* A newer version is refused as such; a valid CRC over nonsense is corrupt. */
  b[4] = 3;
  fix_crc(b, len);
  assert_int_equal(lw_detect_state_load(blob, len, &back), LW_ETOONEW);
  b[4] = 2;
  b[5] = 7; /* the reserved field */
  fix_crc(b, len);
  assert_int_equal(lw_detect_state_load(blob, len, &back), LW_ECORRUPT);
  {
    /* A huge record count with a correct CRC: refused before any allocation. */
    unsigned char tiny[64];
    size_t n = 0;
    memcpy(tiny, "LWDS\x01\x00\x00\x00\x00\x00\x00", 11); /* ... polls gap_active gap_last */
    n = 11;
    tiny[n++] = 0xff; /* n_strings: a 5-byte varint, far more than the bytes left */
    tiny[n++] = 0xff;
    tiny[n++] = 0xff;
    tiny[n++] = 0xff;
    tiny[n++] = 0x0f;
    n += 4;
    fix_crc(tiny, n);
    assert_int_equal(lw_detect_state_load((char *)tiny, n, &back), LW_ECORRUPT);
  }
  assert_int_equal(lw_detect_state_load(NULL, 5, &back), LW_EINVAL);
  assert_int_equal(lw_detect_state_save(NULL, &blob, &len), LW_EINVAL);
  free(blob);

  /* An empty state round-trips too. */
  lw_detect_state_init(&back);
  assert_int_equal(lw_detect_state_save(&back, &blob, &len), 0);
  assert_int_equal(lw_detect_state_load(blob, len, &back), 0);
  assert_true(back.boot_time == LW_TIME_UNKNOWN);
  lw_detect_state_free(&back);
  free(blob);
  sim_free(s);
}

/* ---- A canonical blob (issue 14): hand-made blobs, one departure each ---- */

struct bb {
  unsigned char b[512];
  size_t n;
};

static void bb_raw(struct bb *x, const void *p, size_t n) {
  assert_true(x->n + n <= sizeof x->b);
  memcpy(x->b + x->n, p, n);
  x->n += n;
}

static void bb_var(struct bb *x, uint64_t v) {
  do {
    unsigned char c = (unsigned char)(v & 0x7F);
    v >>= 7;
    if (v != 0)
      c |= 0x80;
    bb_raw(x, &c, 1);
  } while (v != 0);
}

/* A time as the saver writes it: zigzag of its (wrapping) difference from base. */
static void bb_time(struct bb *x, int64_t base, int64_t t) {
  uint64_t d = (uint64_t)t - (uint64_t)base;
  bb_var(x, (d << 1) ^ (0 - (d >> 63)));
}

static void bb_le(struct bb *x, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) {
    unsigned char c = (unsigned char)(v >> (8 * i));
    bb_raw(x, &c, 1);
  }
}

enum blob_variant {
  BV_CANONICAL,
  BV_OVERLONG_VERSION,     /* 1 as 0x81 0x00 */
  BV_OVERLONG_POLLS,       /* 3 as 0x83 0x00 */
  BV_OVERLONG_TIME,        /* a 10-byte varint whose last byte is 0 */
  BV_ORPHAN_NO_DETAILS,    /* mask ORPHANED without DETAILS (and no details) */
  BV_DETAILS_NOT_ORPHAN,   /* mask DETAILS without ORPHANED */
  BV_INSTANCE_IS_LIVE,     /* MASK_INSTANCE giving the live session's first_seen */
  BV_STRINGS_UNSORTED,     /* the table not in strcmp order */
  BV_STRING_UNUSED,        /* a string no record refers to */
  BV_ACCUM_SWAPPED,        /* two accumulation keys in the other order */
  BV_POLICY_SLOTS_SWAPPED, /* rate-limit slots out of order */
  BV_POLICY_SLOT_ZERO,     /* a rate-limit slot counting nothing */
  BV_TIME_BEYOND_LIMIT,    /* a time no clock gives (LW_TIME_LIMIT_MS) */
  BV_POLICY_HELD_FAR,      /* the rate limit holding since long before any clock */
  BV_COUNT
};

#define MASK_INSTANCE 1u
#define MASK_ORPHANED 2u
#define MASK_LEAKED 4u
#define MASK_DETAILS 8u
#define MASK_INST_LIVE 16u

/* A state of one live RDP session (alice, 0x1000), one leaked orphan (bob,
 * 0x2000) and two accumulation episodes, as the saver writes it; `v` changes
 * one thing. `accum_first` picks which episode comes first (the canonical order
 * depends on hashes: the test tries both). */
/* The format version make_blob writes. */
static int bb_version = 2;

static void make_blob(struct bb *x, enum blob_variant v, int accum_first) {
  const int64_t L = T0 + 10 * MIN, B = BOOT;
  /* The base of the times: the boot since version 2, the last poll before. */
  const int64_t Z = bb_version >= 2 ? B : L;
  /* strcmp order: upper case first. Indices are 1-based, 0 is NULL. */
  const char *sorted[] = {"CONTOSO", "alice", "bob", "svc", "zz-unused"};
  const char *tab[5];
  size_t n_tab = v == BV_STRING_UNUSED ? 5 : 4, i;
  uint64_t ix_contoso, ix_alice, ix_bob, ix_svc;
  memcpy(tab, sorted, sizeof tab);
  if (v == BV_STRINGS_UNSORTED) {
    tab[0] = "alice";
    tab[1] = "CONTOSO";
  }
  for (i = 0; i < n_tab && strcmp(tab[i], "CONTOSO") != 0; i++)
    ;
  ix_contoso = i + 1;
  for (i = 0; i < n_tab && strcmp(tab[i], "alice") != 0; i++)
    ;
  ix_alice = i + 1;
  ix_bob = 3;
  ix_svc = 4;

  x->n = 0;
  bb_raw(x, "LWDS", 4);
  if (v == BV_OVERLONG_VERSION)
    bb_raw(x, "\x81\x00", 2);
  else
    bb_var(x, (uint64_t)bb_version);
  bb_var(x, 0); /* reserved */
  bb_time(x, 0, B);
  bb_time(x, 0, L);
  if (v == BV_OVERLONG_POLLS)
    bb_raw(x, "\x83\x00", 2);
  else
    bb_var(x, 3);
  bb_var(x, 0); /* gap_active */
  bb_var(x, 0); /* gap_last_alerted */

  bb_var(x, n_tab);
  for (i = 0; i < n_tab; i++) {
    bb_var(x, strlen(tab[i]));
    bb_raw(x, tab[i], strlen(tab[i]));
  }

  bb_var(x, 1); /* WTS session 2, alice, Active since it was first seen */
  bb_var(x, 2);
  bb_var(x, LW_WTS_ACTIVE);
  bb_var(x, 0);
  bb_time(x, Z, L - 5 * MIN);
  bb_time(x, Z, v == BV_TIME_BEYOND_LIMIT ? -LW_TIME_LIMIT_MS - 1 : L - 5 * MIN);
  if (v == BV_OVERLONG_TIME) /* 0 (the time L) in 10 bytes */
    bb_raw(x, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10);
  else
    bb_time(x, Z, LW_TIME_UNKNOWN);
  bb_var(x, ix_alice);
  bb_var(x, ix_contoso);

  bb_var(x, 2);
  /* 0x1000: alice's, in the live session 2 */
  bb_var(x, 0x1000);
  bb_var(x, 2);
  bb_var(x, 0);
  if (v == BV_INSTANCE_IS_LIVE) {
    bb_var(x, MASK_INSTANCE);
    bb_time(x, Z, L - 5 * MIN);
    bb_time(x, Z, L - 5 * MIN);
  } else {
    bb_var(x, MASK_INST_LIVE);
    bb_time(x, Z, L - 5 * MIN);
  }
  /* 0x2000: bob's, orphaned and leaked */
  bb_var(x, 0x1000);
  bb_var(x, 3);
  bb_var(x, 0);
  bb_var(x, v == BV_ORPHAN_NO_DETAILS ? MASK_INSTANCE | MASK_ORPHANED | MASK_LEAKED
            : v == BV_DETAILS_NOT_ORPHAN
                ? MASK_INSTANCE | MASK_DETAILS
                : MASK_INSTANCE | MASK_ORPHANED | MASK_LEAKED | MASK_DETAILS);
  bb_time(x, L - 5 * MIN, L - 9 * MIN);
  bb_time(x, Z, L - 9 * MIN);
  if (v != BV_DETAILS_NOT_ORPHAN) {
    bb_time(x, Z, L - 3 * MIN);
    bb_time(x, Z, L - 2 * MIN);
  }
  if (v != BV_ORPHAN_NO_DETAILS) {
    bb_var(x, LW_LOGON_REMOTE_INTERACTIVE);
    bb_time(x, Z, L - 9 * MIN);
    bb_var(x, ix_bob);
    bb_var(x, ix_contoso);
  }

  bb_var(x, 2);
  for (i = 0; i < 2; i++) {
    int svc = (i == 0) == (accum_first == 0);
    if (v == BV_ACCUM_SWAPPED)
      svc = !svc;
    bb_var(x, svc ? ix_svc : ix_alice);
    bb_var(x, ix_contoso);
    bb_var(x, LW_LOGON_BATCH);
    bb_var(x, 2);
  }

  /* The rate limit: "LWAP" 1 (no state pending), nothing held, two slots
   * (minutes 7 and 9). */
  bb_var(x, 5 + 13 + 2 * 12);
  bb_raw(x, "LWAP\x01", 5);
  /* (the fuzzer's find: `now - held_since` overflowed at the next poll) */
  bb_le(x,
        v == BV_POLICY_HELD_FAR ? (uint64_t)INT64_C(-9223370937343148032)
                                : (uint64_t)LW_TIME_UNKNOWN,
        8);
  bb_le(x, v == BV_POLICY_HELD_FAR ? 1 : 0, 4);
  bb_le(x, 2, 1);
  bb_le(x, v == BV_POLICY_SLOTS_SWAPPED ? 9 : 7, 8);
  bb_le(x, v == BV_POLICY_SLOT_ZERO ? 0 : 1, 4);
  bb_le(x, v == BV_POLICY_SLOTS_SWAPPED ? 7 : 9, 8);
  bb_le(x, 1, 4);
  bb_le(x, 0, 4); /* the CRC */
  fix_crc(x->b, x->n);
}

/* The saver's format is the only one the loader takes: every blob that loads
 * saves to the same bytes (issue 14: over-long numbers and a flag combination
 * the saver never writes were taken and saved differently), and its times are
 * ones the detector can subtract. */
static void test_blob_canonical(void **state) {
  struct bb x;
  struct lw_detect_state st;
  char *again = NULL;
  size_t len = 0;
  int accum_first = -1, v;
  (void)state;
  lw_detect_state_init(&st);
  /* The builder is right: one of the two accumulation orders is the saver's. */
  for (int a = 0; a < 2; a++) {
    make_blob(&x, BV_CANONICAL, a);
    if (lw_detect_state_load((const char *)x.b, x.n, &st) == 0) {
      assert_int_equal(accum_first, -1);
      accum_first = a;
      assert_int_equal(st.n_logons, 2);
      assert_string_equal(st.logons[1].user, "bob");
      assert_true(st.logons[1].leaked_at == T0 + 8 * MIN);
      assert_int_equal(st.n_accum, 2);
      assert_int_equal(lw_detect_state_save(&st, &again, &len), 0);
      assert_int_equal(len, x.n);
      assert_memory_equal(again, x.b, len);
      free(again);
      lw_detect_state_free(&st);
    }
  }
  assert_int_not_equal(accum_first, -1);
  /* A version 1 blob (times from the last poll) of the same state still loads,
   * and saves as version 2: the canonical blob above (issue 17). */
  {
    struct bb v2;
    make_blob(&v2, BV_CANONICAL, accum_first);
    bb_version = 1;
    make_blob(&x, BV_CANONICAL, accum_first);
    bb_version = 2;
    assert_int_equal(x.b[4], 1);
    assert_int_not_equal(x.n == v2.n && memcmp(x.b, v2.b, x.n) == 0, 1);
    assert_int_equal(lw_detect_state_load((const char *)x.b, x.n, &st), 0);
    assert_true(st.logons[1].leaked_at == T0 + 8 * MIN);
    assert_int_equal(lw_detect_state_save(&st, &again, &len), 0);
    assert_int_equal(len, v2.n);
    assert_memory_equal(again, v2.b, len);
    free(again);
    lw_detect_state_free(&st);
  }
  for (v = BV_CANONICAL + 1; v < BV_COUNT; v++) {
    make_blob(&x, (enum blob_variant)v, accum_first);
    if (lw_detect_state_load((const char *)x.b, x.n, &st) == 0) {
      assert_int_equal(lw_detect_state_save(&st, &again, &len), 0);
      print_error("variant %d loaded and saved as %s bytes\n", v,
                  len == x.n && memcmp(again, x.b, len) == 0 ? "the same" : "different");
      free(again);
      lw_detect_state_free(&st);
      fail_msg("variant %d: a blob the saver never writes was loaded", v);
    }
    assert_true(st.last_poll == LW_TIME_UNKNOWN && st.n_logons == 0);
  }
  /* The rate limit's own loader, directly: slots in order, none empty. */
  {
    struct lw_alert_policy_state pol;
    char *pb = NULL;
    size_t pl = 0;
    make_blob(&x, BV_CANONICAL, accum_first);
    const unsigned char *p = x.b + x.n - 4 - 42; /* the policy blob */
    assert_memory_equal(p, "LWAP", 4);
    assert_int_equal(lw_alert_policy_load((const char *)p, 42, &pol), 0);
    assert_int_equal(lw_alert_policy_save(&pol, &pb, &pl), 0);
    assert_int_equal(pl, 42);
    assert_memory_equal(pb, p, 42);
    free(pb);
    make_blob(&x, BV_POLICY_SLOTS_SWAPPED, accum_first);
    assert_int_equal(lw_alert_policy_load((const char *)x.b + x.n - 46, 42, &pol), LW_ECORRUPT);
    make_blob(&x, BV_POLICY_SLOT_ZERO, accum_first);
    assert_int_equal(lw_alert_policy_load((const char *)x.b + x.n - 46, 42, &pol), LW_ECORRUPT);
  }
}

static void test_invalid_arguments(void **state) {
  struct lw_detect_state st;
  struct lw_detect_output out;
  struct lw_detect_config cfg = {10 * MIN, 10, 25, 60, 1, NULL};
  struct lw_snapshot *snap = lw_snapshot_new();
  (void)state;
  lw_detect_state_init(&st);
  lw_detect_output_init(&out);
  assert_int_equal(lw_detect_step(NULL, snap, &cfg, &out), LW_EINVAL);
  assert_int_equal(lw_detect_step(&st, NULL, &cfg, &out), LW_EINVAL);
  assert_int_equal(lw_detect_step(&st, snap, NULL, &out), LW_EINVAL);
  assert_int_equal(lw_detect_step(&st, snap, &cfg, NULL), LW_EINVAL);
  assert_int_equal(lw_detect_step(&st, snap, &cfg, &out), LW_EINVAL); /* no taken_at */
  snap->taken_at = T0;
  /* Not finished: unsorted. */
  lw_snapshot_add_logon(snap)->luid = 9;
  lw_snapshot_add_logon(snap)->luid = 8;
  assert_int_equal(lw_detect_step(&st, snap, &cfg, &out), LW_EINVAL);
  assert_true(st.last_poll == LW_TIME_UNKNOWN);
  lw_snapshot_finish(snap);
  assert_int_equal(lw_detect_step(&st, snap, &cfg, &out), 0);
  assert_true(st.last_poll == T0);
  lw_snapshot_free(snap);
  lw_detect_output_free(&out);
  lw_detect_state_free(&st);
  lw_detect_state_free(NULL);
  lw_detect_output_free(NULL);
}

static void test_config_from(void **state) {
  struct lw_config c;
  struct lw_detect_config d;
  char buf[48];
  (void)state;
  lw_config_defaults(&c);
  lw_detect_config_from(&d, &c);
  assert_true(d.grace_period_ms == 10 * MIN);
  assert_int_equal(d.gap_threshold, 10);
  assert_int_equal(d.accumulation_threshold, 25);
  assert_int_equal(d.alerts_max_per_hour, 60);
  lw_config_free(&c);
  assert_string_equal(lw_detect_logon_type_text(10, buf, sizeof buf), "RemoteInteractive (10)");
  assert_string_equal(lw_detect_logon_type_text(0, buf, sizeof buf), "Undefined (0)");
  assert_string_equal(lw_detect_logon_type_text(14, buf, sizeof buf), "14");
}

/* User names of sessions long gone do not pile up in the state. */
static void test_strings_do_not_pile_up(void **state) {
  struct sim *s = sim_new();
  (void)state;
  base_host(s);
  for (int p = 0; p < 1000; p++) {
    char name[16];
    snprintf(name, sizeof name, "visitor%04d", p);
    s->now = T0 + p * MIN;
    if (p > 0) {
      kill_w(s, 2);
      kill_l(s, 0x100000 + (uint64_t)(p - 1) * 4);
      kill_l(s, 0x100000 + (uint64_t)(p - 1) * 4 + 1);
      kill_l(s, 0x100000 + (uint64_t)(p - 1) * 4 + 2);
    }
    rdp_logon(s, 2, name, 0x100000 + (uint64_t)p * 4);
    step(s);
  }
  assert_int_equal(total_alerts(s), 0);
  assert_true(s->st.strings.count < 300);
  sim_free(s);
}

/* ---- Known leaks (issue 15) ------------------------------------------------- */

/* An entry of a set for the tests: id > 0 an acknowledgement, 0 an ignore. */
static void add_entry(struct lw_ack_set *set, int64_t id, int kind, const char *target,
                      int64_t expires_at) {
  struct lw_ack a;
  memset(&a, 0, sizeof a);
  a.id = id;
  a.kind = kind;
  a.target = (char *)target;
  a.reason = (char *)"known";
  a.created_at = T0;
  a.expires_at = expires_at;
  if (kind == LW_ACK_LUID)
    assert_int_equal(lw_luid_parse(target, &a.luid), 0);
  assert_int_equal(lw_ack_set_add(set, &a), 0);
}

/* alice's 2001 is acknowledged (recorded, marked, not counted by the rate
 * limit), bob's (another user) alerts, carol's is ignored by the
 * configuration; at alice's expiry lw_detect_realert raises her 2001 again. */
static void test_known_leaks_withheld_and_restored(void **state) {
  struct sim *s = sim_new();
  struct lw_ack_set acks, ended;
  const struct lw_alert *a;
  (void)state;
  lw_ack_set_init(&acks);
  lw_ack_set_init(&ended);
  add_entry(&acks, 1, LW_ACK_USER, "contoso\\ALICE", T0 + 30 * MIN);
  add_entry(&acks, 0, LW_ACK_USER, "CONTOSO\\carol", LW_TIME_UNKNOWN);
  s->cfg.acks = &acks;
  s->cfg.alerts_max_per_hour = 60;
  base_host(s);
  rdp_logon(s, 2, "alice", 0x2a0000);
  rdp_logon(s, 3, "bob", 0x3a0000);
  rdp_logon(s, 4, "carol", 0x4a0000);
  step(s);
  for (uint32_t id = 2; id <= 4; id++)
    kill_w(s, id); /* three logoffs; the logon sessions stay */
  find_l(s, 0x2a0000)->procs = 0;
  find_l(s, 0x3a0000)->procs = 0;
  find_l(s, 0x4a0000)->procs = 0;
  step_at(s, T0 + MIN);
  step_at(s, T0 + 11 * MIN);
  assert_int_equal(count_ev(&s->out, LW_EVENT_SESSION_LEAKED), 3);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x2a0000);
  assert_non_null(a);
  assert_int_equal(a->acknowledged, LW_ACK_BY_ACK);
  assert_int_equal(a->ack_id, 1);
  assert_int_equal(a->suppressed, 0);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x3a0000);
  assert_int_equal(a->acknowledged, LW_ACK_BY_NONE);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x4a0000);
  assert_int_equal(a->acknowledged, LW_ACK_BY_CONFIG);
  assert_int_equal(a->ack_id, 0);
  /* Only bob's reached the budget (the DWM/UMFD are folded into the users'). */
  assert_int_equal(lw_alert_policy_sent_in_window(&s->st.policy, s->now), 1);
  /* The leaks are recorded all the same. */
  assert_int_equal(s->out.leaked, 9);

  /* Before the expiry nothing is raised again. */
  step_at(s, T0 + 20 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  /* An ended entry of alice's while hers is still in force: nothing. */
  add_entry(&ended, 1, LW_ACK_USER, "contoso\\ALICE", LW_TIME_UNKNOWN);
  assert_int_equal(lw_detect_realert(&s->st, &s->cfg, &ended, s->now, &s->out), 0);
  assert_int_equal(s->out.n_alerts, 0);

  /* At the expiry: her 2001 again, now (minutes pinned from her logoff). */
  step_at(s, T0 + 31 * MIN);
  assert_int_equal(s->out.n_alerts, 0);
  assert_int_equal(lw_detect_realert(&s->st, &s->cfg, &ended, s->now, &s->out), 1);
  a = find_ev(&s->out, LW_EVENT_SESSION_LEAKED, 0x2a0000);
  assert_non_null(a);
  assert_int_equal(a->acknowledged, LW_ACK_BY_NONE);
  assert_int_equal(a->raised_at, T0 + 31 * MIN);
  assert_string_equal(a->inserts[LW_INSERT_2001_LUID], "00000000:002a0000");
  assert_string_equal(a->inserts[LW_INSERT_2001_MINUTES_PINNED], "30");
  assert_string_equal(a->inserts[LW_INSERT_2001_SYSTEM_LOGONS], "2");
  assert_int_equal(s->out.n_changes, 0); /* the episode is open already */
  assert_int_equal(lw_alert_policy_sent_in_window(&s->st.policy, s->now), 2);

  /* An ended acknowledgement whose leak another entry still covers: nothing. */
  lw_detect_output_free(&s->out);
  add_entry(&acks, 2, LW_ACK_LUID, "00000000:002a0000", LW_TIME_UNKNOWN);
  assert_int_equal(lw_detect_realert(&s->st, &s->cfg, &ended, s->now, &s->out), 0);
  assert_int_equal(s->out.n_alerts, 0);
  /* One that covers no open leak: nothing either. */
  lw_ack_set_free(&ended);
  add_entry(&ended, 3, LW_ACK_USER, "CONTOSO\\nobody", LW_TIME_UNKNOWN);
  assert_int_equal(lw_detect_realert(&s->st, &s->cfg, &ended, s->now, &s->out), 0);
  assert_int_equal(lw_detect_realert(NULL, &s->cfg, &ended, s->now, &s->out), LW_EINVAL);
  lw_ack_set_free(&ended);
  lw_ack_set_free(&acks);
  sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_leak_and_release),
      cmocka_unit_test(test_known_leaks_withheld_and_restored),
      cmocka_unit_test(test_grace_boundary),
      cmocka_unit_test(test_normal_logoff_lingering),
      cmocka_unit_test(test_well_known_and_session_zero),
      cmocka_unit_test(test_system_logon_names),
      cmocka_unit_test(test_dwm_umfd_attribution),
      cmocka_unit_test(test_disconnected_for_days),
      cmocka_unit_test(test_reconnect_new_id),
      cmocka_unit_test(test_id_reuse_after_clean_logoff),
      cmocka_unit_test(test_id_reuse_of_leaked),
      cmocka_unit_test(test_logon_before_wts),
      cmocka_unit_test(test_fresh_start_with_existing_leak),
      cmocka_unit_test(test_data_status),
      cmocka_unit_test(test_gap_threshold_realert_and_clear),
      cmocka_unit_test(test_gap_ignores_clean_holes),
      cmocka_unit_test(test_2_to_152_inserts),
      cmocka_unit_test(test_pinned_text_truncation),
      cmocka_unit_test(test_2_to_152_sequence),
      cmocka_unit_test(test_accumulation),
      cmocka_unit_test(test_stuck_logoff),
      cmocka_unit_test(test_never_cry_wolf_500_users),
      cmocka_unit_test(test_never_cry_wolf_with_restarts),
      cmocka_unit_test(test_restart_mid_episode),
      cmocka_unit_test(test_restart_before_grace),
      cmocka_unit_test(test_restart_equivalence),
      cmocka_unit_test(test_reboot),
      cmocka_unit_test(test_rate_limit_and_summary),
      cmocka_unit_test(test_state_restated_and_stop_summary),
      cmocka_unit_test(test_blob),
      cmocka_unit_test(test_blob_canonical),
      cmocka_unit_test(test_invalid_arguments),
      cmocka_unit_test(test_config_from),
      cmocka_unit_test(test_strings_do_not_pile_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
