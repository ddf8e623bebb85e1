/*
 * bench_floor.c - bench_store's floor (see bench_floor.h): what writing only
 * the changed rows costs when something else has already found them.
 *
 * The changes of a poll are found by merging the previous and the new snapshot
 * (both sorted) before the clock starts, with the store's rule for a reused WTS
 * session ID; on the clock are only BEGIN IMMEDIATE, one poll row, an INSERT
 * per new logon session / WTS instance / transition, an INSERT of the end of
 * each ended one (schema 8's end tables: the row the store writes), and
 * COMMIT. Same schema, same indexes, same SQLite settings as the store.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "bench_floor.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "store.h"
#include "store_testlib.h"

#define MIN_MS INT64_C(60000)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *why) {
  fprintf(stderr, "bench_store floor: %s: %s\n", what, why);
  exit(1);
}

/* One poll's changes; indexes into the snapshots, row IDs of the ended. */
struct changes {
  size_t *lnew, n_lnew; /* logon sessions to insert (index in the new snapshot) */
  int64_t *lend;        /* row IDs of logon sessions that ended */
  size_t n_lend;
  size_t *wnew, n_wnew; /* new WTS instances (index in the new snapshot) */
  int64_t *wend;        /* row IDs of WTS instances that ended */
  size_t n_wend;
  size_t *wver, n_wver; /* a new transition of a live instance (index) */
  int64_t *lids, *wids; /* row IDs aligned with the new snapshot */
  int64_t *prev_lids, *prev_wids;
};

struct floor_db {
  sqlite3 *db;
  sqlite3_stmt *begin, *commit, *poll, *lins, *lend, *wins, *wend, *wver;
  int64_t boot_id;
  int wal_pages; /* frames in the WAL after the last commit (the hook's) */
};

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
  (void)db;
  (void)name;
  ((struct floor_db *)arg)->wal_pages = pages;
  return SQLITE_OK;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
    die(sql, sqlite3_errmsg(db));
  return s;
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    die(sql, sqlite3_errmsg(db));
}

