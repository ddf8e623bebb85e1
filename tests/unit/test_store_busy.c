/*
 * Unit tests for a history store whose database is busy (issue 12 item 5):
 * another connection in locking_mode=EXCLUSIVE holding a read or write
 * transaction longer than the busy timeout - at open (the deferred store
 * queues every poll and writes them all, in order, once the lock goes), in
 * the middle of a run, and at close (the final flush waits up to
 * close_timeout_ms). The queue's bound drops the oldest polls and counts them.
 * argv[1]: a folder for temporary files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#endif

#include "error.h"
#include "store.h"
#include "store_internal.h"
#include "store_testlib.h"

#define MIN_MS INT64_C(60000)
#define BUSY_MS 100

static struct lw_store *open_store(const char *path, uint32_t max_pending, bool *deferred) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_open_info info;
  char err[512];
  int rc;
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = BUSY_MS;
  o.defer_when_busy = true;
  o.max_pending_polls = max_pending;
  o.close_timeout_ms = 3000;
  rc = lw_store_open(path, &o, &st, &info, err, sizeof err);
  if (rc != 0)
    fail_msg("lw_store_open(%s) = %d: %s", path, rc, err);
  *deferred = info.deferred;
  if (info.deferred && strstr(err, "locked") == NULL)
    fail_msg("deferred, but the reason does not say locked: '%s'", err);
  assert_int_equal(lw_store_is_deferred(st), info.deferred);
  return st;
}

static int64_t q_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static const char *q_text(sqlite3 *db, const char *sql) {
  static char buf[1024];
  sqlite3_stmt *s = NULL;
  snprintf(buf, sizeof buf, "(no row)");
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(s) == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "(null)");
  }
  sqlite3_finalize(s);
  return buf;
}

static void exec_ok(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
}

/* Another connection (a GUI tool) in locking_mode=EXCLUSIVE with a read
 * transaction (write = 0) or a write transaction open. */
static sqlite3 *lock_exclusive(const char *path, int write) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  exec_ok(db, "PRAGMA locking_mode = EXCLUSIVE");
  if (write) {
    exec_ok(db, "BEGIN IMMEDIATE");
    exec_ok(db, "CREATE TABLE IF NOT EXISTS gui_scratch(x)");
  } else {
    exec_ok(db, "BEGIN");
    if (q_int(db, "SELECT count(*) FROM polls") < 0)
      fail_msg("the locking reader could not read");
  }
  return db;
}

/* Another connection holding a plain write transaction. Once the store's own
 * connection is open, this is the lock others can take: SQLite refuses a
 * connection in locking_mode=EXCLUSIVE on a WAL database another connection
 * has open (it needs the file to itself), so a GUI in that mode can lock the
 * service out only while the service has it closed (at start). */
static sqlite3 *lock_writer(const char *path) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  exec_ok(db, "BEGIN IMMEDIATE");
  exec_ok(db, "CREATE TABLE IF NOT EXISTS gui_scratch(x)");
  return db;
}

