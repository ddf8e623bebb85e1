/*
 * bench_detect.c - what one lw_detect_step costs on a large RDS host (a native
 * benchmark, not a test: timing targets never go into tests).
 *
 * A synthetic host of N logon sessions: a tenth of them are users' RDP sessions
 * (one WTS session, its user logon, DWM-n and UMFD-n: so N/30 WTS sessions and
 * N/10 logons in terminal sessions), the rest are session-0 logon sessions
 * (network, batch, service) of many accounts, some without processes. Each poll
 * 1 % of the logon sessions churn: RDP users log off (WTS session and its logon
 * sessions gone; one logoff in 50 leaves the user's logon session behind, a leak)
 * and new users log on to the lowest free ID, session-0 logons end and new ones
 * begin. Snapshots are built outside the timed region; only lw_detect_step and
 * lw_detect_state_save are timed.
 *
 * usage: bench_detect [POLLS] [DIR]     (default 200 polls per size, /tmp)
 * Prints, for N = 1,000, 5,000 and 20,000: mean, p50 and p99 time per step and
 * per changed logon session (those that began or ended: the step should cost
 * per change, not per session, issue 17), the time to save the state
 * (lw_detect_state_save) and to make its delta from the previous poll's
 * (blob_delta.h, as the store writes it), the whole blob's size against the
 * delta's, the SQLite write of each (the store's statements, one transaction
 * per poll, WAL, synchronous=NORMAL, in DIR), and what the detector saw.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob_delta.h"
#include "detect.h"
#include "snapshot.h"

#define MIN INT64_C(60000)
#define T0 INT64_C(1795251600000)
#define PINNED UINT32_MAX

struct logon {
  uint64_t luid;
  uint32_t ts, type;
  int procs;
  char user[32], domain[32], sid[32];
};

struct host {
  struct logon *l;
  size_t nl, capl;
  uint32_t *wts; /* per ID: the ID when live, 0 free, PINNED when a leak holds it */
  size_t n_ids;
  uint64_t next_luid;
  uint64_t rng;
  uint32_t users;
};

static uint32_t rnd(struct host *h, uint32_t n) {
  h->rng ^= h->rng << 13;
  h->rng ^= h->rng >> 7;
  h->rng ^= h->rng << 17;
  return (uint32_t)(h->rng % n);
}

static struct logon *add(struct host *h, uint32_t ts, uint32_t type, int procs, const char *user,
                         const char *domain, const char *sid) {
  struct logon *l;
  if (h->nl == h->capl) {
    h->capl = h->capl ? h->capl * 2 : 1024;
    h->l = realloc(h->l, h->capl * sizeof *h->l);
    if (h->l == NULL) {
      perror("realloc");
      exit(1);
    }
  }
  l = &h->l[h->nl++];
  memset(l, 0, sizeof *l);
  l->luid = h->next_luid;
  h->next_luid += 1 + (h->next_luid % 7);
  l->ts = ts;
  l->type = type;
  l->procs = procs;
  snprintf(l->user, sizeof l->user, "%s", user);
  snprintf(l->domain, sizeof l->domain, "%s", domain);
  snprintf(l->sid, sizeof l->sid, "%s", sid);
  return l;
}

/* A user logs on to the lowest free ID. */
static void rdp_logon(struct host *h) {
  char user[32], sid[32];
  size_t id;
  for (id = 2; id < h->n_ids && h->wts[id] != 0; id++)
    ;
  if (id >= h->n_ids)
    return;
  h->wts[id] = (uint32_t)id;
  snprintf(user, sizeof user, "DWM-%u", (unsigned)id);
  snprintf(sid, sizeof sid, "S-1-5-90-0-%u", (unsigned)id);
  add(h, (uint32_t)id, LW_LOGON_INTERACTIVE, 1, user, "Window Manager", sid);
  snprintf(user, sizeof user, "UMFD-%u", (unsigned)id);
  snprintf(sid, sizeof sid, "S-1-5-96-0-%u", (unsigned)id);
  add(h, (uint32_t)id, LW_LOGON_INTERACTIVE, 1, user, "Font Driver Host", sid);
  snprintf(user, sizeof user, "user%05u", h->users++ % 50000);
  add(h, (uint32_t)id, LW_LOGON_REMOTE_INTERACTIVE, 12, user, "CONTOSO", "");
}

