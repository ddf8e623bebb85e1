/*
 * Unit tests for the history store under faults (store.h): an operator's read
 * transaction held open during polls, the write lock held by someone else, a
 * full disk (SQLite's max_page_count), damaged files at start (moved aside),
 * and databases the store must refuse and leave byte-identical (newer schema,
 * another application's). argv[1]: a folder for temporary files.
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

static struct lw_store *open_store(const char *path, int busy_ms) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  char err[512];
  int rc;
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = busy_ms;
  o.close_timeout_ms = busy_ms; /* close gives up as soon as a poll would */
  rc = lw_store_open(path, &o, &st, NULL, err, sizeof err);
  if (rc != 0)
    fail_msg("lw_store_open(%s) = %d: %s", path, rc, err);
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

static sqlite3 *other_connection(const char *path) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  return db;
}

static void exec_ok(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
}

/* Every recorded snapshot comes back from the database. */
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

/* ---- Concurrency --------------------------------------------------------- */

/* An operator in sqlite3 with a read transaction open never blocks a poll. */
static void test_reader_does_not_block(void **state) {
  const char *path = tl_path("reader.db");
  struct lw_store *st = open_store(path, 100);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *rec[8];
  sqlite3 *reader;
  int k;
  (void)state;
  assert_int_equal(tl_host_init(&h, 40, 6, 7), 0);
  rec[0] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[0], &res), 0);

  reader = other_connection(path);
  exec_ok(reader, "BEGIN");
  assert_int_equal(q_int(reader, "SELECT count(*) FROM polls"), 1);
  for (k = 1; k < 8; k++) {
    tl_host_churn(&h, 0.1, MIN_MS, 1);
    rec[k] = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, rec[k], &res), 0);
    assert_int_equal(res.polls_pending, 0);
  }
  /* The reader still sees its snapshot; the polls are all there after. */
  assert_int_equal(q_int(reader, "SELECT count(*) FROM polls"), 1);
  exec_ok(reader, "COMMIT");
  assert_int_equal(q_int(reader, "SELECT count(*) FROM polls"), 8);
  sqlite3_close(reader);
  expect_rebuilds(st, rec, 8);
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < 8; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

/* Someone else holds the write lock: the poll fails after the busy timeout and
 * stays queued; when the lock goes, the next poll writes everything, with the
 * times at which things were seen, including a session that came and went
 * while the database was locked. */
static void test_writer_lock_held(void **state) {
  const char *path = tl_path("locked.db");
  struct lw_store *st = open_store(path, 150);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *rec[5];
  sqlite3 *other;
  uint64_t transient;
  int k;
  (void)state;
  assert_int_equal(tl_host_init(&h, 30, 5, 11), 0);
  rec[0] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[0], &res), 0);

  other = other_connection(path);
  exec_ok(other, "BEGIN IMMEDIATE");

  /* Poll 1: a new session appears (and some churn) - locked out. */
  tl_host_churn(&h, 0.1, MIN_MS, 1);
  transient = h.l[0].luid + 0x100000;
  h.l[h.nl++] = h.l[0];
  h.l[h.nl - 1].luid = transient;
  rec[1] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[1], &res), LW_EBUSY);
  assert_int_equal(res.rc, LW_EBUSY);
  assert_false(res.poll_recorded);
  assert_int_equal(res.polls_pending, 1);
  assert_true(strstr(res.message, "locked") != NULL);

  /* Poll 2: it is gone again - still locked out. */
  h.nl--;
  tl_host_churn(&h, 0.1, MIN_MS, 1);
  rec[2] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[2], &res), LW_EBUSY);
  assert_int_equal(res.polls_pending, 2);

  exec_ok(other, "COMMIT");
  sqlite3_close(other);

  /* Poll 3 writes polls 1, 2 and 3. */
  tl_host_churn(&h, 0.1, MIN_MS, 1);
  rec[3] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[3], &res), 0);
  assert_int_equal(res.polls_written, 3);
  assert_int_equal(res.polls_pending, 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), 4);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE error LIKE "
                                 "'not stored at poll time (database is locked)%'"),
                   2);
  /* The transient session: seen at poll 1 only. */
  {
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT first_seen = %lld AND last_seen = %lld FROM logon_sessions WHERE luid = %lld",
             (long long)rec[1]->taken_at, (long long)rec[1]->taken_at, (long long)transient);
    assert_int_equal(q_int(st->db, sql), 1);
  }
  tl_host_churn(&h, 0, MIN_MS, 0);
  rec[4] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[4], &res), 0);
  assert_int_equal(res.rows_written, 1);
  expect_rebuilds(st, rec, 5);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < 5; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

