/*
 * Unit tests for the history store (store.h): schema and views, change-based
 * writes, snapshot rebuild (property-style, over random churn), restart,
 * reboot, alerts and leak episodes, the detector state, migration from schema
 * version 1, and retention. Faults are in test_store_faults.c, kill -9 in
 * test_store_crash.c. argv[1]: a folder for temporary files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "store.h"
#include "store_internal.h"
#include "store_testlib.h"

#define MIN_MS INT64_C(60000)

/* ---- Helpers --------------------------------------------------------------- */

static struct lw_store *open_store(const char *path) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  char err[512];
  int rc;
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = 200;
  rc = lw_store_open(path, &o, &st, NULL, err, sizeof err);
  if (rc != 0)
    fail_msg("lw_store_open(%s) = %d: %s", path, rc, err);
  return st;
}

static void close_store(struct lw_store *st) {
  uint32_t lost = 99;
  assert_int_equal(lw_store_close(st, &lost), 0);
  assert_int_equal(lost, 0);
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

/* The first column of the first row as text (static buffer), "(null)" for NULL. */
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

/* All rows of every table, counted independently of the store. */
static int64_t all_rows(sqlite3 *db) {
  return q_int(db, "SELECT (SELECT count(*) FROM boots) + (SELECT count(*) FROM polls) + "
                   "(SELECT count(*) FROM logon_sessions) + (SELECT count(*) FROM wts_sessions) + "
                   "(SELECT count(*) FROM wts_transitions) + (SELECT count(*) FROM alerts) + "
                   "(SELECT count(*) FROM leak_episodes) + "
                   "(SELECT count(*) FROM detector_state) + (SELECT count(*) FROM holders)");
}

static void record_ok(struct lw_store *st, const struct lw_snapshot *snap,
                      struct lw_store_poll_result *res) {
  int rc = lw_store_record_poll(st, snap, res);
  if (rc != 0)
    fail_msg("lw_store_record_poll = %d: %s", rc, res->message);
  assert_int_equal(res->rc, 0);
  assert_true(res->poll_recorded);
}

static struct lw_snapshot *empty_snap(int64_t t, int64_t boot) {
  struct lw_snapshot *s = lw_snapshot_new();
  assert_non_null(s);
  s->taken_at = t;
  s->boot_time = boot;
  return s;
}

static struct lw_logon_session *add_logon(struct lw_snapshot *s, uint64_t luid, const char *user,
                                          uint32_t type, uint32_t session) {
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  assert_non_null(l);
  l->luid = luid;
  l->user = lw_snapshot_strdup(s, user);
  l->domain = lw_snapshot_strdup(s, "CONTOSO");
  l->sid = lw_snapshot_strdup(s, "S-1-5-21-1-2-3-1105");
  l->auth_package = lw_snapshot_strdup(s, "Kerberos");
  l->logon_type = type;
  l->terminal_session = session;
  l->logon_time = INT64_C(1795251000000);
  return l;
}

static struct lw_wts_session *add_wts(struct lw_snapshot *s, uint32_t id, uint32_t state,
                                      const char *user) {
  struct lw_wts_session *w = lw_snapshot_add_wts(s);
  assert_non_null(w);
  w->id = id;
  w->state = state;
  w->station = lw_snapshot_strdup(s, "RDP-Tcp#7");
  w->user = lw_snapshot_strdup(s, user);
  w->domain = user ? lw_snapshot_strdup(s, "CONTOSO") : NULL;
  w->client = lw_snapshot_strdup(s, "LAPTOP-17");
  return w;
}

/* Sorts without recomputing process counts from (absent) processes. */
static void finish_keep_counts(struct lw_snapshot *s) {
  uint32_t *pc = calloc(s->n_logons + 1, sizeof *pc);
  size_t i, j;
  uint64_t *lu = calloc(s->n_logons + 1, sizeof *lu);
  assert_non_null(pc);
  assert_non_null(lu);
  for (i = 0; i < s->n_logons; i++) {
    pc[i] = s->logons[i].process_count;
    lu[i] = s->logons[i].luid;
  }
  lw_snapshot_finish(s);
  for (i = 0; i < s->n_logons; i++)
    for (j = 0; j < s->n_logons; j++)
      if (lu[j] == s->logons[i].luid)
        s->logons[i].process_count = pc[j];
  free(pc);
  free(lu);
}

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define BOOT INT64_C(1795165200000)

/* ---- Schema ---------------------------------------------------------------- */

static void expect_columns(sqlite3 *db, const char *view, const char *const *cols) {
  char sql[128];
  sqlite3_stmt *s = NULL;
  int i, n;
  snprintf(sql, sizeof sql, "SELECT * FROM %s LIMIT 0", view);
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    fail_msg("%s: %s", view, sqlite3_errmsg(db));
  n = sqlite3_column_count(s);
  for (i = 0; cols[i] != NULL; i++) {
    if (i >= n)
      fail_msg("%s: missing column %s", view, cols[i]);
    if (strcmp(sqlite3_column_name(s, i), cols[i]) != 0)
      fail_msg("%s: column %d is %s, want %s", view, i, sqlite3_column_name(s, i), cols[i]);
  }
  if (i != n)
    fail_msg("%s: %d columns, want %d", view, n, i);
  sqlite3_finalize(s);
}

static void test_create(void **state) {
  const char *path = tl_path("create.db");
  struct lw_store *st = NULL;
  struct lw_store_open_info info;
  char err[256];
  static const char *const v_polls[] = {
      "polled_at",         "boot_id",    "logon_sessions",     "wts_sessions",
      "duration_ms",       "error",      "live_sessions",      "open_leaks",
      "open_leaks_system", "pinned_ids", "highest_session_id", NULL};
  static const char *const v_logon[] = {
      "boot_id",    "luid",       "user",         "domain",
      "sid",        "logon_type", "auth_package", "terminal_session",
      "logon_time", "first_seen", "last_seen",    "process_count_max",
      NULL};
  static const char *const v_wts[] = {"boot_id", "session_id", "station",   "user",  "domain",
                                      "client",  "first_seen", "last_seen", "state", NULL};
  static const char *const v_alerts[] = {
      "raised_at",        "event_id", "message",   "luid",   "user", "domain",
      "terminal_session", "logged",   "held_back", "fields", NULL};
  static const char *const v_holders[] = {"boot_id",  "luid",   "scanned_at",     "pid", "image",
                                          "services", "tokens", "exited_process", NULL};
  static const char *const v_leaks[] = {"boot_id",     "luid",
                                        "user",        "domain",
                                        "logon_type",  "terminal_session",
                                        "logon_time",  "session_ended_at",
                                        "leaked_at",   "released_at",
                                        "kind",        "with_luid",
                                        "session_end", "first_seen_ended_at",
                                        NULL};
  (void)state;

  assert_int_equal(lw_store_open(path, NULL, &st, &info, err, sizeof err), 0);
  assert_true(info.created);
  assert_int_equal(info.schema_found, 0);
  assert_string_equal(info.moved_aside_to, "");
  assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
  assert_int_equal(q_int(st->db, "PRAGMA application_id"), LW_STORE_APPLICATION_ID);
  assert_int_equal(q_int(st->db, "PRAGMA auto_vacuum"), 2); /* INCREMENTAL */
  assert_string_equal(q_text(st->db, "PRAGMA journal_mode"), "wal");
  assert_int_equal(q_int(st->db, "PRAGMA foreign_keys"), 1);
  expect_columns(st->db, "v_polls", v_polls);
  expect_columns(st->db, "v_logon_sessions", v_logon);
  expect_columns(st->db, "v_wts_sessions", v_wts);
  expect_columns(st->db, "v_alerts", v_alerts);
  expect_columns(st->db, "v_leaks", v_leaks);
  expect_columns(st->db, "v_holders", v_holders);
  assert_int_equal(all_rows(st->db), 0);
  close_store(st);

  /* Reopening: nothing created again, version found. */
  assert_int_equal(lw_store_open(path, NULL, &st, &info, err, sizeof err), 0);
  assert_false(info.created);
  assert_int_equal(info.schema_found, LW_STORE_SCHEMA_VERSION);
  close_store(st);
}

/* A database whose user_version was lowered under its existing tables (by
 * hand or a tool) migrates again without "table already exists", keeping its
 * rows (issue 14: migrations are idempotent). */
static void test_migration_idempotent(void **state) {
  const char *path = tl_path("lowered.db");
  struct lw_store *st = NULL;
  struct lw_store_open_info info;
  char err[256];
  (void)state;
  assert_int_equal(lw_store_open(path, NULL, &st, &info, err, sizeof err), 0);
  assert_int_equal(sqlite3_exec(st->db, "INSERT INTO boots(boot_time, first_poll) VALUES (1, 2)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  for (int v = 1; v < LW_STORE_SCHEMA_VERSION; v++) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    assert_int_equal(sqlite3_exec(st->db, sql, NULL, NULL, NULL), SQLITE_OK);
    close_store(st);
    st = NULL;
    if (lw_store_open(path, NULL, &st, &info, err, sizeof err) != 0)
      fail_msg("reopen from user_version %d: %s", v, err);
    assert_int_equal(info.schema_found, v);
    assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
    assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 1);
    assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_type_names WHERE type = 10"), 1);
  }
  close_store(st);
}

/* ---- Change-based writes ---------------------------------------------------- */

static void test_change_based_rows(void **state) {
  const char *path = tl_path("changes.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s;
  int64_t rows;
  (void)state;

  /* Poll 1: 3 logon sessions, 2 WTS sessions. Rows: boot + poll + 3 + 2
   * instances + 2 transitions = 9. */
  s = empty_snap(T0, BOOT);
  add_logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0)->process_count = 80;
  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2)->process_count = 12;
  add_logon(s, 0x4a300, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3)->process_count = 9;
  add_wts(s, 2, LW_WTS_ACTIVE, "alice");
  add_wts(s, 3, LW_WTS_ACTIVE, "bob");
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 9);
  assert_true(res.new_boot);
  assert_int_equal(res.logons_started, 3);
  assert_int_equal(res.wts_started, 2);
  assert_int_equal(all_rows(st->db), 9);

  /* Poll 2: the same host a minute later: exactly one row, the poll. */
  rows = all_rows(st->db);
  s->taken_at += MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 1);
  assert_false(res.new_boot);
  assert_int_equal(all_rows(st->db), rows + 1);
  /* ... and sqlite3_total_changes agrees. */
  {
    sqlite3_int64 before = sqlite3_total_changes64(st->db);
    s->taken_at += MIN_MS;
    record_ok(st, s, &res);
    assert_int_equal(sqlite3_total_changes64(st->db) - before, 1);
  }

  /* Fewer processes than the maximum: nothing to write. More: one row. */
  s->logons[1].process_count = 3;
  s->taken_at += MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 1);
  s->logons[1].process_count = 20;
  s->taken_at += MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 2);
  assert_int_equal(q_int(st->db, "SELECT process_count_max FROM logon_sessions "
                                 "WHERE luid = 0x4a1f2"),
                   20);
  lw_snapshot_free(s);

  /* bob logs off (logon + WTS end), carol logs on into session 3 (reused ID:
   * a new instance), alice disconnects (a transition). Rows: poll 1, bob's
   * logon end 1, bob's WTS end 1, carol's logon 1, carol's WTS 2, alice's
   * transition 1 = 7. */
  s = empty_snap(T0 + 5 * MIN_MS, BOOT);
  add_logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0)->process_count = 80;
  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2)->process_count = 2;
  add_logon(s, 0x4b000, "carol", LW_LOGON_REMOTE_INTERACTIVE, 3)->process_count = 5;
  add_wts(s, 2, LW_WTS_DISCONNECTED, "alice");
  add_wts(s, 3, LW_WTS_ACTIVE, "carol");
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 7);
  assert_int_equal(res.logons_started, 1);
  assert_int_equal(res.logons_ended, 1);
  assert_int_equal(res.wts_started, 1);
  assert_int_equal(res.wts_ended, 1);
  assert_int_equal(res.wts_changed, 1);

  /* The views say it in operators' terms. */
  assert_string_equal(q_text(st->db, "SELECT luid || ' ' || logon_type || ' ' || first_seen || "
                                     "' ' || last_seen FROM v_logon_sessions WHERE user = 'bob'"),
                      "00000000:0004a300 RemoteInteractive 2026-11-21T09:00:00Z "
                      "2026-11-21T09:04:00Z");
  assert_string_equal(q_text(st->db, "SELECT last_seen IS NULL FROM v_logon_sessions "
                                     "WHERE user = 'alice'"),
                      "1");
  assert_string_equal(q_text(st->db, "SELECT logon_time FROM v_logon_sessions "
                                     "WHERE user = 'alice'"),
                      "2026-11-21T08:50:00Z");
  assert_string_equal(q_text(st->db, "SELECT state || ' ' || user || ' ' || first_seen "
                                     "FROM v_wts_sessions WHERE session_id = 2"),
                      "Disconnected alice 2026-11-21T09:00:00Z");
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_wts_sessions WHERE session_id = 3"), 2);
  assert_string_equal(q_text(st->db, "SELECT user || ' ' || last_seen FROM v_wts_sessions "
                                     "WHERE session_id = 3 AND last_seen IS NOT NULL"),
                      "bob 2026-11-21T09:04:00Z");
  assert_string_equal(q_text(st->db, "SELECT group_concat(state, ',') FROM (SELECT state FROM "
                                     "v_wts_transitions WHERE session_id = 2)"),
                      "Active,Disconnected");
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_polls"), 6);
  assert_string_equal(q_text(st->db, "SELECT polled_at || ' ' || logon_sessions || ' ' || "
                                     "wts_sessions || ' ' || duration_ms FROM v_polls "
                                     "ORDER BY polled_at DESC LIMIT 1"),
                      "2026-11-21T09:05:00Z 3 2 0");
  assert_string_equal(q_text(st->db, "SELECT error IS NULL FROM v_polls LIMIT 1"), "1");
  lw_snapshot_free(s);
  close_store(st);
}