static void session0_logon(struct host *h) {
  static const uint32_t types[] = {LW_LOGON_NETWORK, LW_LOGON_NETWORK, LW_LOGON_BATCH,
                                   LW_LOGON_SERVICE};
  char user[24];
  uint32_t t = types[rnd(h, 4)];
  snprintf(user, sizeof user, "acct%04u", rnd(h, 3000));
  add(h, 0, t, t == LW_LOGON_NETWORK ? 0 : (int)rnd(h, 3), user, "CONTOSO", "");
}

/* Removes logon i (order does not matter: the snapshot is sorted). */
static void drop(struct host *h, size_t i) {
  h->l[i] = h->l[--h->nl];
}

/* The user of RDP session `id` logs off; 1 in 50 leaves its logon session. */
static void rdp_logoff(struct host *h, uint32_t id, uint64_t *leaks) {
  int leak = rnd(h, 50) == 0;
  /* Windows does not reuse an ID that a leaked logon session still names. */
  h->wts[id] = leak ? PINNED : 0;
  for (size_t i = 0; i < h->nl;) {
    if (h->l[i].ts == id && h->l[i].luid != 0) {
      if (leak && h->l[i].type == LW_LOGON_REMOTE_INTERACTIVE) {
        h->l[i].procs = 0; /* stays, pinning the ID */
        (*leaks)++;
        i++;
        continue;
      }
      drop(h, i);
    } else {
      i++;
    }
  }
}

static struct lw_snapshot *build(const struct host *h, int64_t now) {
  struct lw_snapshot *s = lw_snapshot_new();
  uint32_t pid = 8;
  size_t i;
  if (s == NULL)
    exit(1);
  s->taken_at = now;
  s->boot_time = T0 - 86400000;
  for (i = 0; i < h->nl; i++) {
    const struct logon *x = &h->l[i];
    struct lw_logon_session *l = lw_snapshot_add_logon(s);
    l->luid = x->luid;
    l->logon_type = x->type;
    l->terminal_session = x->ts;
    l->logon_time = now;
    l->user = lw_snapshot_strdup(s, x->user);
    l->domain = lw_snapshot_strdup(s, x->domain);
    l->sid = x->sid[0] ? lw_snapshot_strdup(s, x->sid) : NULL;
    for (int p = 0; p < x->procs; p++) {
      struct lw_process *pr = lw_snapshot_add_process(s);
      pr->pid = pid += 4;
      pr->luid = x->luid;
      pr->session_id = x->ts;
    }
  }
  {
    struct lw_wts_session *w = lw_snapshot_add_wts(s);
    w->id = 0;
    w->state = LW_WTS_DISCONNECTED;
  }
  for (i = 1; i < h->n_ids; i++) {
    if (h->wts[i] != 0 && h->wts[i] != PINNED) {
      struct lw_wts_session *w = lw_snapshot_add_wts(s);
      w->id = h->wts[i];
      w->state = LW_WTS_ACTIVE;
      w->user = lw_snapshot_strdup(s, "someone");
      w->domain = lw_snapshot_strdup(s, "CONTOSO");
    }
  }
  lw_snapshot_finish(s);
  return s;
}

static double now_us(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Logon sessions in one sorted snapshot and not the other. */
static size_t changed(const struct lw_snapshot *a, const struct lw_snapshot *b) {
  size_t i = 0, j = 0, n = 0;
  while (i < a->n_logons || j < b->n_logons) {
    if (j == b->n_logons || (i < a->n_logons && a->logons[i].luid < b->logons[j].luid)) {
      i++;
      n++;
    } else if (i == a->n_logons || b->logons[j].luid < a->logons[i].luid) {
      j++;
      n++;
    } else {
      i++;
      j++;
    }
  }
  return n;
}

static void sql_ok(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, msg != NULL ? msg : "?");
    exit(1);
  }
}

/* One transaction writing a blob with `st` (?1 the blob), as the store does;
 * its time in us. */