/* Still locked when the service stops: close reports what it could not write. */
static void test_close_while_locked(void **state) {
  const char *path = tl_path("close-locked.db");
  struct lw_store *st = open_store(path, 50);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *s;
  sqlite3 *other;
  uint32_t lost = 0;
  (void)state;
  assert_int_equal(tl_host_init(&h, 5, 1, 3), 0);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), 0);
  lw_snapshot_free(s);
  other = other_connection(path);
  exec_ok(other, "BEGIN IMMEDIATE");
  tl_host_churn(&h, 0.5, MIN_MS, 1);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), LW_EBUSY);
  lw_snapshot_free(s);
  assert_int_equal(lw_store_close(st, &lost), LW_EBUSY);
  assert_int_equal(lost, 1);
  exec_ok(other, "COMMIT");
  sqlite3_close(other);
  tl_host_free(&h);
}

/* ---- Disk full ------------------------------------------------------------ */

/* SQLITE_FULL from SQLite's own limit on the database size: the poll fails,
 * its bare row is still recorded when it fits, nothing is lost, and history
 * resumes when there is room again. */
static void test_disk_full(void **state) {
  const char *path = tl_path("full.db");
  struct lw_store *st = open_store(path, 100);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *rec[5];
  char sql[64];
  int64_t pages;
  int k;
  (void)state;
  assert_int_equal(tl_host_init(&h, 50, 5, 5), 0);
  rec[0] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[0], &res), 0);

  /* No room to grow by a single page. */
  pages = q_int(st->db, "PRAGMA page_count");
  snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
  exec_ok(st->db, sql);

  /* Many new sessions: cannot fit. */
  for (k = 1; k <= 2; k++) {
    assert_int_equal(tl_host_churn(&h, 1.0, MIN_MS, 1), 0);
    rec[k] = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, rec[k], &res), LW_ENOSPC);
    assert_int_equal(res.rc, LW_ENOSPC);
    assert_true(strstr(res.message, "full") != NULL);
    assert_int_equal(res.polls_pending, (uint32_t)k);
  }
  /* The bare poll rows fit in the free room of the polls table. */
  assert_true(res.poll_recorded);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE error LIKE "
                                 "'data not stored at poll time (database or disk is full)%'"),
                   2);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");

  /* Space returns. */
  exec_ok(st->db, "PRAGMA max_page_count = 1073741823");
  assert_int_equal(tl_host_churn(&h, 0.1, MIN_MS, 1), 0);
  rec[3] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[3], &res), 0);
  assert_int_equal(res.polls_pending, 0);
  /* The two rows written early are not written twice. */
  assert_int_equal(res.polls_written, 1);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), 4);
  tl_host_churn(&h, 0, MIN_MS, 0);
  rec[4] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[4], &res), 0);
  assert_int_equal(res.rows_written, 1);
  expect_rebuilds(st, rec, 5);
  assert_string_equal(q_text(st->db, "PRAGMA integrity_check"), "ok");
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < 5; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

/* When even the bare row does not fit, the poll waits in memory. */
static void test_disk_full_no_room_at_all(void **state) {
  const char *path = tl_path("full2.db");
  struct lw_store *st = open_store(path, 100);
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *rec[210];
  char sql[64];
  int k, n = 0, failed = 0;
  (void)state;
  assert_int_equal(tl_host_init(&h, 200, 2, 9), 0);
  rec[n] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[n++], &res), 0);
  snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
           (long long)q_int(st->db, "PRAGMA page_count"));
  exec_ok(st->db, sql);
  /* Fill the last page of polls with failed polls until nothing fits. */
  for (k = 0; k < 200 && failed == 0; k++) {
    tl_host_churn(&h, 1.0, MIN_MS, 1);
    rec[n] = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, rec[n++], &res), LW_ENOSPC);
    if (!res.poll_recorded)
      failed = 1;
  }
  assert_true(failed);
  exec_ok(st->db, "PRAGMA max_page_count = 1073741823");
  tl_host_churn(&h, 0.2, MIN_MS, 1);
  rec[n] = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, rec[n++], &res), 0);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls"), n);
  assert_int_equal(q_int(st->db, "SELECT count(*) FROM polls WHERE error IS NOT NULL"), n - 2);
  expect_rebuilds(st, rec, n);
  assert_int_equal(lw_store_close(st, NULL), 0);
  for (k = 0; k < n; k++)
    lw_snapshot_free(rec[k]);
  tl_host_free(&h);
}