/* Ends the transaction and the connection (and with it the lock). */
static void unlock(sqlite3 *db) {
  exec_ok(db, "COMMIT");
  assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A database with history: `polls` polls of h, recorded and closed. */
static void make_history(const char *path, struct tl_host *h, struct lw_snapshot **rec, int polls) {
  struct lw_store *st = NULL;
  struct lw_store_poll_result res;
  char err[256];
  int k;
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  for (k = 0; k < polls; k++) {
    if (k > 0)
      tl_host_churn(h, 0.1, MIN_MS, 1);
    rec[k] = tl_host_snapshot(h);
    assert_int_equal(lw_store_record_poll(st, rec[k], &res), 0);
  }
  assert_int_equal(lw_store_close(st, NULL), 0);
}

static void expect_rebuilds(struct lw_store *st, struct lw_snapshot **rec, int n) {
  int k;
  for (k = 0; k < n; k++) {
    struct lw_snapshot *got = NULL;
    char what[32];
    snprintf(what, sizeof what, "poll %d", k);
    assert_int_equal(lw_store_snapshot_at(st, rec[k]->taken_at, &got), 0);
    if (tl_snapshot_diff(what, rec[k], got) != 0)
      fail_msg("%s: rebuilt snapshot differs", what);
    lw_snapshot_free(got);
  }
}

static void queue_alert(struct lw_store *st, int64_t at, const char *text) {
  struct lw_store_alert a;
  memset(&a, 0, sizeof a);
  a.raised_at = at;
  a.event_id = 2001;
  a.message = text;
  assert_int_equal(lw_store_add_alert(st, &a), 0);
}

static void queue_leak(struct lw_store *st, const struct tl_logon *l, int64_t at) {
  struct lw_store_leak k;
  memset(&k, 0, sizeof k);
  k.luid = l->luid;
  k.user = l->user;
  k.domain = l->domain;
  k.logon_type = l->type;
  k.terminal_session = l->session;
  k.logon_time = l->logon_time;
  k.session_ended_at = LW_TIME_UNKNOWN;
  k.leaked_at = at;
  assert_int_equal(lw_store_open_leak(st, &k), 0);
}

/* ---- At open ------------------------------------------------------------- */

/* Locked at start (read or write transaction): the store opens deferred, takes
 * polls (with alerts, a leak episode and the detector's state) while the lock
 * is held, and once it is released the next poll writes every one of them in
 * order with its own time: the polls table holds exactly the polls made. */
static void open_locked_then_released(int write) {
  const char *path = tl_path(write ? "open-locked-w.db" : "open-locked-r.db");
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[12];
  struct lw_store *st;
  struct tl_host h;
  sqlite3 *gui;
  bool deferred = false;
  void *blob = NULL;
  size_t len = 0;
  const char det[] = "detector state v1";
  int k, before = 3, n = 0;

  assert_int_equal(tl_host_init(&h, 30, 5, 21), 0);
  make_history(path, &h, rec, before);
  n = before;
  gui = lock_exclusive(path, write);

  st = open_store(path, 0, &deferred);
  assert_true(deferred);
  assert_int_equal(lw_store_get_detector_state(st, &blob, &len, NULL), LW_EBUSY);
  assert_int_equal(lw_store_prune(st, 0, 0, NULL), LW_EBUSY);
  /* Six polls while it stays locked; one has the same content as the one
   * before (shared copy), one is a failed collection. */
  for (k = 0; k < 6; k++) {
    if (k == 4) {
      assert_int_equal(lw_store_record_failed_poll(st, rec[n - 1]->taken_at + 30000,
                                                   LW_TIME_UNKNOWN, 5, "LSA said no", &res),
                       LW_EBUSY);
      assert_int_equal(res.polls_pending, (uint32_t)k + 1);
      continue;
    }
    tl_host_churn(&h, k == 2 ? 0.0 : 0.1, MIN_MS, k != 2);
    rec[n] = tl_host_snapshot(&h);
    if (k == 1) {
      queue_alert(st, rec[n]->taken_at, "leaked while the GUI held the lock");
      queue_leak(st, &h.l[0], rec[n]->taken_at);
    }
    assert_int_equal(lw_store_set_detector_state(st, det, sizeof det), 0);
    /* Each poll's figures go with that poll, however late it is written. */
    struct lw_store_poll_figures f = {1, 2, 0, 2, 100u + (uint32_t)k};
    assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
    assert_int_equal(lw_store_record_poll(st, rec[n], &res), LW_EBUSY);
    assert_int_equal(res.rc, LW_EBUSY);
    assert_false(res.poll_recorded);
    assert_int_equal(res.polls_pending, (uint32_t)k + 1);
    assert_true(lw_store_is_deferred(st));
    n++;
  }
  assert_int_equal(st->n_dq, 6);
  unlock(gui);

  tl_host_churn(&h, 0.1, MIN_MS, 1);
  rec[n] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[n], &res), 0);
  n++;
  assert_false(lw_store_is_deferred(st));
  assert_int_equal(res.polls_written, 7);
  assert_int_equal(res.polls_pending, 0);
  assert_int_equal(res.polls_dropped, 0);
  /* Every poll made is a row: 3 before, 6 while locked, this one. */
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), before + 7);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE error LIKE "
                                 "'%not stored at poll time (database is locked)%'"),
                   6);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE logon_sessions IS NULL AND "
                                 "error LIKE 'LSA said no%'"),
                   1);
  /* In order, with their own times. */
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls a JOIN polls b ON b.id = a.id + 1 "
                                 "WHERE b.t <= a.t"),
                   0);
  assert_string_equal(q_text(st->db, "SELECT group_concat(coalesce(highest_session_id, '-'), ' ') "
                                     "FROM polls"),
                      "- - - 100 101 102 103 - 105 -");
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM alerts"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM leak_episodes WHERE released_at IS NULL"),
                   1);
  assert_int_equal(lw_store_get_detector_state(st, &blob, &len, NULL), 0);
  assert_int_equal(len, sizeof det);
  assert_memory_equal(blob, det, sizeof det);
  free(blob);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 1);
  expect_rebuilds(st, rec, n);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < n; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

static void test_open_locked_read_then_released(void **state) {
  (void)state;
  open_locked_then_released(0);
}

static void test_open_locked_write_then_released(void **state) {
  (void)state;
  open_locked_then_released(1);
}