/* A logon session seen first without data (LsaGetLogonSessionData failed) gets
 * its data when it becomes readable: still one row, updated once. */
static void test_data_arrives_late(void **state) {
  const char *path = tl_path("late-data.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  (void)state;
  l->luid = 0x77;
  l->data_status = 0xC0000022u;
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  s = empty_snap(T0 + MIN_MS, BOOT);
  add_logon(s, 0x77, "dave", LW_LOGON_NETWORK, 0);
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 2);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 1);
  assert_string_equal(q_text(st->db, "SELECT user || ' ' || logon_type || ' ' || data_status "
                                     "FROM logon_sessions"),
                      "dave 3 0");
  lw_snapshot_free(s);
  close_store(st);
}

/* ---- Rebuilding snapshots -------------------------------------------------- */

/* Random churn over many polls; every recorded snapshot must come back exactly
 * from lw_store_snapshot_at, also after a restart and across a reboot. */
static void run_rebuild(uint64_t seed, size_t n_logons, size_t n_wts, double rate, int polls,
                        unsigned mid_one_in) {
  char name[64];
  const char *path;
  struct tl_host h;
  struct lw_snapshot **rec = calloc((size_t)polls, sizeof *rec);
  struct lw_store *st;
  struct lw_store_poll_result res;
  int k;

  snprintf(name, sizeof name, "rebuild-%llu.db", (unsigned long long)seed);
  path = tl_path(name);
  st = open_store(path);
  assert_non_null(rec);
  assert_int_equal(tl_host_init(&h, n_logons, n_wts, seed), 0);
  if (mid_one_in != 0)
    tl_host_set_mid(&h, mid_one_in);
  for (k = 0; k < polls; k++) {
    if (k > 0) {
      double r = tl_rand(&h, 10) == 0 ? 0 : rate; /* some polls change nothing */
      assert_int_equal(tl_host_churn(&h, r, MIN_MS + (int64_t)tl_rand(&h, 999), 1), 0);
    }
    if (k == polls / 2)
      assert_int_equal(tl_host_reboot(&h), 0);
    if (k == polls / 3 || k == (2 * polls) / 3) { /* service restarts */
      close_store(st);
      st = open_store(path);
    }
    rec[k] = tl_host_snapshot(&h);
    assert_non_null(rec[k]);
    record_ok(st, rec[k], &res);
    if (k == polls / 2)
      assert_true(res.new_boot);
  }
  for (k = 0; k < polls; k++) {
    struct lw_snapshot *got = NULL;
    char what[64];
    /* Any time from the poll up to the next one gives that poll. */
    int64_t at = rec[k]->taken_at + (int64_t)tl_rand(&h, 1000);
    assert_int_equal(lw_store_snapshot_at(st, at, &got), 0);
    snprintf(what, sizeof what, "seed %llu poll %d", (unsigned long long)seed, k);
    if (tl_snapshot_diff(what, rec[k], got) != 0)
      fail_msg("%s: rebuilt snapshot differs", what);
    lw_snapshot_free(got);
  }
  /* Before the first poll there is nothing. */
  {
    struct lw_snapshot *got = (struct lw_snapshot *)1;
    assert_int_equal(lw_store_snapshot_at(st, rec[0]->taken_at - 1, &got), LW_ENOENT);
    assert_null(got);
  }
  /* Each session a snapshot showed is one instance: none was taken for ended
   * and new again. LUIDs do not come back within a boot, so a new one is one
   * the poll before did not have. */
  {
    int64_t seen = 0;
    size_t i, j;
    for (k = 0; k < polls; k++) {
      const struct lw_snapshot *was = k > 0 && k != polls / 2 ? rec[k - 1] : NULL;
      for (i = 0, j = 0; i < rec[k]->n_logons; i++) {
        while (was != NULL && j < was->n_logons && was->logons[j].luid < rec[k]->logons[i].luid)
          j++;
        seen += was == NULL || j == was->n_logons || was->logons[j].luid != rec[k]->logons[i].luid;
      }
    }
    assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), seen);
    if (mid_one_in != 0) /* some came in the middle */
      assert_true((int64_t)h.n_mid >= (seen - (int64_t)n_logons) / (int64_t)mid_one_in / 2);
  }
  /* Nothing of the first boot is alive. */
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_logon_sessions WHERE last_seen IS NULL "
                                 "AND boot_id <> (SELECT MAX(id) FROM boots)"),
                   0);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_string_equal(q_text(st->db, "PRAGMA foreign_key_check"), "(no row)");
  close_store(st);
  for (k = 0; k < polls; k++)
    lw_snapshot_free(rec[k]);
  free(rec);
  tl_host_free(&h);
}