/* ---- Damaged files at start --------------------------------------------- */

static void expect_moved_aside(const char *path, const void *orig, size_t len,
                               const char *reason_part, const char *wal_content) {
  struct lw_store *st = NULL;
  struct lw_store_open_info info;
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *s;
  char err[512];
  unsigned char *moved;
  size_t mlen = 0;
  const char *base;
  int rc;

  rc = lw_store_open(path, NULL, &st, &info, err, sizeof err);
  if (rc != 0)
    fail_msg("open %s: %d %s", path, rc, err);
  assert_true(info.created);
  /* PATH.corrupt-YYYYMMDDTHHMMSSZ */
  base = info.moved_aside_to;
  assert_int_equal(strncmp(base, path, strlen(path)), 0);
  assert_int_equal(strncmp(base + strlen(path), ".corrupt-", 9), 0);
  assert_true(strlen(base + strlen(path) + 9) >= 16);
  assert_int_equal(base[strlen(path) + 9 + 8], 'T');
  assert_int_equal(base[strlen(path) + 9 + 15], 'Z');
  if (strstr(info.moved_reason, reason_part) == NULL)
    fail_msg("reason '%s' lacks '%s'", info.moved_reason, reason_part);
  moved = tl_read_file(base, &mlen);
  assert_non_null(moved);
  assert_int_equal(mlen, len);
  assert_memory_equal(moved, orig, len);
  free(moved);
  if (wal_content != NULL) {
    /* The -wal that was beside it is beside the moved file now. */
    char moved_wal[1200];
    size_t wlen = 0;
    unsigned char *w;
    snprintf(moved_wal, sizeof moved_wal, "%s-wal", base);
    w = tl_read_file(moved_wal, &wlen);
    assert_non_null(w);
    assert_int_equal(wlen, strlen(wal_content));
    assert_memory_equal(w, wal_content, wlen);
    free(w);
  }
  /* A new, working database. */
  assert_int_equal(tl_host_init(&h, 5, 1, 1), 0);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), 0);
  lw_snapshot_free(s);
  tl_host_free(&h);
  assert_int_equal(lw_store_close(st, NULL), 0);
  tl_remove_db(base);
}

/* A real history database, closed cleanly: its bytes. */
static unsigned char *make_real_db(const char *path, size_t *len) {
  struct lw_store *st = open_store(path, 100);
  struct lw_store_poll_result res;
  struct tl_host h;
  int k;
  assert_int_equal(tl_host_init(&h, 300, 30, 21), 0);
  for (k = 0; k < 20; k++) {
    struct lw_snapshot *s;
    tl_host_churn(&h, 0.2, MIN_MS, 1);
    s = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, s, &res), 0);
    lw_snapshot_free(s);
  }
  assert_int_equal(lw_store_close(st, NULL), 0);
  tl_host_free(&h);
  return tl_read_file(path, len);
}

static void test_corrupt_truncated(void **state) {
  const char *path = tl_path("truncated.db");
  size_t len = 0;
  unsigned char *db = make_real_db(path, &len);
  (void)state;
  assert_non_null(db);
  assert_true(len > 40000);
  /* Half of it, cut mid-page. */
  assert_int_equal(tl_write_file(path, db, len / 2 + 100), 0);
  expect_moved_aside(path, db, len / 2 + 100, "", NULL);
  free(db);
}