/* A database that is not locked opens as before, not deferred. */
static void test_open_not_locked(void **state) {
  const char *path = tl_path("open-free.db");
  bool deferred = true;
  struct lw_store *st;
  (void)state;
  st = open_store(path, 0, &deferred);
  assert_false(deferred);
  assert_int_equal(lw_store_close(st, NULL), 0);
}

/* Without defer_when_busy, a locked database still fails the open. */
static void test_open_locked_without_defer(void **state) {
  const char *path = tl_path("open-nodefer.db");
  struct lw_snapshot *rec[1];
  struct lw_store_options o;
  struct lw_store *st = NULL;
  struct tl_host h;
  char err[256];
  sqlite3 *gui;
  (void)state;
  assert_int_equal(tl_host_init(&h, 3, 1, 2), 0);
  make_history(path, &h, rec, 1);
  gui = lock_exclusive(path, 0);
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = BUSY_MS;
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), LW_EBUSY);
  assert_null(st);
  unlock(gui);
  lw_snapshot_free(rec[0]);
  tl_host_free(&h);
}

/* The queue's bound: with max_pending_polls 3, 8 polls while locked keep the
 * newest 3; the 5 oldest are dropped and counted, their alerts kept (and one
 * more when the next poll joins them: at most 3 polls wait in memory). */
static void test_open_locked_queue_bound(void **state) {
  const char *path = tl_path("open-bound.db");
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[1], *s;
  struct lw_store *st;
  struct tl_host h;
  sqlite3 *gui;
  bool deferred = false;
  int k;
  (void)state;
  assert_int_equal(tl_host_init(&h, 10, 2, 5), 0);
  make_history(path, &h, rec, 1);
  gui = lock_exclusive(path, 1);
  st = open_store(path, 3, &deferred);
  assert_true(deferred);
  for (k = 0; k < 8; k++) {
    tl_host_churn(&h, 0.2, MIN_MS, 1);
    s = tl_host_snapshot(&h);
    queue_alert(st, s->taken_at, "an alert");
    assert_int_equal(lw_store_record_poll(st, s, &res), LW_EBUSY);
    lw_snapshot_free(s);
  }
  assert_int_equal(res.polls_pending, 3);
  assert_int_equal(res.polls_dropped, 5);
  unlock(gui);
  tl_host_churn(&h, 0.2, MIN_MS, 1);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), 0);
  lw_snapshot_free(s);
  /* The 3 queued and this one make 4 > 3: the oldest of them goes too. */
  assert_int_equal(res.polls_written, 3);
  assert_int_equal(res.polls_dropped, 6);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), 1 + 3);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM alerts"), 8);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE error LIKE "
                                 "'%6 earlier polls were not recorded%'"),
                   1);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_int_equal(lw_store_close(st, NULL), 0);
  lw_snapshot_free(rec[0]);
  tl_host_free(&h);
}

/* ---- While running --------------------------------------------------------- */

/* Someone takes the write lock between polls and keeps it for several: the
 * polls stay queued; after the release every poll made is in the table. */
static void test_locked_mid_run(void **state) {
  const char *path = tl_path("mid-run.db");
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[10];
  struct lw_store *st;
  struct tl_host h;
  sqlite3 *gui;
  bool deferred = true;
  unsigned char det[2000];
  int k, n = 0;
  (void)state;
  for (k = 0; k < (int)sizeof det; k++)
    det[k] = (unsigned char)(k * 7 + k / 13);
  assert_int_equal(tl_host_init(&h, 25, 4, 9), 0);
  st = open_store(path, 0, &deferred);
  assert_false(deferred);
  for (k = 0; k < 10; k++) {
    if (k > 0)
      tl_host_churn(&h, 0.1, MIN_MS, 1);
    rec[n] = tl_host_snapshot(&h);
    if (k == 3)
      gui = lock_writer(path);
    if (k == 7)
      unlock(gui);
    /* The detector state changes a little each poll: written as deltas from
     * what was committed, the locked polls' attempts leaving no trace. */
    det[(size_t)k * 131 % sizeof det] ^= 0x33;
    assert_int_equal(lw_store_set_detector_state(st, det, sizeof det), 0);
    assert_int_equal(lw_store_record_poll(st, rec[n], &res), k >= 3 && k < 7 ? LW_EBUSY : 0);
    if (k == 7)
      assert_int_equal(res.polls_written, 5);
    if (k < 3 || k >= 7) {
      void *blob = NULL;
      size_t len = 0;
      assert_int_not_equal(res.detector_state_bytes, 0);
      assert_int_equal(res.detector_state_whole, k == 0);
      assert_int_equal(lw_store_get_detector_state(st, &blob, &len, NULL), 0);
      assert_int_equal(len, sizeof det);
      assert_memory_equal(blob, det, sizeof det);
      free(blob);
    }
    n++;
  }
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), n);
  expect_rebuilds(st, rec, n);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < n; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