static void test_rebuild_random(void **state) {
  (void)state;
  run_rebuild(1, 60, 12, 0.05, 120, 0);
  run_rebuild(2, 200, 20, 0.01, 80, 0);
  run_rebuild(3, 15, 6, 0.3, 150, 0);
  run_rebuild(4, 0, 3, 0.5, 30, 0);
}

/* LSA hands out LUIDs in order, so a new session is mostly the last of the
 * store's sorted live list; one that a collector sees late goes in the middle.
 * Both, mixed, over random churn, restarts and a reboot. */
static void test_rebuild_middle_luids(void **state) {
  (void)state;
  run_rebuild(5, 80, 10, 0.02, 200, 4);   /* a quarter in the middle */
  run_rebuild(6, 300, 20, 0.003, 150, 2); /* one change a poll, often in the middle */
  run_rebuild(7, 40, 5, 0.25, 120, 50);   /* mostly appended */
}

/* A session that ends and later shows again under the same LUID (a collector
 * that missed it for a poll) is a new instance each time, and the one alive
 * is matched by the next polls, also after a restart. */
static void test_luid_back_after_end(void **state) {
  const char *path = tl_path("luid-back.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *rec[6];
  /* 1: all; 2: the last ended; 3: back; 4: the same; 5: ended again; 6: back */
  static const int last_in[6] = {1, 0, 1, 1, 0, 1};
  char user[16];
  int k, i;
  (void)state;
  for (k = 0; k < 6; k++) {
    rec[k] = empty_snap(T0 + k * MIN_MS, BOOT);
    for (i = 0; i < 20; i++) {
      if (i == 19 && !last_in[k])
        continue;
      snprintf(user, sizeof user, "user%02d", i);
      add_logon(rec[k], 0x1000 + (uint64_t)i * 16, user, LW_LOGON_REMOTE_INTERACTIVE, 2);
    }
    finish_keep_counts(rec[k]);
    record_ok(st, rec[k], &res);
    assert_int_equal(res.logons_ended, last_in[k] || !last_in[k - 1] ? 0 : 1);
    assert_int_equal(res.logons_started, k == 0 ? 20 : last_in[k] && !last_in[k - 1] ? 1 : 0);
  }
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions WHERE luid = 4400"), 3);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_logon_sessions "
                                 "WHERE luid = '00000000:00001130' AND last_seen IS NULL"),
                   1);
  for (k = 0; k < 6; k++) {
    struct lw_snapshot *got = NULL;
    char what[32];
    snprintf(what, sizeof what, "poll %d", k + 1);
    assert_int_equal(lw_store_snapshot_at(st, rec[k]->taken_at, &got), 0);
    if (tl_snapshot_diff(what, rec[k], got) != 0)
      fail_msg("%s: rebuilt snapshot differs", what);
    lw_snapshot_free(got);
  }
  close_store(st);
  /* Reopened, the live list holds the 20 live ones only: a poll later the
   * same sessions are the same, one row written (the poll's). */
  st = open_store(path);
  rec[5]->taken_at += MIN_MS;
  record_ok(st, rec[5], &res);
  assert_int_equal(res.logons_started + res.logons_ended, 0);
  assert_int_equal(res.rows_written, 1);
  close_store(st);
  for (k = 0; k < 6; k++)
    lw_snapshot_free(rec[k]);
}

/* ---- Restart and reboot ---------------------------------------------------- */