static void test_corrupt_page(void **state) {
  const char *path = tl_path("badpage.db");
  size_t len = 0, i;
  unsigned char *db = make_real_db(path, &len);
  (void)state;
  assert_non_null(db);
  /* Scribble over the pages after the schema (page size 4096). */
  for (i = 3 * 4096; i < 6 * 4096 && i < len; i++)
    db[i] = (unsigned char)(0xA5 ^ i);
  assert_int_equal(tl_write_file(path, db, len), 0);
  expect_moved_aside(path, db, len, "", NULL);
  free(db);
}

/* A tiny SQLite header and nothing else: shorter than one page. */
static void test_corrupt_header_only(void **state) {
  const char *path = tl_path("header.db");
  unsigned char hdr[100];
  (void)state;
  memset(hdr, 0, sizeof hdr);
  memcpy(hdr, "SQLite format 3", 16);
  hdr[16] = 0x10; /* page size 4096 */
  hdr[18] = hdr[19] = 1;
  hdr[21] = 64;
  hdr[22] = 32;
  hdr[23] = 32;
  hdr[31] = 9; /* 9 pages, none of them there */
  assert_int_equal(tl_write_file(path, hdr, sizeof hdr), 0);
  expect_moved_aside(path, hdr, sizeof hdr, "", NULL);
}

/* ---- Databases to refuse, untouched --------------------------------------- */

static void make_db(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  exec_ok(db, sql);
  assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void expect_refused(const char *path, int want_rc, const char *msg_part) {
  struct lw_store *st = (struct lw_store *)1;
  struct lw_store_open_info info;
  char err[512], wal[1100], shm[1100];
  unsigned char *before, *after;
  size_t lb = 0, la = 0;
  int rc;
  before = tl_read_file(path, &lb);
  assert_non_null(before);
  rc = lw_store_open(path, NULL, &st, &info, err, sizeof err);
  assert_int_equal(rc, want_rc);
  assert_null(st);
  if (strstr(err, msg_part) == NULL)
    fail_msg("message '%s' lacks '%s'", err, msg_part);
  assert_string_equal(info.moved_aside_to, "");
  after = tl_read_file(path, &la);
  assert_non_null(after);
  assert_int_equal(la, lb);
  assert_memory_equal(after, before, lb);
  snprintf(wal, sizeof wal, "%s-wal", path);
  snprintf(shm, sizeof shm, "%s-shm", path);
  assert_int_equal(tl_file_size(wal), -1);
  assert_int_equal(tl_file_size(shm), -1);
  free(before);
  free(after);
}

static void test_newer_schema_refused(void **state) {
  const char *path = tl_path("newer.db");
  char sql[256], msg[64];
  (void)state;
  /* One past this code's version, whatever it is now. */
  snprintf(sql, sizeof sql,
           "PRAGMA application_id = 1280796721; CREATE TABLE boots(id INTEGER PRIMARY KEY);"
           "CREATE TABLE future(x); INSERT INTO future VALUES (42); PRAGMA user_version = %d;",
           LW_STORE_SCHEMA_VERSION + 1);
  snprintf(msg, sizeof msg, "newer LeakWatch (schema version %d", LW_STORE_SCHEMA_VERSION + 1);
  make_db(path, sql);
  expect_refused(path, LW_ETOONEW, msg);
  /* And in WAL mode (as the newer LeakWatch would leave it). */
  path = tl_path("newer-wal.db");
  make_db(path, "PRAGMA journal_mode = WAL; PRAGMA application_id = 1280796721; "
                "CREATE TABLE boots(id INTEGER PRIMARY KEY); PRAGMA user_version = 99;");
  expect_refused(path, LW_ETOONEW, "not changed");
}

/* `database` naming a file that is not SQLite (a typo pointing at the
 * configuration, any system file) or an empty one: refused, and the file, its
 * -wal beside it and the folder are left as they were (issue 14). */
static void test_not_sqlite_refused(void **state) {
  const char *path = tl_path("garbage.db");
  unsigned char junk[5000];
  char wal[1100];
  unsigned char *w;
  size_t i, wl = 0;
  (void)state;
  for (i = 0; i < sizeof junk; i++)
    junk[i] = (unsigned char)(i * 131 + 7);
  assert_int_equal(tl_write_file(path, junk, sizeof junk), 0);
  expect_refused(path, LW_EINVAL, "is not a SQLite database, so not LeakWatch history");
  path = tl_path("text.db");
  {
    const char *text = "database: C:\\ProgramData\\LeakWatch\\history.db\nretention: 30d\n";
    assert_int_equal(tl_write_file(path, text, strlen(text)), 0);
    expect_refused(path, LW_EINVAL, "it was not changed");
  }
  path = tl_path("empty.db");
  assert_int_equal(tl_write_file(path, "", 0), 0);
  expect_refused(path, LW_EINVAL, "is an empty file, not a LeakWatch history database");
  /* A -wal beside a refused file is not touched either. */
  path = tl_path("garbage2.db");
  assert_int_equal(tl_write_file(path, junk, sizeof junk), 0);
  snprintf(wal, sizeof wal, "%s-wal", path);
  assert_int_equal(tl_write_file(wal, "not a log", 9), 0);
  {
    struct lw_store *st = NULL;
    char err[512];
    assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), LW_EINVAL);
  }
  w = tl_read_file(wal, &wl);
  assert_non_null(w);
  assert_int_equal(wl, 9);
  assert_memory_equal(w, "not a log", 9);
  free(w);
}