static double write_blob(sqlite3 *db, sqlite3_stmt *st, const void *p, size_t n) {
  double a = now_us();
  sql_ok(db, "BEGIN IMMEDIATE");
  sqlite3_reset(st);
  sqlite3_bind_blob64(st, 1, p, n, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
    fprintf(stderr, "write: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  sql_ok(db, "COMMIT");
  return now_us() - a;
}

struct figures {
  double step_mean, step_p50, per_change_mean, per_change_p50;
};

static struct figures run(size_t n, int polls, const char *dir) {
  struct host h;
  struct lw_detect_state st;
  struct lw_detect_output out;
  struct lw_detect_config cfg = {10 * MIN, 10, 25, 60, 1, NULL};
  double *t = calloc((size_t)polls, sizeof *t), *pc = calloc((size_t)polls, sizeof *pc);
  double save_us = 0, delta_us = 0, sum = 0, sum_pc = 0, whole_w = 0, delta_w = 0;
  size_t blob_max = 0, alerts = 0, suppressed = 0, changes = 0, delta_sum = 0, delta_max = 0;
  uint64_t leaks = 0;
  struct lw_snapshot *prev = NULL;
  char *prev_blob = NULL, path[1024];
  size_t prev_len = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *whole_st = NULL, *delta_st = NULL;
  struct figures f;
  int p;

  memset(&h, 0, sizeof h);
  h.rng = 0x9E3779B97F4A7C15u ^ n;
  h.next_luid = 0x100000;
  h.n_ids = n / 30 * 4 + 16; /* room for IDs pinned by leaks */
  h.wts = calloc(h.n_ids, sizeof *h.wts);
  if (t == NULL || pc == NULL || h.wts == NULL)
    exit(1);
  snprintf(path, sizeof path, "%s/bench_detect_%zu.db", dir, n);
  remove(path);
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "%s: cannot open\n", path);
    exit(1);
  }
  sql_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
             "CREATE TABLE detector_state(id INTEGER PRIMARY KEY, state BLOB NOT NULL);"
             "INSERT INTO detector_state VALUES (1, x'');"
             "CREATE TABLE detector_state_delta(seq INTEGER PRIMARY KEY, delta BLOB NOT NULL)");
  if (sqlite3_prepare_v2(db, "UPDATE detector_state SET state = ?1 WHERE id = 1", -1, &whole_st,
                         NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO detector_state_delta(delta) VALUES (?1)", -1, &delta_st,
                         NULL) != SQLITE_OK)
    exit(1);
  while (h.nl < n / 10)
    rdp_logon(&h);
  while (h.nl < n)
    session0_logon(&h);
  lw_detect_state_init(&st);
  lw_detect_output_init(&out);

  for (p = 0; p < polls; p++) {
    struct lw_snapshot *snap;
    size_t churn = n / 100, k, c;
    double a, b;
    char *blob = NULL;
    unsigned char *delta = NULL;
    size_t len = 0, dlen = 0;
    /* 1 %: a tenth of it RDP logoffs/logons (3 logon sessions each), the rest
     * session-0 logons ending and starting. */
    for (k = 0; k < churn / 30 + 1; k++) {
      /* A live session logs off (found by trying random IDs), a new one starts:
       * the number of users stays about the same. */
      for (int tries = 0; tries < 1000; tries++) {
        uint32_t id = 2 + rnd(&h, (uint32_t)(h.n_ids - 2));
        if (h.wts[id] != 0 && h.wts[id] != PINNED) {
          rdp_logoff(&h, id, &leaks);
          break;
        }
      }
      rdp_logon(&h);
    }
    for (k = 0; k < churn * 9 / 10; k++) {
      size_t i = rnd(&h, (uint32_t)h.nl);
      if (h.l[i].ts == 0)
        drop(&h, i);
      session0_logon(&h);
    }
    snap = build(&h, T0 + p * MIN);
    c = prev != NULL ? changed(prev, snap) : snap->n_logons;
    a = now_us();
    if (lw_detect_step(&st, snap, &cfg, &out) != 0) {
      fprintf(stderr, "lw_detect_step failed\n");
      exit(1);
    }
    b = now_us();
    t[p] = b - a;
    pc[p] = t[p] / (double)(c != 0 ? c : 1);
    if (p > 0) { /* the first step sees every session new */
      sum += t[p];
      sum_pc += pc[p];
      changes += c;
    }
    for (k = 0; k < out.n_alerts; k++) {
      alerts++;
      suppressed += out.alerts[k].suppressed != 0;
    }
    a = now_us();
    if (lw_detect_state_save(&st, &blob, &len) != 0)
      exit(1);
    save_us += now_us() - a;
    if (len > blob_max)
      blob_max = len;
    if (prev_blob != NULL) {
      a = now_us();
      if (lw_blob_delta_make(prev_blob, prev_len, blob, len, &delta, &dlen) != 0)
        exit(1);
      delta_us += now_us() - a;
      delta_sum += dlen;
      if (dlen > delta_max)
        delta_max = dlen;
      whole_w += write_blob(db, whole_st, blob, len);
      delta_w += write_blob(db, delta_st, delta, dlen);
      free(delta);
      if (p % 32 == 0)
        sql_ok(db, "DELETE FROM detector_state_delta; PRAGMA wal_checkpoint(PASSIVE)");
    }
    free(prev_blob);
    prev_blob = blob;
    prev_len = len;
    lw_snapshot_free(prev);
    prev = snap;
  }
  /* The first poll (every session new) is left out of the means. */
  t[0] = t[polls - 1];
  pc[0] = pc[polls - 1];
  qsort(t, (size_t)polls, sizeof *t, cmp_double);
  qsort(pc, (size_t)polls, sizeof *pc, cmp_double);
  f.step_mean = sum / (polls - 1);
  f.step_p50 = t[polls / 2];
  f.per_change_mean = sum_pc / (polls - 1);
  f.per_change_p50 = pc[polls / 2];
  printf("%7zu logons %5zu WTS | %5.1f changes/poll | step mean %7.1f us  p50 %7.1f  p99 %7.1f"
         "  p/m %4.1f | per change mean %5.2f us  p50 %5.2f\n",
         n, st.n_wts, (double)changes / (polls - 1), f.step_mean, f.step_p50, t[polls * 99 / 100],
         t[polls * 99 / 100] / f.step_mean, f.per_change_mean, f.per_change_p50);
  printf("        save %7.1f us + delta %6.1f us | whole %7zu B, delta mean %6.0f B (max %zu), "
         "%.1f%% | SQLite write: whole %7.1f us, delta %6.1f us | leaks %3llu pinned %3u alerts "
         "%4zu (%zu held back)\n",
         save_us / polls, delta_us / (polls - 1), blob_max, (double)delta_sum / (polls - 1),
         delta_max, 100.0 * (double)delta_sum / (double)(polls - 1) / (double)blob_max,
         whole_w / (polls - 1), delta_w / (polls - 1), (unsigned long long)leaks, out.pinned_ids,
         alerts, suppressed);
  sqlite3_finalize(whole_st);
  sqlite3_finalize(delta_st);
  sqlite3_close(db);
  remove(path);
  snprintf(path + strlen(path), sizeof path - strlen(path), "-wal");
  remove(path);
  path[strlen(path) - 4] = '\0';
  snprintf(path + strlen(path), sizeof path - strlen(path), "-shm");
  remove(path);
  free(prev_blob);
  lw_snapshot_free(prev);
  lw_detect_output_free(&out);
  lw_detect_state_free(&st);
  free(h.l);
  free(h.wts);
  free(t);
  free(pc);
  return f;
}

int main(int argc, char **argv) {
  int polls = argc > 1 ? atoi(argv[1]) : 200;
  const char *dir = argc > 2 ? argv[2] : "/tmp";
  static const size_t sizes[] = {1000, 5000, 20000};
  struct figures f[3];
  if (polls < 3) {
    fprintf(stderr, "usage: bench_detect [POLLS>=3] [DIR]\n");
    return 2;
  }
  printf("bench_detect: %d polls per size, 1 %% churn per poll, 60 s apart\n", polls);
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    f[i] = run(sizes[i], polls, dir);
  printf("step per change, 20,000 / 5,000 sessions: mean %.2f, p50 %.2f (target <= 2)\n",
         f[2].per_change_mean / f[1].per_change_mean, f[2].per_change_p50 / f[1].per_change_p50);
  return 0;
}