static void test_restart_keeps_live_sessions(void **state) {
  const char *path = tl_path("restart.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *s;
  int64_t live;
  (void)state;
  assert_int_equal(tl_host_init(&h, 50, 8, 42), 0);
  s = tl_host_snapshot(&h);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  live = q_int(st->db, "SELECT count(*) FROM v_logon_sessions WHERE last_seen IS NULL");
  assert_int_equal(live, 50);
  close_store(st);

  st = open_store(path);
  assert_int_equal(st->m.n_live, 50);
  assert_int_equal(st->m.n_wlive, 8);
  tl_host_churn(&h, 0, MIN_MS, 0);
  s = tl_host_snapshot(&h);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  /* Not re-inserted, not closed: one row. */
  assert_int_equal(res.rows_written, 1);
  assert_int_equal(res.logons_started, 0);
  assert_int_equal(res.logons_ended, 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 50);
  close_store(st);
  tl_host_free(&h);
}

static void test_reboot(void **state) {
  const char *path = tl_path("reboot.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s;
  struct lw_store_leak leak;
  int64_t boot1;
  (void)state;

  s = empty_snap(T0, BOOT);
  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  add_wts(s, 2, LW_WTS_ACTIVE, "alice");
  finish_keep_counts(s);
  record_ok(st, s, &res);
  boot1 = res.boot_id;
  /* A boot time that moves by less than the tolerance is the same boot. */
  s->taken_at += MIN_MS;
  s->boot_time += 3000;
  memset(&leak, 0, sizeof leak);
  leak.luid = 0x4a1f2;
  leak.user = "alice";
  leak.leaked_at = s->taken_at;
  leak.logon_time = LW_TIME_UNKNOWN;
  leak.session_ended_at = LW_TIME_UNKNOWN;
  assert_int_equal(lw_store_open_leak(st, &leak), 0);
  record_ok(st, s, &res);
  assert_false(res.new_boot);
  assert_int_equal(res.boot_id, boot1);
  lw_snapshot_free(s);

  /* Rebooted: LUIDs restart, the same LUID is someone else now. */
  s = empty_snap(T0 + 10 * MIN_MS, T0 + 8 * MIN_MS);
  add_logon(s, 0x4a1f2, "zed", LW_LOGON_INTERACTIVE, 1);
  add_wts(s, 2, LW_WTS_ACTIVE, "zed");
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_true(res.new_boot);
  assert_true(res.boot_id > boot1);
  /* The old boot's rows end at its last poll; nothing of it is alive. */
  assert_string_equal(q_text(st->db, "SELECT last_seen FROM v_logon_sessions WHERE user = 'alice'"),
                      "2026-11-21T09:01:00Z");
  assert_string_equal(q_text(st->db, "SELECT last_seen FROM v_wts_sessions WHERE user = 'alice'"),
                      "2026-11-21T09:01:00Z");
  assert_string_equal(q_text(st->db, "SELECT released_at FROM v_leaks WHERE user = 'alice'"),
                      "2026-11-21T09:01:00Z");
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_logon_sessions WHERE last_seen IS NULL"),
                   1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 2);
  assert_string_equal(q_text(st->db, "SELECT boot_time FROM v_boots ORDER BY boot_id DESC"),
                      "2026-11-21T09:08:00Z");
  lw_snapshot_free(s);
  close_store(st);
}

/* A collection that failed: a poll row with no counts; live sessions stay. */
static void test_failed_collection(void **state) {
  const char *path = tl_path("failed-collection.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT), *got = NULL;
  (void)state;
  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_int_equal(lw_store_record_failed_poll(st, T0 + MIN_MS, LW_TIME_UNKNOWN, 5,
                                               "LsaEnumerateLogonSessions: 0xC0000017", &res),
                   0);
  assert_int_equal(res.rows_written, 1);
  assert_string_equal(q_text(st->db, "SELECT coalesce(logon_sessions, 'null') || ' ' || error "
                                     "FROM v_polls ORDER BY polled_at DESC"),
                      "null LsaEnumerateLogonSessions: 0xC0000017");
  /* The snapshot at that time is the last one with data. */
  assert_int_equal(lw_store_snapshot_at(st, T0 + MIN_MS, &got), 0);
  assert_int_equal(got->taken_at, T0);
  assert_int_equal(got->n_logons, 1);
  lw_snapshot_free(got);
  s->taken_at = T0 + 2 * MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 1);
  lw_snapshot_free(s);
  close_store(st);
}

/* ---- Per-poll figures (schema 5) ------------------------------------------ */

static struct lw_store *open_ro(const char *path) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  char err[512];
  memset(&o, 0, sizeof o);
  o.read_only = true;
  if (lw_store_open(path, &o, &st, NULL, err, sizeof err) != 0)
    fail_msg("read-only open of %s: %s", path, err);
  return st;
}

/* The detector's figures go into their poll's row only; a poll without them,
 * a failed collection and rows of schema 4 have NULL there. */
static void test_poll_figures(void **state) {
  const char *path = tl_path("figures.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_store_poll_info pi;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  struct lw_store_poll_figures f = {3, 150, 100, 150, 152};
  (void)state;
  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  add_wts(s, 2, LW_WTS_ACTIVE, "alice");
  finish_keep_counts(s);
  assert_int_equal(lw_store_last_poll(st, false, &pi), LW_ENOENT);
  assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 5); /* boot, poll, logon, WTS and its state: no more */
  s->taken_at += MIN_MS;
  record_ok(st, s, &res); /* no figures given: NULL */
  assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
  assert_int_equal(
      lw_store_record_failed_poll(st, T0 + 2 * MIN_MS, LW_TIME_UNKNOWN, 5, "boom", &res), 0);
  assert_string_equal(q_text(st->db, "SELECT group_concat(coalesce(live_sessions, '-') || '/' || "
                                     "coalesce(open_leaks, '-') || '/' || "
                                     "coalesce(open_leaks_system, '-') || '/' || "
                                     "coalesce(pinned_ids, '-') || '/' || "
                                     "coalesce(highest_session_id, '-'), ' ') FROM v_polls"),
                      "3/150/100/150/152 -/-/-/-/- -/-/-/-/-");
  /* The latest poll is the failed one; the latest with figures the first. */
  assert_int_equal(lw_store_last_poll(st, false, &pi), 0);
  assert_int_equal(pi.taken_at, T0 + 2 * MIN_MS);
  assert_false(pi.has_data);
  assert_false(pi.has_figures);
  assert_int_equal(lw_store_last_poll(st, true, &pi), 0);
  assert_int_equal(pi.taken_at, T0);
  assert_true(pi.has_data);
  assert_true(pi.has_figures);
  assert_int_equal(pi.logon_sessions, 1);
  assert_int_equal(pi.figures.live_sessions, 3);
  assert_int_equal(pi.figures.open_leaks, 150);
  assert_int_equal(pi.figures.open_leaks_system, 100);
  assert_int_equal(pi.figures.pinned_ids, 150);
  assert_int_equal(pi.figures.highest_session_id, 152);
  assert_int_equal(lw_store_set_poll_figures(NULL, &f), LW_EINVAL);
  assert_int_equal(lw_store_set_poll_figures(st, NULL), LW_EINVAL);

  /* Back to schema 4 (its v_polls, no columns), as an older LeakWatch left it. */
  assert_int_equal(
      sqlite3_exec(st->db,
                   "DROP VIEW v_polls; ALTER TABLE polls DROP COLUMN live_sessions; "
                   "ALTER TABLE polls DROP COLUMN open_leaks; "
                   "ALTER TABLE polls DROP COLUMN open_leaks_system; "
                   "ALTER TABLE polls DROP COLUMN pinned_ids; "
                   "ALTER TABLE polls DROP COLUMN highest_session_id; "
                   "CREATE VIEW v_polls AS SELECT p.t AS polled_at, p.boot_id, p.logon_sessions, "
                   "p.wts_sessions, p.duration_ms, p.error FROM polls p ORDER BY p.id; "
                   "PRAGMA user_version = 4",
                   NULL, NULL, NULL),
      SQLITE_OK);
  close_store(st);
  /* A reader does not migrate: the last poll without figures. */
  st = open_ro(path);
  assert_int_equal(lw_store_last_poll(st, false, &pi), 0);
  assert_int_equal(pi.taken_at, T0 + 2 * MIN_MS);
  assert_false(pi.has_figures);
  assert_int_equal(lw_store_last_poll(st, true, &pi), LW_ENOENT);
  lw_store_close(st, NULL);
  /* The writer migrates: old rows keep NULL, new polls get their figures. */
  st = open_store(path);
  assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_polls WHERE open_leaks IS NULL"), 3);
  f.highest_session_id = 153;
  assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
  s->taken_at = T0 + 3 * MIN_MS;
  record_ok(st, s, &res);
  assert_string_equal(q_text(st->db, "SELECT polled_at || ' ' || highest_session_id || ' ' || "
                                     "live_sessions FROM v_polls ORDER BY polled_at DESC LIMIT 1"),
                      "2026-11-21T09:03:00Z 153 3");
  lw_snapshot_free(s);
  close_store(st);
}

/* ---- Alerts, leak episodes, detector state ------------------------------- */

static int count_open(void *ctx, const struct lw_store_leak_row *r) {
  int *n = ctx;
  assert_int_equal(r->released_at, LW_TIME_UNKNOWN);
  (*n)++;
  return 0;
}

static int collect_alert(void *ctx, const struct lw_store_alert_row *r) {
  char *out = ctx;
  size_t n = strlen(out);
  snprintf(out + n, 512 - n, "%u:%s:%d;", r->alert.event_id, r->alert.message,
           r->alert.suppressed ? 1 : 0);
  return 0;
}