static void open_floor(const char *path, int between, struct floor_db *f) {
  memset(f, 0, sizeof *f);
  if (sqlite3_open(path, &f->db) != SQLITE_OK)
    die("open", path);
  exec(f->db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  if (between)
    sqlite3_wal_hook(f->db, wal_hook, f); /* replaces the automatic checkpoint */
  else
    sqlite3_wal_autocheckpoint(f->db, LW_STORE_WAL_AUTOCHECKPOINT);
  f->begin = prep(f->db, "BEGIN IMMEDIATE");
  f->commit = prep(f->db, "COMMIT");
  f->poll = prep(f->db, "INSERT INTO polls(boot_id, t, duration_ms, logon_sessions, "
                        "wts_sessions) VALUES (?1, ?2, ?3, ?4, ?5)");
  f->lins = prep(f->db, "INSERT INTO logon_sessions(boot_id, luid, data_status, logon_type, "
                        "terminal_session, logon_time, user, domain, sid, auth_package, "
                        "logon_server, dns_domain, upn, first_seen, process_count_max) VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  f->lend = prep(f->db, "INSERT INTO logon_session_ends(logon_id, last_seen) VALUES (?1, ?2)");
  f->wins = prep(f->db, "INSERT INTO wts_sessions(boot_id, session_id, first_seen) "
                        "VALUES (?1, ?2, ?3)");
  f->wend = prep(f->db, "INSERT INTO wts_session_ends(wts_id, last_seen) VALUES (?1, ?2)");
  f->wver = prep(f->db, "INSERT INTO wts_transitions(wts_id, at, state, station, user, domain, "
                        "client, client_address, logon_time, connect_time, disconnect_time) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
}

static void close_floor(struct floor_db *f) {
  sqlite3_stmt *all[] = {f->begin, f->commit, f->poll, f->lins, f->lend, f->wins, f->wend, f->wver};
  size_t i;
  for (i = 0; i < sizeof all / sizeof *all; i++)
    sqlite3_finalize(all[i]);
  sqlite3_close(f->db);
}

static void text(sqlite3_stmt *s, int i, const char *t) {
  if (t != NULL)
    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, i);
}

static void time_(sqlite3_stmt *s, int i, int64_t t) {
  if (t != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, i, t);
  else
    sqlite3_bind_null(s, i);
}

static void run(sqlite3 *db, sqlite3_stmt *s) {
  if (sqlite3_step(s) != SQLITE_DONE)
    die("floor", sqlite3_errmsg(db));
  sqlite3_reset(s);
}

/* The row IDs of what the store left alive after the first poll, aligned
 * with its snapshot (sorted, as are these queries; one live row per LUID /
 * session ID). */
static void read_ids(struct floor_db *f, const struct lw_snapshot *s, int64_t *lids,
                     int64_t *wids) {
  sqlite3_stmt *q = prep(f->db, "SELECT id, luid FROM logon_sessions WHERE last_seen IS NULL "
                                "ORDER BY luid");
  sqlite3_stmt *w = prep(f->db, "SELECT id, session_id, boot_id FROM wts_sessions WHERE "
                                "last_seen IS NULL ORDER BY session_id");
  size_t i;
  for (i = 0; i < s->n_logons; i++) {
    if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int64(q, 1) != (int64_t)s->logons[i].luid)
      die("floor", "the live logon sessions differ from the first snapshot");
    lids[i] = sqlite3_column_int64(q, 0);
  }
  for (i = 0; i < s->n_wts; i++) {
    if (sqlite3_step(w) != SQLITE_ROW || sqlite3_column_int64(w, 1) != s->wts[i].id)
      die("floor", "the live WTS sessions differ from the first snapshot");
    wids[i] = sqlite3_column_int64(w, 0);
    f->boot_id = sqlite3_column_int64(w, 2);
  }
  sqlite3_finalize(q);
  sqlite3_finalize(w);
}

static int nonempty(const char *s) {
  return s != NULL && s[0] != '\0';
}

static int str_ne(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a != b;
  return strcmp(a, b) != 0;
}

/* store_model.c's rule: a reused session ID is a new instance when a known
 * logon time or a user name differs. */
static int same_instance(const struct lw_wts_session *a, const struct lw_wts_session *b) {
  if (a->logon_time != LW_TIME_UNKNOWN && b->logon_time != LW_TIME_UNKNOWN &&
      a->logon_time != b->logon_time)
    return 0;
  return !(nonempty(a->user) && nonempty(b->user) &&
           (str_ne(a->user, b->user) || str_ne(a->domain, b->domain)));
}

static int wts_differs(const struct lw_wts_session *a, const struct lw_wts_session *b) {
  return a->state != b->state || str_ne(a->station, b->station) || str_ne(a->user, b->user) ||
         str_ne(a->domain, b->domain) || str_ne(a->client, b->client) ||
         str_ne(a->client_address, b->client_address) || a->logon_time != b->logon_time ||
         a->connect_time != b->connect_time || a->disconnect_time != b->disconnect_time;
}

/* Off the clock: what changed from `a` to `b` (both sorted). */
static void diff(const struct lw_snapshot *a, const struct lw_snapshot *b, struct changes *c) {
  size_t i = 0, j = 0;
  c->n_lnew = c->n_wnew = c->n_wver = 0;
  c->n_lend = c->n_wend = 0;
  while (i < a->n_logons || j < b->n_logons) {
    if (j == b->n_logons || (i < a->n_logons && a->logons[i].luid < b->logons[j].luid)) {
      c->lend[c->n_lend++] = c->prev_lids[i++];
    } else if (i == a->n_logons || b->logons[j].luid < a->logons[i].luid) {
      c->lnew[c->n_lnew++] = j++;
    } else {
      c->lids[j++] = c->prev_lids[i++];
    }
  }
  i = j = 0;
  while (i < a->n_wts || j < b->n_wts) {
    if (j == b->n_wts || (i < a->n_wts && a->wts[i].id < b->wts[j].id)) {
      c->wend[c->n_wend++] = c->prev_wids[i++];
    } else if (i == a->n_wts || b->wts[j].id < a->wts[i].id) {
      c->wnew[c->n_wnew++] = j++;
    } else if (!same_instance(&a->wts[i], &b->wts[j])) {
      c->wend[c->n_wend++] = c->prev_wids[i++];
      c->wnew[c->n_wnew++] = j++;
    } else {
      if (wts_differs(&a->wts[i], &b->wts[j]))
        c->wver[c->n_wver++] = j;
      c->wids[j++] = c->prev_wids[i++];
    }
  }
}

static void insert_version(struct floor_db *f, int64_t wid, int64_t at,
                           const struct lw_wts_session *w) {
  sqlite3_bind_int64(f->wver, 1, wid);
  sqlite3_bind_int64(f->wver, 2, at);
  sqlite3_bind_int64(f->wver, 3, w->state);
  text(f->wver, 4, w->station);
  text(f->wver, 5, w->user);
  text(f->wver, 6, w->domain);
  text(f->wver, 7, w->client);
  text(f->wver, 8, w->client_address);
  time_(f->wver, 9, w->logon_time);
  time_(f->wver, 10, w->connect_time);
  time_(f->wver, 11, w->disconnect_time);
  run(f->db, f->wver);
}

static void insert_logon(struct floor_db *f, int64_t at, const struct lw_logon_session *l) {
  sqlite3_stmt *s = f->lins;
  sqlite3_bind_int64(s, 1, f->boot_id);
  sqlite3_bind_int64(s, 2, (int64_t)l->luid);
  sqlite3_bind_int64(s, 3, l->data_status);
  if (l->data_status == 0) {
    sqlite3_bind_int64(s, 4, l->logon_type);
    sqlite3_bind_int64(s, 5, l->terminal_session);
  } else {
    sqlite3_bind_null(s, 4);
    sqlite3_bind_null(s, 5);
  }
  time_(s, 6, l->logon_time);
  text(s, 7, l->user);
  text(s, 8, l->domain);
  text(s, 9, l->sid);
  text(s, 10, l->auth_package);
  text(s, 11, l->logon_server);
  text(s, 12, l->dns_domain);
  text(s, 13, l->upn);
  sqlite3_bind_int64(s, 14, at);
  sqlite3_bind_int64(s, 15, l->process_count);
  run(f->db, s);
}

/* On the clock: the bare writes of one poll. */
static void write_poll(struct floor_db *f, const struct lw_snapshot *prev,
                       const struct lw_snapshot *s, struct changes *c) {
  size_t i;
  run(f->db, f->begin);
  sqlite3_bind_int64(f->poll, 1, f->boot_id);
  sqlite3_bind_int64(f->poll, 2, s->taken_at);
  sqlite3_bind_int64(f->poll, 3, s->duration_ms);
  sqlite3_bind_int64(f->poll, 4, (int64_t)s->n_logons);
  sqlite3_bind_int64(f->poll, 5, (int64_t)s->n_wts);
  run(f->db, f->poll);
  for (i = 0; i < c->n_lnew; i++) {
    insert_logon(f, s->taken_at, &s->logons[c->lnew[i]]);
    c->lids[c->lnew[i]] = sqlite3_last_insert_rowid(f->db);
  }
  for (i = 0; i < c->n_lend; i++) {
    sqlite3_bind_int64(f->lend, 1, c->lend[i]);
    sqlite3_bind_int64(f->lend, 2, prev->taken_at);
    run(f->db, f->lend);
  }
  for (i = 0; i < c->n_wend; i++) {
    sqlite3_bind_int64(f->wend, 1, c->wend[i]);
    sqlite3_bind_int64(f->wend, 2, prev->taken_at);
    run(f->db, f->wend);
  }
  for (i = 0; i < c->n_wnew; i++) {
    int64_t wid;
    sqlite3_bind_int64(f->wins, 1, f->boot_id);
    sqlite3_bind_int64(f->wins, 2, s->wts[c->wnew[i]].id);
    sqlite3_bind_int64(f->wins, 3, s->taken_at);
    run(f->db, f->wins);
    wid = c->wids[c->wnew[i]] = sqlite3_last_insert_rowid(f->db);
    insert_version(f, wid, s->taken_at, &s->wts[c->wnew[i]]);
  }
  for (i = 0; i < c->n_wver; i++)
    insert_version(f, c->wids[c->wver[i]], s->taken_at, &s->wts[c->wver[i]]);
  run(f->db, f->commit);
}

static int64_t pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = prep(db, sql);
  int64_t v = -1;
  if (sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static int64_t db_bytes(sqlite3 *db) {
  return (pragma_int(db, "PRAGMA page_count") - pragma_int(db, "PRAGMA freelist_count")) *
         pragma_int(db, "PRAGMA page_size");
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n != 0 ? n : 1, size);
  if (p == NULL)
    die("floor", "out of memory");
  return p;
}

static void alloc_changes(struct changes *c, size_t nl, size_t nw) {
  /* Every session may end and be replaced: room for all of them. */
  c->lnew = xcalloc(nl, sizeof *c->lnew);
  c->lend = xcalloc(nl, sizeof *c->lend);
  c->wnew = xcalloc(2 * nw, sizeof *c->wnew);
  c->wend = xcalloc(2 * nw, sizeof *c->wend);
  c->wver = xcalloc(nw, sizeof *c->wver);
  c->lids = xcalloc(nl, sizeof *c->lids);
  c->wids = xcalloc(nw, sizeof *c->wids);
  c->prev_lids = xcalloc(nl, sizeof *c->prev_lids);
  c->prev_wids = xcalloc(nw, sizeof *c->prev_wids);
}

static void free_changes(struct changes *c) {
  free(c->lnew);
  free(c->lend);
  free(c->wnew);
  free(c->wend);
  free(c->wver);
  free(c->lids);
  free(c->wids);
  free(c->prev_lids);
  free(c->prev_wids);
}

/* The first poll, by the store itself: the same schema and initial rows. */
static struct lw_snapshot *first_poll(const char *path, struct tl_host *h) {
  struct lw_store *st = NULL;
  struct lw_store_poll_result res;
  struct lw_snapshot *s = tl_host_snapshot(h);
  char err[512];
  if (s == NULL)
    die("snapshot", "out of memory");
  if (lw_store_open(path, NULL, &st, NULL, err, sizeof err) != 0)
    die("open", err);
  if (lw_store_record_poll(st, s, &res) != 0)
    die("record", res.message);
  if (lw_store_close(st, NULL) != 0)
    die("close", "failed");
  return s;
}

void floor_run(const char *path, size_t n, double churn, int polls, int between,
               struct floor_figures *out) {
  struct tl_host h;
  struct floor_db f;
  struct changes c;
  struct lw_snapshot *prev;
  int k;

  tl_remove_db(path);
  if (tl_host_init(&h, n, n / 10, 12345) != 0)
    die("floor", "out of memory");
  prev = first_poll(path, &h);
  open_floor(path, between, &f);
  memset(&c, 0, sizeof c);
  alloc_changes(&c, h.nl, h.nw);
  read_ids(&f, prev, c.prev_lids, c.prev_wids);
  out->rows = 0;
  out->start_bytes = db_bytes(f.db);
  for (k = 0; k < polls; k++) {
    struct lw_snapshot *s;
    sqlite3_int64 before;
    int64_t *t;
    double t0;
    tl_host_churn(&h, churn, MIN_MS, 0);
    s = tl_host_snapshot(&h);
    if (s == NULL || s->n_logons > h.nl || s->n_wts > h.nw)
      die("snapshot", "out of memory");
    diff(prev, s, &c);
    before = sqlite3_total_changes64(f.db);
    t0 = now_ms();
    write_poll(&f, prev, s, &c);
    out->ms[k] = now_ms() - t0;
    out->rows += (uint64_t)(sqlite3_total_changes64(f.db) - before);
    out->between_ms[k] = 0;
    if (between && f.wal_pages >= LW_STORE_CHECKPOINT_PAGES) {
      t0 = now_ms();
      (void)sqlite3_wal_checkpoint_v2(f.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      out->between_ms[k] = now_ms() - t0;
      f.wal_pages = 0;
    }
    t = c.prev_lids; /* the new snapshot's IDs become the previous ones */
    c.prev_lids = c.lids;
    c.lids = t;
    t = c.prev_wids;
    c.prev_wids = c.wids;
    c.wids = t;
    lw_snapshot_free(prev);
    prev = s;
  }
  out->end_bytes = db_bytes(f.db);
  close_floor(&f);
  lw_snapshot_free(prev);
  free_changes(&c);
  tl_host_free(&h);
  tl_remove_db(path);
}