/* ---- At close -------------------------------------------------------------- */

/* Releases a lock from another thread after a delay, while close waits. */
struct releaser {
  sqlite3 *db;
  unsigned delay_ms;
};

#ifdef _WIN32
static DWORD WINAPI release_later(LPVOID arg) {
  struct releaser *r = arg;
  sqlite3_sleep((int)r->delay_ms);
  sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(r->db);
  return 0;
}
#else
static void *release_later(void *arg) {
  struct releaser *r = arg;
  sqlite3_sleep((int)r->delay_ms);
  sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(r->db);
  return NULL;
}
#endif

static void release_in_background(struct releaser *r) {
#ifdef _WIN32
  HANDLE t = CreateThread(NULL, 0, release_later, r, 0, NULL);
  assert_non_null(t);
  CloseHandle(t);
#else
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, release_later, r), 0);
  assert_int_equal(pthread_detach(t), 0);
#endif
}

/* Busy briefly at close, open store or deferred one: close waits (within
 * close_timeout_ms), then writes every queued poll. */
static void close_while_busy_briefly(int deferred_at_open) {
  const char *path = tl_path(deferred_at_open ? "close-deferred.db" : "close-busy.db");
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[6];
  struct lw_store *st;
  struct releaser r;
  struct tl_host h;
  sqlite3 *check = NULL;
  bool deferred = false;
  uint32_t lost = 99;
  int k, n = 0;
  assert_int_equal(tl_host_init(&h, 12, 3, 13), 0);
  make_history(path, &h, rec, 1);
  n = 1;
  if (deferred_at_open)
    r.db = lock_exclusive(path, 0);
  st = open_store(path, 0, &deferred);
  assert_int_equal(deferred, deferred_at_open);
  if (!deferred_at_open)
    r.db = lock_writer(path);
  for (k = 0; k < 3; k++) {
    tl_host_churn(&h, 0.2, MIN_MS, 1);
    rec[n] = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, rec[n], &res), LW_EBUSY);
    n++;
  }
  r.delay_ms = 600; /* several busy timeouts: a single wait would not do */
  release_in_background(&r);
  assert_int_equal(lw_store_close(st, &lost), 0);
  assert_int_equal(lost, 0);

  assert_int_equal(sqlite3_open_v2(path, &check, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(q_int(check, "SELECT count(*) FROM polls"), n);
  assert_string_equal(q_text(check, "PRAGMA integrity_check"), "ok");
  sqlite3_close(check);
  {
    struct lw_store_options o;
    char err[256];
    memset(&o, 0, sizeof o);
    o.read_only = true;
    assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
    expect_rebuilds(st, rec, n);
    assert_int_equal(lw_store_close(st, NULL), 0);
  }
  for (k = 0; k < n; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

static void test_close_while_busy_briefly(void **state) {
  (void)state;
  close_while_busy_briefly(0);
}

static void test_close_deferred_while_busy_briefly(void **state) {
  (void)state;
  close_while_busy_briefly(1);
}

/* Still locked past close_timeout_ms: close gives up within about that time
 * and says how many polls were lost. */
static void test_close_deferred_still_locked(void **state) {
  const char *path = tl_path("close-still.db");
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[1], *s;
  struct lw_store_options o;
  struct lw_store *st = NULL;
  struct tl_host h;
  char err[256];
  sqlite3 *gui;
  uint32_t lost = 0;
  (void)state;
  assert_int_equal(tl_host_init(&h, 4, 1, 17), 0);
  make_history(path, &h, rec, 1);
  gui = lock_exclusive(path, 1);
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = BUSY_MS;
  o.defer_when_busy = true;
  o.close_timeout_ms = 300;
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  tl_host_churn(&h, 0.5, MIN_MS, 1);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), LW_EBUSY);
  assert_int_equal(lw_store_record_poll(st, s, &res), LW_EBUSY);
  assert_int_equal(lw_store_close(st, &lost), LW_EBUSY);
  assert_int_equal(lost, 2);
  unlock(gui);
  lw_snapshot_free(s);
  lw_snapshot_free(rec[0]);
  tl_host_free(&h);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_locked_read_then_released),
      cmocka_unit_test(test_open_locked_write_then_released),
      cmocka_unit_test(test_open_not_locked),
      cmocka_unit_test(test_open_locked_without_defer),
      cmocka_unit_test(test_open_locked_queue_bound),
      cmocka_unit_test(test_locked_mid_run),
      cmocka_unit_test(test_close_while_busy_briefly),
      cmocka_unit_test(test_close_deferred_while_busy_briefly),
      cmocka_unit_test(test_close_deferred_still_locked),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