static void test_alerts_and_leaks(void **state) {
  const char *path = tl_path("alerts.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  struct lw_store_alert a;
  struct lw_store_leak leak;
  char got[512] = "";
  int n_open = 0;
  void *blob = NULL;
  size_t blen = 0;
  int64_t saved = 0;
  (void)state;

  add_logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  finish_keep_counts(s);
  record_ok(st, s, &res);

  /* The detector's output for the next poll goes in that poll's transaction. */
  memset(&a, 0, sizeof a);
  a.raised_at = T0 + MIN_MS;
  a.event_id = 2001;
  a.message = "Logon session 00000000:0004a1f2 (CONTOSO\\alice) has leaked.";
  a.fields_json = "{\"luid\":\"00000000:0004a1f2\",\"user\":\"alice\",\"domain\":"
                  "\"CONTOSO\",\"terminal_session\":2}";
  a.luid = 0x4a1f2;
  a.user = "alice";
  a.domain = "CONTOSO";
  a.terminal_session = 2;
  a.logged = true;
  assert_int_equal(lw_store_add_alert(st, &a), 0);
  a.event_id = 2003;
  a.message = "pinned";
  a.fields_json = NULL;
  a.suppressed = true;
  a.luid = 0;
  a.user = a.domain = NULL;
  a.terminal_session = -1;
  a.logged = false;
  assert_int_equal(lw_store_add_alert(st, &a), 0);
  memset(&leak, 0, sizeof leak);
  leak.luid = 0x4a1f2;
  leak.user = "alice";
  leak.domain = "CONTOSO";
  leak.logon_type = LW_LOGON_REMOTE_INTERACTIVE;
  leak.terminal_session = 2;
  leak.logon_time = T0 - 3600000;
  leak.session_ended_at = T0 - 600000;
  leak.leaked_at = T0 + MIN_MS;
  leak.end_seen = 1;
  leak.orphan_seen_at = T0 - 600000;
  assert_int_equal(lw_store_open_leak(st, &leak), 0);
  /* Its DWM-2, folded into alice's leak; it ended before LeakWatch watched. */
  leak.luid = 0x4a100;
  leak.user = "DWM-2";
  leak.domain = "Window Manager";
  leak.system = true;
  leak.with_luid = 0x4a1f2;
  leak.end_seen = 0;
  leak.session_ended_at = LW_TIME_UNKNOWN;
  assert_int_equal(lw_store_open_leak(st, &leak), 0);
  assert_int_equal(lw_store_set_detector_state(st, "LWDS\1state-1", 12), 0);
  /* Nothing written before the poll. */
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM alerts"), 0);
  s->taken_at = T0 + MIN_MS;
  record_ok(st, s, &res);
  /* poll + 2 alerts + 2 episodes + detector state = 6 */
  assert_int_equal(res.rows_written, 6);
  /* The fields operators filter on are columns (issue 13). */
  assert_string_equal(q_text(st->db, "SELECT luid || ' ' || user || ' ' || domain || ' ' || "
                                     "terminal_session || ' ' || logged || ' ' || held_back "
                                     "FROM v_alerts WHERE event_id = 2001"),
                      "00000000:0004a1f2 alice CONTOSO 2 1 0");
  assert_string_equal(q_text(st->db, "SELECT coalesce(luid, 'none') || ' ' || logged || ' ' || "
                                     "held_back FROM v_alerts WHERE event_id = 2003"),
                      "none 0 1");
  assert_string_equal(q_text(st->db, "SELECT kind || ' ' || with_luid || ' ' || session_end || ' ' "
                                     "|| coalesce(session_ended_at, 'NULL') || ' ' || "
                                     "first_seen_ended_at FROM v_leaks WHERE user = 'DWM-2'"),
                      "system 00000000:0004a1f2 before LeakWatch NULL 2026-11-21T08:50:00Z");
  assert_string_equal(q_text(st->db, "SELECT raised_at || ' ' || event_id || ' ' || message "
                                     "FROM v_alerts LIMIT 1"),
                      "2026-11-21T09:01:00Z 2001 Logon session 00000000:0004a1f2 "
                      "(CONTOSO\\alice) has leaked.");
  assert_int_equal(q_int(st->db, "SELECT suppressed FROM alerts WHERE event_id = 2003"), 1);
  assert_int_equal(q_int(st->db, "SELECT a.boot_id = p.boot_id FROM alerts a, polls p "
                                 "WHERE p.t = a.raised_at LIMIT 1"),
                   1);
  assert_string_equal(
      q_text(st->db, "SELECT luid || ' ' || user || ' ' || domain || ' ' || logon_type || ' ' || "
                     "terminal_session || ' ' || logon_time || ' ' || session_ended_at || ' ' || "
                     "leaked_at || ' ' || coalesce(released_at, 'open') || ' ' || kind || ' ' || "
                     "session_end FROM v_leaks WHERE user = 'alice'"),
      "00000000:0004a1f2 alice CONTOSO RemoteInteractive 2 2026-11-21T08:00:00Z "
      "2026-11-21T08:50:00Z 2026-11-21T09:01:00Z open user seen");
  assert_int_equal(lw_store_each_leak(st, true, count_open, &n_open), 0);
  assert_int_equal(n_open, 2);
  assert_int_equal(lw_store_each_alert(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, collect_alert, got),
                   0);
  assert_string_equal(got, "2001:Logon session 00000000:0004a1f2 (CONTOSO\\alice) has leaked.:0;"
                           "2003:pinned:1;");
  assert_int_equal(lw_store_get_detector_state(st, &blob, &blen, &saved), 0);
  assert_int_equal(blen, 12);
  assert_memory_equal(blob, "LWDS\1state-1", 12);
  assert_int_equal(saved, T0 + MIN_MS);
  free(blob);

  /* A newer detector state on a poll where nothing changed: still one row
   * (its clock fields are all that moved). */
  assert_int_equal(lw_store_set_detector_state(st, "LWDS\1state-2", 12), 0);
  s->taken_at = T0 + 2 * MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 1);

  /* Release: the episode's row is updated, in the poll's transaction. */
  assert_int_equal(lw_store_release_leak(st, 0x4a1f2, T0 + 3 * MIN_MS), 0);
  lw_snapshot_free(s);
  s = empty_snap(T0 + 3 * MIN_MS, BOOT);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  /* poll + alice's end + release + detector state (a change) = 4 */
  assert_int_equal(res.rows_written, 4);
  assert_string_equal(q_text(st->db, "SELECT released_at FROM v_leaks WHERE user = 'alice'"),
                      "2026-11-21T09:03:00Z");
  n_open = 0;
  assert_int_equal(lw_store_each_leak(st, true, count_open, &n_open), 0);
  assert_int_equal(n_open, 1); /* DWM-2 */
  /* The newest state was written with that change. */
  assert_int_equal(lw_store_get_detector_state(st, &blob, &blen, NULL), 0);
  assert_memory_equal(blob, "LWDS\1state-2", 12);
  free(blob);
  lw_snapshot_free(s);

  /* At close, a newer state is written even without a change. */
  assert_int_equal(lw_store_set_detector_state(st, "LWDS\1state-3", 12), 0);
  close_store(st);
  st = open_store(path);
  assert_int_equal(lw_store_get_detector_state(st, &blob, &blen, NULL), 0);
  assert_memory_equal(blob, "LWDS\1state-3", 12);
  free(blob);

  /* A schema 3 database: the columns are filled in from the fields JSON. */
  assert_int_equal(sqlite3_exec(st->db,
                                "UPDATE alerts SET luid = NULL, user = NULL, domain = NULL, "
                                "terminal_session = NULL, logged = NULL; PRAGMA user_version = 3",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  close_store(st);
  st = open_store(path);
  assert_string_equal(q_text(st->db, "SELECT luid || ' ' || user || ' ' || domain || ' ' || "
                                     "terminal_session || ' ' || logged FROM v_alerts "
                                     "WHERE event_id = 2001"),
                      "00000000:0004a1f2 alice CONTOSO 2 1");
  assert_int_equal(q_int(st->db, "SELECT logged FROM v_alerts WHERE event_id = 2003"), 0);
  assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
  close_store(st);
}

/* Holder findings (issue 7) go with the next poll, into v_holders. */
static void test_holders(void **state) {
  const char *path = tl_path("holders.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_store_prune_result pr;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  struct lw_store_holder h;
  (void)state;
  record_ok(st, s, &res);
  memset(&h, 0, sizeof h);
  h.luid = 0x4a1f2;
  h.scanned_at = T0 + MIN_MS;
  h.pid = 4412;
  h.image = "C:\\Tools\\TokenGrabber.exe";
  h.services = "TokenGrabber";
  h.tokens = 3;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
  h.pid = 5000;
  h.image = "C:\\Tools\\gone.exe";
  h.services = NULL;
  h.tokens = 1;
  h.exited_process = true;
  h.held_by_pid = 4412;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM holders"), 0);
  s->taken_at = T0 + MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 3);
  assert_string_equal(q_text(st->db, "SELECT luid || ' ' || scanned_at || ' ' || pid || ' ' || "
                                     "image || ' ' || services || ' ' || tokens || ' ' || "
                                     "exited_process FROM v_holders LIMIT 1"),
                      "00000000:0004a1f2 2026-11-21T09:01:00Z 4412 C:\\Tools\\TokenGrabber.exe "
                      "TokenGrabber 3 0");
  assert_int_equal(q_int(st->db, "SELECT held_by_pid FROM holders WHERE exited_process = 1"), 4412);
  assert_int_equal(lw_store_prune(st, T0 + 2 * MIN_MS, 10, &pr), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM holders"), 0);
  lw_snapshot_free(s);
  close_store(st);
}

static int collect_holder(void *ctx, const struct lw_store_holder_row *r) {
  char *buf = ctx;
  size_t n = strlen(buf);
  snprintf(buf + n, 1024 - n, "%llx/%u/%s/%s/%u/%d/%u@%lld;", (unsigned long long)r->holder.luid,
           r->holder.pid, r->holder.image != NULL ? r->holder.image : "-",
           r->holder.services != NULL ? r->holder.services : "-", r->holder.tokens,
           r->holder.exited_process ? 1 : 0, r->holder.held_by_pid,
           (long long)((r->holder.scanned_at - T0) / MIN_MS));
  return 0;
}

static int stop_holder(void *ctx, const struct lw_store_holder_row *r) {
  (void)r;
  return ++*(int *)ctx == 2 ? 42 : 0;
}

/* lw_store_each_holder: every field back, grouped by LUID and PID (latest scan
 * last), the time window, stopping early, and bad arguments. */
static void test_each_holder(void **state) {
  const char *path = tl_path("each-holder.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  struct lw_store_holder h;
  char got[1024] = "";
  int calls = 0;
  (void)state;
  record_ok(st, s, &res);
  assert_int_equal(lw_store_each_holder(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, collect_holder, got),
                   0);
  assert_string_equal(got, "");
  memset(&h, 0, sizeof h);
  /* Added out of order on purpose: the reader sorts by LUID, PID, time. */
  h.luid = 0x4a1f2;
  h.scanned_at = T0 + 2 * MIN_MS;
  h.pid = 4412;
  h.image = "C:\\Tools\\TokenGrabber.exe";
  h.services = "TokenGrabber";
  h.tokens = 5;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
  h.scanned_at = T0 + MIN_MS;
  h.tokens = 3;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
  h.luid = 0x3b000;
  h.pid = 5000;
  h.image = NULL;
  h.services = NULL;
  h.tokens = 1;
  h.exited_process = true;
  h.held_by_pid = 4412;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
  s->taken_at = T0 + 2 * MIN_MS;
  record_ok(st, s, &res);
  assert_int_equal(lw_store_each_holder(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, collect_holder, got),
                   0);
  assert_string_equal(got, "3b000/5000/-/-/1/1/4412@1;"
                           "4a1f2/4412/C:\\Tools\\TokenGrabber.exe/TokenGrabber/3/0/0@1;"
                           "4a1f2/4412/C:\\Tools\\TokenGrabber.exe/TokenGrabber/5/0/0@2;");
  got[0] = '\0';
  assert_int_equal(lw_store_each_holder(st, T0 + 2 * MIN_MS, LW_TIME_UNKNOWN, collect_holder, got),
                   0);
  assert_string_equal(got, "4a1f2/4412/C:\\Tools\\TokenGrabber.exe/TokenGrabber/5/0/0@2;");
  got[0] = '\0';
  assert_int_equal(lw_store_each_holder(st, LW_TIME_UNKNOWN, T0 + MIN_MS, collect_holder, got), 0);
  assert_string_equal(got, "3b000/5000/-/-/1/1/4412@1;"
                           "4a1f2/4412/C:\\Tools\\TokenGrabber.exe/TokenGrabber/3/0/0@1;");
  assert_int_equal(lw_store_each_holder(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, stop_holder, &calls),
                   42);
  assert_int_equal(calls, 2);
  assert_int_equal(
      lw_store_each_holder(NULL, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, collect_holder, got), LW_EINVAL);
  assert_int_equal(lw_store_each_holder(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL, got),
                   LW_EINVAL);
  lw_snapshot_free(s);
  close_store(st);
}

/* The detector state is written at least every detector_state_every polls. */
static void test_detector_state_period(void **state) {
  const char *path = tl_path("detector-period.db");
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  char err[256];
  int k, twos = 0;
  (void)state;
  memset(&o, 0, sizeof o);
  o.detector_state_every = 5;
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  record_ok(st, s, &res);
  for (k = 1; k <= 20; k++) {
    assert_int_equal(lw_store_set_detector_state(st, "LWDS", 4), 0);
    s->taken_at = T0 + k * MIN_MS;
    record_ok(st, s, &res);
    if (res.rows_written == 2)
      twos++;
    else
      assert_int_equal(res.rows_written, 1);
  }
  assert_int_equal(twos, 4);
  lw_snapshot_free(s);
  close_store(st);
}

/* The detector state is written as deltas from what the store last wrote
 * (issue 17): a whole base first, then only what changed, a new base once the
 * deltas add up to more than it; read back whole at every step, after a
 * reopen, and from a schema 5 database that has no deltas. */
static void get_state_is(struct lw_store *st, const unsigned char *want, size_t n,
                         int64_t want_saved) {
  void *blob = NULL;
  size_t len = 0;
  int64_t saved = 0;
  assert_int_equal(lw_store_get_detector_state(st, &blob, &len, &saved), 0);
  assert_int_equal(len, n);
  assert_memory_equal(blob, want, n);
  assert_true(saved == want_saved);
  free(blob);
}

static void test_detector_state_deltas(void **state) {
  enum { N = 4000 };
  const char *path = tl_path("detector-deltas.db");
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_poll_result res;
  struct lw_snapshot *s = empty_snap(T0, BOOT);
  unsigned char *blob = malloc(N);
  uint64_t r = 12345;
  char err[256];
  int k, wholes = 0, deltas = 0;
  size_t i, delta_bytes = 0;
  (void)state;
  assert_non_null(blob);
  for (i = 0; i < N; i++) {
    r = r * 6364136223846793005u + 1442695040888963407u;
    blob[i] = (unsigned char)(r >> 56);
  }
  memset(&o, 0, sizeof o);
  o.detector_state_every = 1;
  tl_remove_db(path);
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  for (k = 0; k < 40; k++) {
    /* A few records change each poll. */
    for (i = 0; i < 3; i++)
      blob[(size_t)(k * 97 + (int)i * 1301) % N] ^= 0x41;
    assert_int_equal(lw_store_set_detector_state(st, blob, N), 0);
    s->taken_at = T0 + k * MIN_MS;
    record_ok(st, s, &res);
    assert_int_not_equal(res.detector_state_bytes, 0);
    if (res.detector_state_whole) {
      assert_int_equal(res.detector_state_bytes, N);
      assert_int_equal(q_int(st->db, "SELECT count(*) FROM detector_state_delta"), 0);
      wholes++;
    } else {
      assert_true(res.detector_state_bytes < N / 20);
      delta_bytes += res.detector_state_bytes;
      deltas++;
      assert_int_equal(q_int(st->db, "SELECT count(*) FROM detector_state_delta"), deltas);
    }
    if (k == 0)
      assert_true(res.detector_state_whole);
    get_state_is(st, blob, N, T0 + k * MIN_MS);
  }
  /* Small changes: one base, then deltas only. */
  assert_int_equal(wholes, 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM detector_state_delta"), 39);
  print_message("%d deltas, %lu bytes in all, for a state of %d bytes\n", deltas,
                (unsigned long)delta_bytes, N);
  close_store(st);

  /* Reopened: the same state; the first write is a new base. */
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  get_state_is(st, blob, N, T0 + 39 * MIN_MS);
  blob[7] ^= 1;
  assert_int_equal(lw_store_set_detector_state(st, blob, N), 0);
  s->taken_at = T0 + 40 * MIN_MS;
  record_ok(st, s, &res);
  assert_true(res.detector_state_whole);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM detector_state_delta"), 0);
  /* The deltas would outgrow the base: a big change each poll. */
  wholes = 0;
  for (k = 41; k < 60; k++) {
    for (i = 0; i < N / 8; i++)
      blob[(i * 8 + (size_t)k) % N] ^= 0x5a;
    assert_int_equal(lw_store_set_detector_state(st, blob, N), 0);
    s->taken_at = T0 + k * MIN_MS;
    record_ok(st, s, &res);
    wholes += res.detector_state_whole;
    assert_true(q_int(st->db, "SELECT total(length(delta)) FROM detector_state_delta") <= N);
    get_state_is(st, blob, N, T0 + k * MIN_MS);
  }
  assert_true(wholes >= 2);

  /* A damaged delta is refused (the service then starts the detector afresh). */
  s->taken_at = T0 + 60 * MIN_MS;
  blob[9] ^= 1;
  assert_int_equal(lw_store_set_detector_state(st, blob, N), 0);
  record_ok(st, s, &res);
  assert_false(res.detector_state_whole);
  assert_int_equal(sqlite3_exec(st->db,
                                "UPDATE detector_state_delta SET delta = X'4C57424401' "
                                "WHERE seq = (SELECT max(seq) FROM detector_state_delta)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  {
    void *b = NULL;
    size_t l = 0;
    assert_int_equal(lw_store_get_detector_state(st, &b, &l, NULL), LW_ECORRUPT);
  }
  close_store(st);

  /* An older database (no delta table) with its whole state: migrated, read. */
  tl_remove_db(path);
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  assert_int_equal(lw_store_set_detector_state(st, blob, N), 0);
  record_ok(st, s, &res);
  {
    /* The version before this table's (6: issue 17's migration is 7). */
    assert_int_equal(sqlite3_exec(st->db,
                                  "DROP TABLE detector_state_delta; PRAGMA user_version = 6", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
  }
  close_store(st);
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), 0);
  assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
  get_state_is(st, blob, N, T0 + 60 * MIN_MS);
  close_store(st);
  free(blob);
  lw_snapshot_free(s);
}

/* ---- Migration from schema version 1 -------------------------------------- */

/* The first cut of the schema, as a database written by it looks. A copy, not
 * the store's own text: the point is to open what older code wrote. */
static const char *const v1_sql =
    "PRAGMA auto_vacuum = INCREMENTAL;"
    "PRAGMA journal_mode = WAL;"
    "PRAGMA application_id = 1280796721;"
    "BEGIN;"
    "CREATE TABLE boots(id INTEGER PRIMARY KEY, boot_time INTEGER, first_poll INTEGER NOT NULL);"
    "CREATE TABLE polls(id INTEGER PRIMARY KEY, boot_id INTEGER REFERENCES boots(id), "
    "t INTEGER NOT NULL, duration_ms INTEGER NOT NULL, logon_sessions INTEGER, "
    "wts_sessions INTEGER, error TEXT);"
    "CREATE TABLE logon_sessions(id INTEGER PRIMARY KEY, boot_id INTEGER NOT NULL REFERENCES "
    "boots(id), luid INTEGER NOT NULL, data_status INTEGER NOT NULL, logon_type INTEGER, "
    "terminal_session INTEGER, logon_time INTEGER, user TEXT, domain TEXT, sid TEXT, "
    "auth_package TEXT, logon_server TEXT, dns_domain TEXT, upn TEXT, first_seen INTEGER NOT "
    "NULL, last_seen INTEGER, process_count_max INTEGER NOT NULL);"
    "CREATE INDEX logon_sessions_boot_seen ON logon_sessions(boot_id, first_seen);"
    "CREATE TABLE wts_sessions(id INTEGER PRIMARY KEY, boot_id INTEGER NOT NULL REFERENCES "
    "boots(id), session_id INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER);"
    "CREATE INDEX wts_sessions_boot_seen ON wts_sessions(boot_id, first_seen);"
    "CREATE TABLE wts_transitions(id INTEGER PRIMARY KEY, wts_id INTEGER NOT NULL REFERENCES "
    "wts_sessions(id) ON DELETE CASCADE, at INTEGER NOT NULL, state INTEGER NOT NULL, station "
    "TEXT, user TEXT, domain TEXT, client TEXT, client_address TEXT, logon_time INTEGER, "
    "connect_time INTEGER, disconnect_time INTEGER);"
    "CREATE INDEX wts_transitions_wts_at ON wts_transitions(wts_id, at);"
    "CREATE TABLE logon_type_names(type INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "INSERT INTO logon_type_names VALUES (0,'Undefined'),(2,'Interactive'),(3,'Network'),"
    "(4,'Batch'),(5,'Service'),(6,'Proxy'),(7,'Unlock'),(8,'NetworkCleartext'),"
    "(9,'NewCredentials'),(10,'RemoteInteractive'),(11,'CachedInteractive'),"
    "(12,'CachedRemoteInteractive'),(13,'CachedUnlock');"
    "CREATE TABLE wts_state_names(state INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "INSERT INTO wts_state_names VALUES (0,'Active'),(1,'Connected'),(2,'ConnectQuery'),"
    "(3,'Shadow'),(4,'Disconnected'),(5,'Idle'),(6,'Listen'),(7,'Reset'),(8,'Down'),(9,'Init');"
    "CREATE VIEW v_polls AS SELECT strftime('%Y-%m-%dT%H:%M:%SZ', p.t / 1000, 'unixepoch') AS "
    "polled_at, p.boot_id, p.logon_sessions, p.wts_sessions, p.duration_ms, p.error FROM polls p;"
    /* Version 1 history: one boot, two polls, alice alive, bob ended, one WTS. */
    "INSERT INTO boots VALUES (1, 1795165200000, 1795251600000);"
    "INSERT INTO polls VALUES (1, 1, 1795251600000, 10, 2, 1, NULL);"
    "INSERT INTO polls VALUES (2, 1, 1795251660000, 11, 1, 1, NULL);"
    "INSERT INTO logon_sessions VALUES (1, 1, 303602, 0, 10, 2, 1795251000000, 'alice', "
    "'CONTOSO', 'S-1-5-21-1-2-3-1105', 'Kerberos', NULL, NULL, NULL, 1795251600000, NULL, 12);"
    "INSERT INTO logon_sessions VALUES (2, 1, 303872, 0, 10, 3, 1795251000000, 'bob', "
    "'CONTOSO', NULL, 'Kerberos', NULL, NULL, NULL, 1795251600000, 1795251600000, 9);"
    "INSERT INTO wts_sessions VALUES (1, 1, 2, 1795251600000, NULL);"
    "INSERT INTO wts_transitions VALUES (1, 1, 1795251600000, 0, 'RDP-Tcp#7', 'alice', "
    "'CONTOSO', 'LAPTOP-17', NULL, NULL, NULL, NULL);"
    "PRAGMA user_version = 1;"
    "COMMIT;";

static void test_migrate_from_v1(void **state) {
  const char *path = tl_path("v1.db");
  sqlite3 *db = NULL;
  struct lw_store *st = NULL;
  struct lw_store_open_info info;
  struct lw_store_poll_result res;
  struct lw_snapshot *s;
  char err[256];
  (void)state;

  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_exec(db, v1_sql, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("v1: %s", sqlite3_errmsg(db));
  sqlite3_close(db);

  assert_int_equal(lw_store_open(path, NULL, &st, &info, err, sizeof err), 0);
  assert_int_equal(info.schema_found, 1);
  assert_false(info.created);
  assert_int_equal(q_int(st->db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM alerts"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_leaks"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_holders"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 2);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  /* The live state came from the old rows: the same host writes one row. */
  assert_int_equal(st->m.n_live, 1);
  s = empty_snap(INT64_C(1795251720000), INT64_C(1795165200000));
  add_logon(s, 303602, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2)->process_count = 12;
  add_wts(s, 2, LW_WTS_ACTIVE, "alice");
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_int_equal(res.rows_written, 1);
  assert_false(res.new_boot);
  lw_snapshot_free(s);

  /* Schema 8: alice ends now, her end a row of logon_session_ends (bob's stays
   * in his old row); the views show both ends as before, and a reopen knows
   * that nobody is alive. */
  s = empty_snap(INT64_C(1795251780000), INT64_C(1795165200000));
  finish_keep_counts(s);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_session_ends"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM wts_session_ends"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions WHERE last_seen IS NULL"), 1);
  assert_string_equal(q_text(st->db, "SELECT group_concat(user || ' ' || last_seen, ', ') FROM "
                                     "(SELECT * FROM v_logon_sessions ORDER BY user)"),
                      "alice 2026-11-21T09:02:00Z, bob 2026-11-21T09:00:00Z");
  assert_string_equal(q_text(st->db, "SELECT user || ' ' || last_seen FROM v_wts_sessions"),
                      "alice 2026-11-21T09:02:00Z");
  close_store(st);
  st = open_store(path);
  assert_int_equal(st->m.n_live, 0);
  assert_int_equal(st->m.n_wlive, 0);
  /* Retention takes the ended sessions and their end rows. */
  assert_int_equal(lw_store_prune(st, INT64_C(1795251780000), 1, NULL), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_session_ends"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM wts_sessions"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM wts_session_ends"), 0);
  close_store(st);
}

/* ---- Retention -------------------------------------------------------------- */

static void test_prune(void **state) {
  const char *path = tl_path("prune.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_store_prune_result pr;
  struct lw_snapshot *s;
  struct lw_store_alert a;
  int64_t size_before, size_after, cutoff;
  int k, i;
  (void)state;

  /* 40 polls, each a new set of 100 sessions with long names (the last set
   * stays alive), plus an alert per poll and a long-lived session. */
  for (k = 0; k < 40; k++) {
    s = empty_snap(T0 + k * MIN_MS, BOOT);
    add_logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0);
    for (i = 0; i < 100; i++) {
      char user[200];
      snprintf(user, sizeof user, "user-%d-%d-%0150d", k, i, 0);
      add_logon(s, (uint64_t)(0x10000 + k * 1000 + i), user, LW_LOGON_NETWORK, 0);
    }
    add_wts(s, (uint32_t)(k + 1), LW_WTS_ACTIVE, "wts");
    finish_keep_counts(s);
    memset(&a, 0, sizeof a);
    a.raised_at = s->taken_at;
    a.event_id = 2005;
    a.message = "accumulating";
    assert_int_equal(lw_store_add_alert(st, &a), 0);
    record_ok(st, s, &res);
    lw_snapshot_free(s);
  }
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 4001);
  (void)sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  size_before = tl_file_size(path);

  /* Keep the last 10 minutes. */
  cutoff = T0 + 30 * MIN_MS;
  assert_int_equal(lw_store_prune(st, cutoff, 250, &pr), 0);
  /* Sessions that ended before 09:30 (ended at 09:00..09:29 -> 30 sets of 100)
   * in batches of at most 250. */
  assert_true(pr.batches > 12);
  assert_true(pr.pages_freed > 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 4001 - 3000);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions WHERE luid = 0x3e7"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), 10);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM alerts"), 10);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM wts_sessions"), 10);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM wts_transitions"), 10);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM v_logon_sessions WHERE last_seen IS NULL"),
                   101);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  (void)sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  size_after = tl_file_size(path);
  if (!(size_after < size_before * 6 / 10))
    fail_msg("file did not shrink: %lld -> %lld bytes", (long long)size_before,
             (long long)size_after);

  close_store(st);
}

/* An old boot with no rows left goes; the current boot stays even when all its
 * rows go. */
static void test_prune_boots(void **state) {
  const char *path = tl_path("prune-boots.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_store_prune_result pr;
  struct lw_snapshot *s;
  (void)state;
  s = empty_snap(T0, BOOT);
  add_logon(s, 0x500, "old", LW_LOGON_NETWORK, 0);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  s = empty_snap(T0 + 60 * MIN_MS, T0 + 59 * MIN_MS); /* reboot */
  finish_keep_counts(s);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 2);
  assert_int_equal(lw_store_prune(st, T0 + 120 * MIN_MS, 10, &pr), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM boots"), 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM logon_sessions"), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), 0);
  /* The current boot is still used by the next poll. */
  s = empty_snap(T0 + 121 * MIN_MS, T0 + 59 * MIN_MS);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  assert_false(res.new_boot);
  assert_int_equal(res.rows_written, 1);
  lw_snapshot_free(s);
  close_store(st);
}

/* ---- Queries ---------------------------------------------------------------- */

static int count_rows(void *ctx, const struct lw_store_logon_row *r) {
  (void)r;
  (*(int *)ctx)++;
  return 0;
}

static void test_each_logon_filters(void **state) {
  const char *path = tl_path("filters.db");
  struct lw_store *st = open_store(path);
  struct lw_store_poll_result res;
  struct lw_store_filter f;
  struct lw_snapshot *s;
  int n;
  (void)state;
  s = empty_snap(T0, BOOT);
  add_logon(s, 0x10, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  add_logon(s, 0x11, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  lw_snapshot_free(s);
  s = empty_snap(T0 + 10 * MIN_MS, BOOT);
  add_logon(s, 0x11, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3);
  add_logon(s, 0x12, "Alice", LW_LOGON_NETWORK, 0);
  finish_keep_counts(s);
  record_ok(st, s, &res);
  lw_snapshot_free(s);

  lw_store_filter_init(&f);
  f.user = "ALICE";
  n = 0;
  assert_int_equal(lw_store_each_logon(st, &f, count_rows, &n), 0);
  assert_int_equal(n, 2);
  f.user = "contoso\\alice";
  n = 0;
  assert_int_equal(lw_store_each_logon(st, &f, count_rows, &n), 0);
  assert_int_equal(n, 2);
  f.since = T0 + 5 * MIN_MS; /* alice's first session ended at T0 */
  n = 0;
  assert_int_equal(lw_store_each_logon(st, &f, count_rows, &n), 0);
  assert_int_equal(n, 1);
  lw_store_filter_init(&f);
  f.until = T0 + 5 * MIN_MS;
  n = 0;
  assert_int_equal(lw_store_each_logon(st, &f, count_rows, &n), 0);
  assert_int_equal(n, 2);
  close_store(st);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create),
      cmocka_unit_test(test_migration_idempotent),
      cmocka_unit_test(test_change_based_rows),
      cmocka_unit_test(test_data_arrives_late),
      cmocka_unit_test(test_rebuild_random),
      cmocka_unit_test(test_rebuild_middle_luids),
      cmocka_unit_test(test_luid_back_after_end),
      cmocka_unit_test(test_restart_keeps_live_sessions),
      cmocka_unit_test(test_reboot),
      cmocka_unit_test(test_failed_collection),
      cmocka_unit_test(test_poll_figures),
      cmocka_unit_test(test_alerts_and_leaks),
      cmocka_unit_test(test_detector_state_period),
      cmocka_unit_test(test_detector_state_deltas),
      cmocka_unit_test(test_holders),
      cmocka_unit_test(test_each_holder),
      cmocka_unit_test(test_migrate_from_v1),
      cmocka_unit_test(test_prune),
      cmocka_unit_test(test_prune_boots),
      cmocka_unit_test(test_each_logon_filters),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