/* A negative user_version (no LeakWatch writes one) is refused and shown as
 * the negative number it is, not as 4294967295 (issue 14). */
static void test_negative_version_refused(void **state) {
  const char *path = tl_path("negative.db");
  (void)state;
  make_db(path, "CREATE TABLE t(x); PRAGMA user_version = -1;");
  expect_refused(path, LW_EINVAL, "schema version -1, which no LeakWatch writes");
}

static void test_foreign_database_refused(void **state) {
  const char *path = tl_path("foreign.db");
  (void)state;
  make_db(path, "PRAGMA application_id = 42; CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  expect_refused(path, LW_EINVAL, "another application");
  path = tl_path("foreign2.db");
  make_db(path, "CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES ('x');");
  expect_refused(path, LW_EINVAL, "without LeakWatch history");
}

/* Read-only (the CLI): a missing file is an error, not a new database. */
static void test_read_only(void **state) {
  const char *path = tl_path("ro.db");
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_poll_result res;
  struct tl_host h;
  struct lw_snapshot *s, *got = NULL;
  char err[256];
  (void)state;
  memset(&o, 0, sizeof o);
  o.read_only = true;
  assert_int_equal(lw_store_open(path, &o, &st, NULL, err, sizeof err), LW_ENOENT);
  assert_int_equal(tl_file_size(path), -1);

  st = open_store(path, 100);
  assert_int_equal(tl_host_init(&h, 5, 2, 4), 0);
  s = tl_host_snapshot(&h);
  assert_int_equal(lw_store_record_poll(st, s, &res), 0);
  {
    /* The service keeps running while the CLI reads. */
    struct lw_store *ro = NULL;
    assert_int_equal(lw_store_open(path, &o, &ro, NULL, err, sizeof err), 0);
    assert_int_equal(lw_store_snapshot_at(ro, s->taken_at, &got), 0);
    assert_int_equal(tl_snapshot_diff("ro", s, got), 0);
    lw_snapshot_free(got);
    assert_int_equal(lw_store_record_poll(ro, s, &res), LW_EINVAL);
    assert_int_equal(lw_store_close(ro, NULL), 0);
  }
  assert_int_equal(lw_store_close(st, NULL), 0);
  lw_snapshot_free(s);
  tl_host_free(&h);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reader_does_not_block),
      cmocka_unit_test(test_writer_lock_held),
      cmocka_unit_test(test_close_while_locked),
      cmocka_unit_test(test_disk_full),
      cmocka_unit_test(test_disk_full_no_room_at_all),
      cmocka_unit_test(test_corrupt_truncated),
      cmocka_unit_test(test_corrupt_page),
      cmocka_unit_test(test_corrupt_header_only),
      cmocka_unit_test(test_newer_schema_refused),
      cmocka_unit_test(test_not_sqlite_refused),
      cmocka_unit_test(test_negative_version_refused),
      cmocka_unit_test(test_foreign_database_refused),
      cmocka_unit_test(test_read_only),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
